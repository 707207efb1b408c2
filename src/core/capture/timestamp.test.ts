import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { divide64, formatTimestamp, precisionDigits, quotient } from './timestamp.js';

describe('formatTimestamp', () => {
  it('agrees with Date for any second from 1900 to 2200', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -2208988800, max: 7258118400 }),
        fc.integer({ min: 0, max: 999_999_999 }),
        (s, ns) => {
          const iso = new Date(s * 1000).toISOString().slice(0, 19);
          expect(formatTimestamp(s, ns, 9)).toBe(`${iso}.${String(ns).padStart(9, '0')}Z`);
          expect(formatTimestamp(s, ns, 6)).toBe(`${iso}.${String(ns).padStart(9, '0').slice(0, 6)}Z`);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('prints the precision asked for', () => {
    expect(formatTimestamp(0, 0, 6)).toBe('1970-01-01T00:00:00.000000Z');
    expect(formatTimestamp(1700000000, 123456789, 9)).toBe('2023-11-14T22:13:20.123456789Z');
    expect(formatTimestamp(951782400, 5000, 6)).toBe('2000-02-29T00:00:00.000005Z');
    expect(formatTimestamp(1e13, 1, 6)).toBe('10000000000000.1');
  });
});

describe('divide64', () => {
  it('divides 64-bit unit counts exactly', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.constantFrom(1000n, 1000000n, 1000000000n, 256n, 3n),
        (v, d) => {
          divide64(Number(v >> 32n), Number(v & 0xffffffffn), Number(d));
          const q = v / d;
          if (q < 1n << 53n) expect(quotient.value).toBe(Number(q));
          expect(quotient.remainder).toBe(Number(v % d));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('counts digits per resolution', () => {
    expect(precisionDigits(1e6)).toBe(6);
    expect(precisionDigits(1e9)).toBe(9);
    expect(precisionDigits(1e3)).toBe(3);
    expect(precisionDigits(1e12)).toBe(9);
  });
});
