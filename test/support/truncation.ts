import { expect } from 'vitest';
import { Status, DecodeStop } from '../../src/core/decode/index.js';

/**
 * Runs `decode` on the header at `at` cut to every length from 0 to `headerLength - 1`,
 * expecting a truncation at `layer` that says how much was there, then on the whole packet.
 */
export function expectTruncations(
  bytes: Uint8Array,
  at: number,
  headerLength: number,
  layer: string,
  decode: (b: Uint8Array, at: number, end: number, stop: DecodeStop) => number,
  need: (have: number) => number = () => headerLength,
): void {
  for (let have = 0; have < headerLength; have++) {
    const stop = new DecodeStop();
    // A copy cut at the end, so reading past `end` would also read past the array.
    const cut = bytes.slice(0, at + have);
    const status = decode(cut, at, at + have, stop);
    expect(status, `${layer} with ${have} bytes`).toBe(Status.TRUNCATED);
    expect(stop.reason).toBe('truncated');
    expect(stop.layer).toBe(layer);
    expect(stop.have).toBe(have);
    expect(stop.need).toBe(need(have));
    expect(stop.offset).toBeGreaterThanOrEqual(at);
  }
  const stop = new DecodeStop();
  expect(decode(bytes, at, bytes.length, stop), `${layer} with the whole packet`).toBe(Status.OK);
}
