// MurmurHash3's 32-bit mixing steps over whole words: cheap, and good enough spread for
// open addressing on keys that differ in a few bits (neighbouring pod addresses and ports).

export function mixWord(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** A cheaper step for the per-packet flow lookup: multiply-rotate, then finishHash avalanches. */
export function mix(h: number, word: number): number {
  h = Math.imul(h ^ word, 0x9e3779b1);
  return (h << 13) | (h >>> 19);
}

export function finishHash(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of `words[0, length)`. */
export function hashWords(words: Uint32Array, length: number): number {
  let h = 0x2545f491;
  for (let i = 0; i < length; i++) h = mixWord(h, words[i]);
  return finishHash(h, length);
}

/** The smallest power of two at least `n`. */
export function powerOfTwoAtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
