import { CaptureReader } from '../../src/core/capture/index.js';
import { DecodedPacket, DecodeTables, LAYER_NAMES } from '../../src/core/decode/index.js';
import { fixtureFiles, publicFiles, readBytes } from './files.js';

export interface RealPacket {
  file: string;
  index: number;
  /** A copy of the packet's bytes. */
  bytes: Uint8Array;
  linkType: number;
  /** The packet decoded from `bytes` (offsets are into `bytes`). */
  decoded: DecodedPacket;
  /** Offset of the wanted layer in `bytes`. */
  at: number;
}

const tables = new DecodeTables();

/** Every packet of a capture, copied, with its link type. */
export function packetsOf(
  path: string,
): { bytes: Uint8Array; linkType: number; originalLength: number; fcsLength: number }[] {
  const reader = new CaptureReader();
  reader.push(readBytes(path));
  const out = [];
  while (reader.next()) {
    const r = reader.record;
    out.push({
      bytes: r.bytes.slice(r.start, r.start + r.capturedLength),
      linkType: r.linkType,
      originalLength: r.originalLength,
      fcsLength: r.fcsLength,
    });
  }
  reader.end();
  return out;
}

export function decode(bytes: Uint8Array, linkType: number, t: DecodeTables = tables): DecodedPacket {
  const p = new DecodedPacket();
  p.decode(bytes, 0, bytes.length, bytes.length, linkType, 0, t);
  return p;
}

/**
 * The first real packet (project fixtures first, then the public corpus) with a layer of
 * `kind` that satisfies `accept`.
 */
export function realPacket(
  kind: number,
  accept: (p: DecodedPacket, at: number) => boolean = () => true,
): RealPacket {
  for (const file of [...fixtureFiles(), ...publicFiles()]) {
    const packets = packetsOf(file);
    for (let index = 0; index < packets.length; index++) {
      const { bytes, linkType } = packets[index];
      const decoded = decode(bytes, linkType);
      for (let i = 0; i < decoded.layerCount; i++) {
        if (decoded.kinds[i] === kind && accept(decoded, decoded.starts[i])) {
          return { file, index, bytes, linkType, decoded, at: decoded.starts[i] };
        }
      }
    }
  }
  throw new Error(`no real packet with a ${LAYER_NAMES[kind]} layer in the fixtures`);
}
