import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixtureFiles, readBytes } from '../../../test/support/files.js';
import { CaptureReader, LinkType, PcapWriter } from './index.js';

function readAll(bytes: Uint8Array) {
  const reader = new CaptureReader();
  reader.push(bytes);
  const out = [];
  while (reader.next()) {
    const r = reader.record;
    out.push({
      tsSeconds: r.tsSeconds,
      tsNanos: r.tsNanos,
      originalLength: r.originalLength,
      data: Array.from(r.bytes.subarray(r.start, r.start + r.capturedLength)),
      linkType: r.linkType,
    });
  }
  reader.end();
  return { records: out, issues: reader.issues };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('PcapWriter', () => {
  it('rewrites a real capture record for record, byte for byte', () => {
    const path = fixtureFiles().find((f) => f.endsWith('corpus/eth-tcp-udp-icmp.pcap'))!;
    const original = readBytes(path);
    const { records } = readAll(original);
    const writer = new PcapWriter({ linkType: LinkType.ETHERNET });
    const copy = concat([
      writer.header(),
      ...records.map((r) => writer.record(r.tsSeconds, r.tsNanos, Uint8Array.from(r.data), r.originalLength)),
    ]);
    expect(copy).toEqual(original);
  });

  it('round-trips any records through the reader, µs and ns', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(
          fc.record({
            s: fc.nat(0xffffffff),
            ns: fc.nat(999_999_999),
            data: fc.uint8Array({ maxLength: 300 }),
          }),
          { maxLength: 20 },
        ),
        (nanoseconds, packets) => {
          const writer = new PcapWriter({ linkType: LinkType.RAW, nanoseconds, snapLength: 256 });
          const bytes = concat([writer.header(), ...packets.map((p) => writer.record(p.s, p.ns, p.data))]);
          const { records, issues } = readAll(bytes);
          expect(issues).toEqual([]);
          expect(
            records.map((r) => [r.tsSeconds, r.tsNanos, r.originalLength, r.data.length, r.linkType]),
          ).toEqual(
            packets.map((p) => [
              p.s,
              nanoseconds ? p.ns : Math.floor(p.ns / 1000) * 1000,
              p.data.length,
              Math.min(256, p.data.length),
              LinkType.RAW,
            ]),
          );
        },
      ),
    );
  });

  it('refuses timestamps a pcap cannot hold', () => {
    const writer = new PcapWriter({ linkType: LinkType.ETHERNET });
    expect(() => writer.record(-1, 0, new Uint8Array(1))).toThrow(RangeError);
    expect(() => writer.record(1, 1e9, new Uint8Array(1))).toThrow(RangeError);
  });
});
