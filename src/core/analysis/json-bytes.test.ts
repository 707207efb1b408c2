import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonBytes, putTcpFlags } from './json-bytes.js';
import { tcpFlagLetters } from '../decode/index.js';

describe('JsonBytes', () => {
  it('writes integers as JSON.stringify does, up to 2^53', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.nat(0x7fffffff), (big, small) => {
        const out = new JsonBytes(4);
        out.uint(big);
        out.byte(44);
        out.uint(small);
        expect(out.toString()).toBe(`${big},${small}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('quotes and escapes any string as UTF-8 JSON', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const out = new JsonBytes(1);
        out.string(text);
        expect(JSON.parse(out.toString())).toBe(JSON.parse(JSON.stringify(text)));
        expect(Buffer.from(out.view()).toString('utf8')).toBe(JSON.stringify(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('writes addresses, padded fractions and TCP flags', () => {
    const out = new JsonBytes(2);
    out.ipv4(0x0af40102);
    out.byte(32);
    out.padded(42, 6);
    expect(out.toString()).toBe('10.244.1.2 000042');
    for (let flags = 0; flags < 256; flags++) {
      const b = new Uint8Array(8);
      expect(Buffer.from(b.subarray(0, putTcpFlags(b, 0, flags))).toString()).toBe(tcpFlagLetters(flags));
    }
  });
});
