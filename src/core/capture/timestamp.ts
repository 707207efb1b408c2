/**
 * Timestamps as whole seconds plus nanoseconds: a pcapng timestamp is a 64-bit count of
 * units (1e9 per second for tsresol 9), beyond the 2^53 a double holds exactly, so it is
 * divided in 16-bit steps instead of being turned into one number.
 */

/** Result slots of divide64, reused so the per-packet path allocates nothing. */
export const quotient = { value: 0, remainder: 0 };

/**
 * (hi * 2^32 + lo) / divisor for divisor < 2^36: each step keeps remainder * 65536 + limb
 * under 2^53. Writes `quotient.value` (exact below 2^53) and `quotient.remainder`.
 */
export function divide64(hi: number, lo: number, divisor: number): void {
  let cur = hi >>> 16;
  let q = Math.floor(cur / divisor);
  let r = cur - q * divisor;
  cur = r * 65536 + (hi & 0xffff);
  let d = Math.floor(cur / divisor);
  r = cur - d * divisor;
  q = q * 65536 + d;
  cur = r * 65536 + (lo >>> 16);
  d = Math.floor(cur / divisor);
  r = cur - d * divisor;
  q = q * 65536 + d;
  cur = r * 65536 + (lo & 0xffff);
  d = Math.floor(cur / divisor);
  r = cur - d * divisor;
  quotient.value = q * 65536 + d;
  quotient.remainder = r;
}

const MAX_ISO_SECONDS = 8.64e12; // Date's limit is 8.64e15 ms

/**
 * ISO-8601 in UTC with `digits` fractional digits (6 for µs captures, 9 for ns):
 * 2024-05-01T12:00:00.123456Z. Seconds outside Date's range print as a plain number.
 */
export function formatTimestamp(seconds: number, nanos: number, digits: number): string {
  if (!Number.isFinite(seconds) || Math.abs(seconds) > MAX_ISO_SECONDS) return `${seconds}.${nanos}`;
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (digits <= 0) return `${whole}Z`;
  const fraction = String(nanos).padStart(9, '0').slice(0, Math.min(digits, 9));
  return `${whole}.${fraction}Z`;
}

/** Decimal digits that show every distinct timestamp at a resolution of `unitsPerSecond`. */
export function precisionDigits(unitsPerSecond: number): number {
  if (unitsPerSecond <= 1) return 0;
  return Math.min(9, Math.ceil(Math.log10(unitsPerSecond) - 1e-9));
}
