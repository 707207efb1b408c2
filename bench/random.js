// Helpers the bench generators share: deterministic randomness, IPv4 numbers, a flow hash.

/** An IPv4 address as an unsigned 32-bit number. */
export function ip(a, b, c, d) {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** A seeded PRNG (mulberry32): the same seed gives the same bytes on every machine. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** murmur3 fmix32, standing in for the kernel's flow hash that picks VXLAN source ports. */
export function fmix32(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Writes a classic pcap file header into `out` (µs magic, version 2.4, snaplen 262144,
 * LINKTYPE_ETHERNET) and returns its length.
 */
export function writePcapHeader(out) {
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeInt32LE(0, 8);
  out.writeUInt32LE(0, 12);
  out.writeUInt32LE(262144, 16);
  out.writeUInt32LE(1, 20);
  return 24;
}
