/*
 * A second, deliberately naive reading of capture files for tests that edit captures
 * byte by byte: where each pcap record and pcapng block sits. Independent of src/ so a
 * reader bug cannot hide itself.
 */

export interface PcapLayout {
  littleEndian: boolean;
  /** 16, or 24 for Kuznetzov's patched format. */
  recordHeaderLength: number;
  records: { offset: number; dataOffset: number; capturedLength: number; originalLength: number }[];
}

const PCAP_MAGICS = [0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34];

function u32(b: Uint8Array, at: number, littleEndian: boolean): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, littleEndian);
}

/** Record boundaries of a well-formed pcap file (version 2.4); stops at the first incomplete record. */
export function pcapLayout(b: Uint8Array): PcapLayout {
  const le = PCAP_MAGICS.includes(u32(b, 0, true));
  if (!le && !PCAP_MAGICS.includes(u32(b, 0, false))) throw new Error('not a pcap file');
  const recordHeaderLength = u32(b, 0, le) === 0xa1b2cd34 ? 24 : 16;
  const records: PcapLayout['records'] = [];
  let at = 24;
  while (at + recordHeaderLength <= b.length) {
    const capturedLength = u32(b, at + 8, le);
    const dataOffset = at + recordHeaderLength;
    if (dataOffset + capturedLength > b.length) break;
    records.push({ offset: at, dataOffset, capturedLength, originalLength: u32(b, at + 12, le) });
    at = dataOffset + capturedLength;
  }
  return { littleEndian: le, recordHeaderLength, records };
}

export interface PcapngBlock {
  offset: number;
  type: number;
  length: number;
  littleEndian: boolean;
}

/** Blocks of a well-formed pcapng file, each section in its own byte order; stops at the first incomplete block. */
export function pcapngBlocks(b: Uint8Array): PcapngBlock[] {
  const blocks: PcapngBlock[] = [];
  let le = true;
  let at = 0;
  while (at + 12 <= b.length) {
    if (u32(b, at, true) === 0x0a0d0d0a) le = u32(b, at + 8, true) === 0x1a2b3c4d;
    const length = u32(b, at + 4, le);
    if (length < 12 || at + length > b.length) break;
    blocks.push({ offset: at, type: u32(b, at, le), length, littleEndian: le });
    at += length;
  }
  return blocks;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
