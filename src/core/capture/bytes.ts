// Integer reads from a byte array in either byte order. Kept as plain functions over
// Uint8Array (no DataView per chunk or per record) so the hot loops stay allocation-free.

export function u16le(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

export function u16be(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

export function u32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

export function u32be(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

export function u16(b: Uint8Array, at: number, littleEndian: boolean): number {
  return littleEndian ? u16le(b, at) : u16be(b, at);
}

export function u32(b: Uint8Array, at: number, littleEndian: boolean): number {
  return littleEndian ? u32le(b, at) : u32be(b, at);
}

/** Hex of up to `count` bytes, for error messages ("starts with 06 00 00 00"). */
export function hexBytes(b: Uint8Array, at: number, count: number): string {
  const parts: string[] = [];
  for (let i = at; i < at + count && i < b.length; i++) parts.push(b[i].toString(16).padStart(2, '0'));
  return parts.join(' ');
}
