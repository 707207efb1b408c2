import { describe, expect, it } from 'vitest';
import { NO_FLOW, PacketIndex } from './index.js';

/** mulberry32: the same rows every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE = 1_700_000_000;

describe('PacketIndex rows', () => {
  it('gives back offsets, times, flows and directions at the edges of their ranges', () => {
    const index = new PacketIndex();
    index.add(24, true, BASE, 123_456_789, 0, 0); // the base: BASE s + 123456 µs
    index.add(2 ** 32 + 7, true, BASE, 123_456_999, 5, 1); // same µs, more ns
    index.add(2 ** 48 - 2, true, BASE - 10, 0, 2 ** 31 - 2, 1); // before the base
    index.add(2 ** 48 - 1, false, 0, 0, NO_FLOW, 0); // beyond 48 bits; no timestamp
    index.add(1e15, true, BASE + 10 * 365 * 86400, 0, -1, 1); // after the time range
    index.add(0, true, BASE - 10 * 365 * 86400, 0, 3, 0); // before it
    index.add(99, true, BASE + 1, 999_999_999, 3, 0);
    expect(index.count).toBe(7);
    expect([index.baseSeconds, index.baseMicros]).toEqual([BASE, 123_456]);
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => index.offset(n))).toEqual([
      24,
      2 ** 32 + 7,
      2 ** 48 - 2,
      -1,
      -1,
      0,
      99,
    ]);
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => index.time(n))).toEqual([
      0,
      0,
      -10_123_456,
      NaN,
      2 ** 47 - 1,
      -(2 ** 47 - 1),
      1_876_543,
    ]);
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => index.flow(n))).toEqual([
      0,
      5,
      2 ** 31 - 2,
      NO_FLOW,
      NO_FLOW,
      3,
      3,
    ]);
    // Row 4 went no way: it joined no flow.
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => index.direction(n))).toEqual([0, 1, 1, 0, 0, 0, 0]);
  });

  it('takes the base from the first timestamped packet', () => {
    const index = new PacketIndex();
    index.add(24, false, 0, 0, 0, 0);
    index.add(40, true, BASE, 5_000, 0, 0);
    expect(index.hasBase).toBe(true);
    expect([index.time(0), index.time(1)]).toEqual([NaN, 0]);
  });

  it('refuses packets it does not hold and flow ids past 31 bits', () => {
    const index = new PacketIndex();
    expect(() => index.offset(0)).toThrow(RangeError);
    index.add(24, true, BASE, 0, 0, 0);
    expect(() => index.flow(1)).toThrow(RangeError);
    expect(() => index.time(-1)).toThrow(RangeError);
    expect(() => index.add(40, true, BASE, 0, 2 ** 31 - 1, 0)).toThrow(RangeError);
    expect(index.count).toBe(1);
  });
});

describe('PacketIndex chunks', () => {
  const ROWS = 3 * 65536 + 1234;

  function filled(seed: number, flows: number): { index: PacketIndex; flowOf: number[] } {
    const next = random(seed);
    const index = new PacketIndex();
    const flowOf: number[] = [];
    let offset = 24;
    for (let n = 0; n < ROWS; n++) {
      // Flow ids appear in order, as the flow table hands them out; a few packets join none.
      const flow =
        next() < 0.01 ? NO_FLOW : Math.min(flows - 1, Math.floor((n / ROWS) * flows + next() * 40));
      flowOf.push(flow);
      index.add(offset, true, BASE + Math.floor(n / 1000), (n % 1000) * 1_000_000, flow, n & 1);
      offset += 60 + (n % 1500);
    }
    return { index, flowOf };
  }

  it('reads back every row across chunks, and costs 16 bytes a packet once finished', () => {
    const { index, flowOf } = filled(1, 5000);
    let offset = 24;
    for (let n = 0; n < ROWS; n++) {
      if (index.offset(n) !== offset) throw new Error(`offset of ${n}`);
      if (index.flow(n) !== flowOf[n]) throw new Error(`flow of ${n}`);
      if (index.direction(n) !== (flowOf[n] < 0 ? 0 : n & 1)) throw new Error(`direction of ${n}`);
      if (index.time(n) !== Math.floor(n / 1000) * 1e6 + (n % 1000) * 1000) throw new Error(`time of ${n}`);
      offset += 60 + (n % 1500);
    }
    expect(index.rowBytes()).toBeGreaterThan(16 * ROWS); // the last chunk has room to grow
    index.finish();
    expect(index.rowBytes()).toBe(16 * ROWS);
    const chunks = Math.ceil(ROWS / 65536);
    expect(index.bytes()).toBeLessThanOrEqual(16 * ROWS + 256 * chunks);
    expect(index.bytes() / ROWS).toBeLessThan(16.01);
    // Appending after finish() still works.
    index.add(offset, true, BASE, 0, 7, 1);
    expect([index.offset(ROWS), index.flow(ROWS), index.direction(ROWS)]).toEqual([offset, 7, 1]);
  });

  it('never copies a full chunk when it grows', () => {
    const index = new PacketIndex();
    for (let n = 0; n < 65536; n++) index.add(n, true, BASE, 0, 0, 0);
    const first = (index as unknown as { chunks: Uint32Array[] }).chunks[0];
    for (let n = 65536; n < 3 * 65536; n++) index.add(n, true, BASE, 0, 0, 0);
    const chunks = (index as unknown as { chunks: Uint32Array[] }).chunks;
    expect(chunks[0]).toBe(first);
    expect(chunks.map((c) => c.byteLength)).toEqual([1 << 20, 1 << 20, 1 << 20]);
  });

  it('costs little for a small capture', () => {
    const index = new PacketIndex();
    for (let n = 0; n < 10; n++) index.add(24 + n * 100, true, BASE, 0, 0, 0);
    index.finish();
    expect(index.rowBytes()).toBe(160);
  });

  it('packetsOf gives each flow its packets, in order', () => {
    const { index, flowOf } = filled(2, 600);
    index.finish();
    const expected = new Map<number, number[]>();
    flowOf.forEach((flow, n) => {
      const list = expected.get(flow) ?? [];
      list.push(n);
      expected.set(flow, list);
    });
    for (const [flow, packets] of expected) {
      expect(Array.from(index.packetsOf(flow)), `flow ${flow}`).toEqual(packets);
      // With the flow's packet count the scan stops at its last packet; a larger one is harmless.
      expect(Array.from(index.packetsOf(flow, packets.length))).toEqual(packets);
      expect(Array.from(index.packetsOf(flow, packets.length + 5))).toEqual(packets);
    }
    expect(index.packetsOf(600).length).toBe(0);
    expect(index.packetsOf(1 << 30).length).toBe(0);
  });

  it('packetsOf keeps recent results until more packets arrive', () => {
    const index = new PacketIndex();
    for (let n = 0; n < 100; n++) index.add(n * 64, true, BASE, 0, n % 3, 0);
    const a = index.packetsOf(1);
    expect(index.packetsOf(1)).toBe(a);
    index.add(100 * 64, true, BASE, 0, 1, 0);
    const b = index.packetsOf(1);
    expect(b).not.toBe(a);
    expect(b[b.length - 1]).toBe(100);
    expect(index.bytes()).toBeGreaterThanOrEqual(index.rowBytes() + b.byteLength);
  });
});
