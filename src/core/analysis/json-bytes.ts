import { utf8 } from '../capture/index.js';

/**
 * JSON text built as bytes in one growing buffer. A flow list is tens of megabytes of small
 * numbers and addresses; as JavaScript strings it made garbage faster than the collector
 * could clear it (most of a second for 50,000 flows), as bytes it makes none.
 *
 * Strings passed to `ascii` must be ASCII without characters JSON escapes (field names,
 * protocol names, formatted addresses); anything else goes through `string`, which escapes.
 */
export class JsonBytes {
  bytes: Uint8Array;
  length = 0;

  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(capacity);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < this.length + n) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  ascii(text: string): void {
    const n = text.length;
    this.reserve(n);
    const b = this.bytes;
    let at = this.length;
    for (let i = 0; i < n; i++) b[at++] = text.charCodeAt(i);
    this.length = at;
  }

  /** Pre-encoded bytes (a fragment written for every flow); a loop beats TypedArray#set at this size. */
  raw(fragment: Uint8Array): void {
    const n = fragment.length;
    this.reserve(n);
    const b = this.bytes;
    let at = this.length;
    for (let i = 0; i < n; i++) b[at++] = fragment[i];
    this.length = at;
  }

  byte(c: number): void {
    this.reserve(1);
    this.bytes[this.length++] = c;
  }

  /** A non-negative integer below 2^53 (counts, ports, byte totals). */
  uint(n: number): void {
    this.reserve(16);
    this.length = putUint(this.bytes, this.length, n);
  }

  /** `digits` digits of n (below 2^31), zero-padded on the left. */
  padded(n: number, digits: number): void {
    this.reserve(digits);
    this.length = putPadded(this.bytes, this.length, n, digits);
  }

  /** Dotted quad of an IPv4 address held as a number. */
  ipv4(address: number): void {
    this.reserve(15);
    this.length = putIpv4(this.bytes, this.length, address);
  }

  /** Any string, quoted and escaped as JSON. */
  string(text: string): void {
    this.utf8(JSON.stringify(text));
  }

  /** Any text as UTF-8 (already valid JSON where it is placed). */
  utf8(text: string): void {
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c < 0x80) {
        this.byte(c);
        continue;
      }
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      if (c < 0x800) {
        this.byte(0xc0 | (c >> 6));
        this.byte(0x80 | (c & 0x3f));
      } else if (c < 0x10000) {
        this.byte(0xe0 | (c >> 12));
        this.byte(0x80 | ((c >> 6) & 0x3f));
        this.byte(0x80 | (c & 0x3f));
      } else {
        this.byte(0xf0 | (c >> 18));
        this.byte(0x80 | ((c >> 12) & 0x3f));
        this.byte(0x80 | ((c >> 6) & 0x3f));
        this.byte(0x80 | (c & 0x3f));
      }
    }
  }

  /** The bytes written so far; valid until the next write or `clear`. */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }

  toString(): string {
    return utf8(this.bytes, 0, this.length);
  }
}

/** ASCII text as bytes, for fragments written over and over. */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/*
 * Unchecked writers over a buffer the caller reserved room in: each writes at `at` and
 * returns where it stopped. Small and monomorphic, so V8 inlines them into the flow writer.
 */

export function putBytes(b: Uint8Array, at: number, fragment: Uint8Array): number {
  const n = fragment.length;
  // A loop beats set()'s call for the short fragments most are; names and identities are long.
  if (n > 48) b.set(fragment, at);
  else for (let i = 0; i < n; i++) b[at + i] = fragment[i];
  return at + n;
}

/** ASCII text without characters JSON escapes. */
export function putAscii(b: Uint8Array, at: number, text: string): number {
  const n = text.length;
  for (let i = 0; i < n; i++) b[at + i] = text.charCodeAt(i);
  return at + n;
}

/** A non-negative integer below 2^53. */
export function putUint(b: Uint8Array, at: number, n: number): number {
  if (n >= 0x80000000) {
    let digits = 0;
    for (let x = n; x >= 1; x = Math.floor(x / 10)) digits++;
    let to = at + digits;
    for (let x = n; x >= 1; x = Math.floor(x / 10)) b[--to] = 48 + (x % 10);
    return at + digits;
  }
  let x = n | 0;
  const digits =
    x < 10
      ? 1
      : x < 100
        ? 2
        : x < 1000
          ? 3
          : x < 10000
            ? 4
            : x < 100000
              ? 5
              : x < 1000000
                ? 6
                : x < 10000000
                  ? 7
                  : x < 100000000
                    ? 8
                    : x < 1000000000
                      ? 9
                      : 10;
  let to = at + digits;
  do {
    const q = (x / 10) | 0;
    b[--to] = 48 + x - q * 10;
    x = q;
  } while (x !== 0);
  return at + digits;
}

/** `digits` digits of n (below 2^31), zero-padded on the left. */
export function putPadded(b: Uint8Array, at: number, n: number, digits: number): number {
  let x = n | 0;
  for (let to = at + digits - 1; to >= at; to--) {
    const q = (x / 10) | 0;
    b[to] = 48 + x - q * 10;
    x = q;
  }
  return at + digits;
}

/** Dotted quad of an IPv4 address held as a number. */
export function putIpv4(b: Uint8Array, at: number, address: number): number {
  at = putUint(b, at, address >>> 24);
  b[at++] = 46;
  at = putUint(b, at, (address >>> 16) & 0xff);
  b[at++] = 46;
  at = putUint(b, at, (address >>> 8) & 0xff);
  b[at++] = 46;
  return putUint(b, at, address & 0xff);
}

const FLAG_LETTERS = [70, 83, 82, 80, 65, 85, 69, 67]; // F S R P A U E C

/** tcpdump-style letters of TCP flags ("SA" for SYN+ACK), as tcpFlagLetters spells them. */
export function putTcpFlags(b: Uint8Array, at: number, flags: number): number {
  for (let i = 0; i < 8; i++) if ((flags & (1 << i)) !== 0) b[at++] = FLAG_LETTERS[i];
  return at;
}
