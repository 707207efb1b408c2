import fc from 'fast-check';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureFiles, HAVE_PUBLIC, publicFiles, readBytes } from '../../../test/support/files.js';
import { CaptureReader } from './index.js';

interface Snapshot {
  records: string[];
  issues: string[];
  fatal: string | null;
  interfaces: string[];
  format: string | null;
}

/** FNV-1a of a record's bytes, so chunkings can be compared without keeping copies. */
function digest(b: Uint8Array, start: number, length: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < start + length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}

/** Reads `bytes` pushed in chunks whose sizes cycle through `sizes`. */
function readChunked(bytes: Uint8Array, sizes: number[]): Snapshot {
  const reader = new CaptureReader();
  const records: string[] = [];
  let at = 0;
  let turn = 0;
  while (at < bytes.length) {
    const size = Math.max(1, sizes[turn++ % sizes.length]);
    // A copy, as a file reader's reused buffer would be: a record must not outlive its chunk.
    const chunk = bytes.slice(at, Math.min(bytes.length, at + size));
    at += chunk.length;
    reader.push(chunk);
    while (reader.next()) {
      const r = reader.record;
      records.push(
        [
          r.index,
          r.capturedLength,
          r.originalLength,
          r.tsSeconds,
          r.tsNanos,
          r.hasTimestamp,
          r.interfaceIndex,
          r.linkType,
          r.fileOffset,
          r.dataOffset,
          digest(r.bytes, r.start, r.capturedLength),
        ].join(' '),
      );
    }
    chunk.fill(0xee);
  }
  reader.end();
  return {
    records,
    issues: reader.issues.map((i) => `${i.offset} ${i.kind} ${i.fatal} ${i.message}`),
    fatal: reader.fatal?.message ?? null,
    interfaces: reader.interfaces.map((i) => JSON.stringify(i)),
    format: reader.format,
  };
}

const files = [...fixtureFiles(), ...publicFiles()];

describe('CaptureReader chunking', () => {
  it('has files to read', () => {
    expect(fixtureFiles().length).toBeGreaterThan(5);
    if (HAVE_PUBLIC) expect(publicFiles().length).toBeGreaterThan(100);
  });

  it.each(files.map((f) => [basename(f), f]))(
    '%s reads the same records one byte at a time',
    (_name, path) => {
      const bytes = readBytes(path);
      const whole = readChunked(bytes, [bytes.length]);
      const bytewise = readChunked(bytes, bytes.length > 200_000 ? [7] : [1]);
      expect(bytewise).toEqual(whole);
    },
  );

  it('reads the same records under any random chunking', () => {
    const samples = files.map((path) => ({ path, bytes: readBytes(path) }));
    const wholes = samples.map((s) => readChunked(s.bytes, [s.bytes.length]));
    fc.assert(
      fc.property(
        fc.nat(samples.length - 1),
        fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 12 }),
        (which, sizes) => {
          expect(readChunked(samples[which].bytes, sizes)).toEqual(wholes[which]);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('CaptureReader damage', () => {
  const sample = fixtureFiles().find((f) => f.endsWith('eth-tcp-udp-icmp.pcap'))!;

  it('keeps every record before a cut and reports where the file ends', () => {
    const bytes = readBytes(sample);
    const whole = readChunked(bytes, [bytes.length]);
    const offsets = whole.records.map((r) => Number(r.split(' ')[8]));
    for (let cut = 24; cut < bytes.length; cut += 13) {
      const got = readChunked(bytes.subarray(0, cut), [97]);
      const complete = offsets.filter((o, i) => {
        const end = i + 1 < offsets.length ? offsets[i + 1] : bytes.length;
        return o >= 0 && end <= cut;
      }).length;
      expect(got.records).toEqual(whole.records.slice(0, complete));
      expect(got.fatal).toBeNull();
      const atBoundary = offsets.includes(cut);
      if (!atBoundary) {
        expect(got.issues.at(-1)).toMatch(/truncated false the capture ends in the middle of a record/);
        expect(got.issues.at(-1)).toContain(`at offset ${offsets[complete]}`);
      }
    }
  });

  it('stops at an impossible record length, keeping the records before it', () => {
    const bytes = readBytes(sample).slice();
    const whole = readChunked(bytes, [bytes.length]);
    const third = Number(whole.records[3].split(' ')[8]);
    // incl_len of record 3 := 900000, beyond 256 KiB.
    new DataView(bytes.buffer).setUint32(third + 8, 900000, true);
    const got = readChunked(bytes, [64]);
    expect(got.records).toEqual(whole.records.slice(0, 3));
    expect(got.fatal).toContain(`record 3 at offset ${third} claims 900000 captured bytes`);
  });

  it('warns about a record longer than the snaplen and reads on', () => {
    const bytes = readBytes(sample).slice();
    const view = new DataView(bytes.buffer);
    view.setUint32(16, 64, true); // snaplen 64, below the file's largest packets
    const got = readChunked(bytes, [bytes.length]);
    expect(got.fatal).toBeNull();
    expect(got.records.length).toBe(readChunked(readBytes(sample), [bytes.length]).records.length);
    expect(got.issues.some((i) => /record length \d+ exceeds snaplen 64/.test(i))).toBe(true);
  });

  it('stops at a pcapng block whose trailer length disagrees', () => {
    const path = fixtureFiles().find((f) => f.endsWith('.pcapng'))!;
    const bytes = readBytes(path).slice();
    const whole = readChunked(bytes, [bytes.length]);
    expect(whole.records.length).toBeGreaterThan(3);
    const blockOffset = Number(whole.records[2].split(' ')[8]);
    const view = new DataView(bytes.buffer);
    const length = view.getUint32(blockOffset + 4, true);
    view.setUint32(blockOffset + length - 4, length + 8, true);
    const got = readChunked(bytes, [33]);
    expect(got.records).toEqual(whole.records.slice(0, 2));
    expect(got.fatal).toContain(
      `block at offset ${blockOffset}: total length ${length} in its header but ${length + 8} in its trailer`,
    );
  });

  it('stops at a pcapng block length that is not a multiple of 4', () => {
    const path = fixtureFiles().find((f) => f.endsWith('.pcapng'))!;
    const bytes = readBytes(path).slice();
    const whole = readChunked(bytes, [bytes.length]);
    const blockOffset = Number(whole.records[1].split(' ')[8]);
    new DataView(bytes.buffer).setUint32(blockOffset + 4, 0x7fff_fff1, true);
    const got = readChunked(bytes, [5]);
    expect(got.records).toEqual(whole.records.slice(0, 1));
    expect(got.fatal).toContain(`at offset ${blockOffset} has an impossible length 2147483633`);
  });

  it('says what a non-capture file starts with', () => {
    const got = readChunked(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), [3]);
    expect(got.format).toBeNull();
    expect(got.fatal).toBe(
      'not a pcap or pcapng capture: it starts with 47 45 54 20, which is neither a pcap magic (a1b2c3d4, a1b23c4d) nor a pcapng section header (0a0d0d0a)',
    );
  });

  it('reports an empty file and a file too short for a header', () => {
    expect(readChunked(new Uint8Array(0), [1]).fatal).toBe('the file is empty');
    expect(readChunked(new Uint8Array([0xd4, 0xc3]), [1]).fatal).toBe(
      'the file is 2 bytes long, too short for a capture header',
    );
    const header = readBytes(sample).slice(0, 10);
    const got = readChunked(header, [4]);
    expect(got.records).toEqual([]);
    expect(got.issues[0]).toContain('the capture ends in the middle of a file header: 10 of 24 bytes');
  });

  it('throws only for a programming mistake: pushing before the previous chunk is consumed', () => {
    const reader = new CaptureReader();
    const bytes = readBytes(sample);
    reader.push(bytes);
    expect(reader.next()).toBe(true);
    expect(() => reader.push(bytes)).toThrow(/before next\(\) returned false/);
  });
});

describe('pcap and pcapng formats', () => {
  it('reads both byte orders of the same records', () => {
    const bytes = readBytes(fixtureFiles().find((f) => f.endsWith('eth-tcp-udp-icmp.pcap'))!);
    const swapped = swapPcap(bytes);
    const a = readChunked(bytes, [bytes.length]);
    const b = readChunked(swapped, [bytes.length]);
    expect(b.records).toEqual(a.records);
  });

  it('reads nanosecond pcap and pcapng timestamps to the nanosecond', () => {
    const ns = readChunked(readBytes(fixtureFiles().find((f) => f.endsWith('nsec.pcap'))!), [100000]);
    const fractions = ns.records.map((r) => Number(r.split(' ')[4]));
    expect(fractions.some((n) => n % 1000 !== 0)).toBe(true);
    const ng = readChunked(
      readBytes(fixtureFiles().find((f) => f.endsWith('pcapng-nsec.pcapng'))!),
      [100000],
    );
    expect(JSON.parse(ng.interfaces[0]).precisionDigits).toBe(9);
  });
});

/** The same pcap written big-endian: header and record-header fields byte-swapped. */
function swapPcap(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const src = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dst = new DataView(out.buffer);
  dst.setUint32(0, src.getUint32(0, true), false);
  dst.setUint16(4, src.getUint16(4, true), false);
  dst.setUint16(6, src.getUint16(6, true), false);
  for (const o of [8, 12, 16, 20]) dst.setUint32(o, src.getUint32(o, true), false);
  let at = 24;
  while (at + 16 <= bytes.length) {
    const length = src.getUint32(at + 8, true);
    for (let o = 0; o < 16; o += 4) dst.setUint32(at + o, src.getUint32(at + o, true), false);
    at += 16 + length;
  }
  return out;
}
