import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = join(ROOT, 'test/fixtures');
export const GOLDEN_PUBLIC = join(ROOT, 'test/golden/public');
/** The public corpus beside the project (CI has it); tests over it run only when it is there. */
export const PUBLIC = resolve(ROOT, '../shared/captures/public');
export const HAVE_PUBLIC = existsSync(PUBLIC);

const CAPTURE_MAGICS = [
  [0xd4, 0xc3, 0xb2, 0xa1],
  [0xa1, 0xb2, 0xc3, 0xd4],
  [0x4d, 0x3c, 0xb2, 0xa1],
  [0xa1, 0xb2, 0x3c, 0x4d],
  [0x34, 0xcd, 0xb2, 0xa1],
  [0xa1, 0xb2, 0xcd, 0x34],
  [0x0a, 0x0d, 0x0d, 0x0a],
];

/** Whether a file starts like a pcap or pcapng file (the public folder mixes in text outputs). */
export function looksLikeCapture(path: string): boolean {
  const b = readFileSync(path).subarray(0, 4);
  return CAPTURE_MAGICS.some((m) => m.every((x, i) => b[i] === x));
}

/** Files of the public corpus that are captures (by magic), plus the non-capture decoys when asked. */
export function publicFiles(options: { capturesOnly?: boolean } = {}): string[] {
  if (!HAVE_PUBLIC) return [];
  return readdirSync(PUBLIC)
    .filter((f) => !/\.(txt|md)$/.test(f) && !/\.out$/.test(f))
    .map((f) => join(PUBLIC, f))
    .filter((p) => !options.capturesOnly || looksLikeCapture(p))
    .sort();
}

/** Capture fixtures made in this project (the lab and the corpus script), uncompressed ones. */
export function fixtureFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(pcap|pcapng|cap)$/.test(entry.name)) out.push(path);
    }
  };
  walk(FIXTURES);
  return out.sort();
}

export function readBytes(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
