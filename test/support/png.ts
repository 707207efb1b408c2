// Reads back a PNG the app saved: its size, and whether it shows anything (a picture of one
// flat colour filters down to a handful of byte values; a drawn diagram to many).
import { inflateSync } from 'node:zlib';

export interface PngFacts {
  width: number;
  height: number;
  /** Distinct byte values in the filtered pixel data. */
  distinctBytes: number;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function pngFacts(file: Buffer): PngFacts {
  if (!file.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: wrong signature');
  let width = 0;
  let height = 0;
  const data: Buffer[] = [];
  for (let at = 8; at + 8 <= file.length;) {
    const length = file.readUInt32BE(at);
    const type = file.toString('latin1', at + 4, at + 8);
    const body = file.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
    } else if (type === 'IDAT') data.push(body);
    at += 12 + length;
  }
  const pixels = inflateSync(Buffer.concat(data));
  return { width, height, distinctBytes: new Set(pixels).size };
}
