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

let cachedSecond = NaN;
let cachedWhole = '';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/**
 * "YYYY-MM-DDTHH:MM:SS" of a whole second since the epoch, by Howard Hinnant's civil-from-days:
 * a flow table prints two timestamps a flow, and Date objects made that the slowest step.
 */
export function wholeSecond(seconds: number): string {
  if (seconds === cachedSecond) return cachedWhole;
  const days = Math.floor(seconds / 86400);
  const secondOfDay = seconds - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(secondOfDay / 3600);
  const minute = Math.floor((secondOfDay % 3600) / 60);
  const second = secondOfDay % 60;
  const yearText =
    year >= 0 && year <= 9999
      ? String(year).padStart(4, '0')
      : year < 0
        ? `-${String(-year).padStart(6, '0')}`
        : `+${String(year).padStart(6, '0')}`;
  cachedSecond = seconds;
  cachedWhole = `${yearText}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}`;
  return cachedWhole;
}

/**
 * ISO-8601 in UTC with `digits` fractional digits (6 for µs captures, 9 for ns):
 * 2024-05-01T12:00:00.123456Z. Seconds outside Date's range print as a plain number.
 */
/** Whether formatTimestamp prints `seconds` as ISO-8601 (else as a plain number). */
export function isIsoSecond(seconds: number): boolean {
  return Number.isFinite(seconds) && Math.abs(seconds) <= MAX_ISO_SECONDS;
}

export function formatTimestamp(seconds: number, nanos: number, digits: number): string {
  if (!isIsoSecond(seconds)) return `${seconds}.${nanos}`;
  const whole = wholeSecond(Math.floor(seconds));
  if (digits <= 0) return `${whole}Z`;
  const fraction = String(nanos).padStart(9, '0');
  return `${whole}.${digits >= 9 ? fraction : fraction.slice(0, digits)}Z`;
}

/** Decimal digits that show every distinct timestamp at a resolution of `unitsPerSecond`. */
export function precisionDigits(unitsPerSecond: number): number {
  if (unitsPerSecond <= 1) return 0;
  return Math.min(9, Math.ceil(Math.log10(unitsPerSecond) - 1e-9));
}
