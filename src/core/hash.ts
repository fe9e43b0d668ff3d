/** Small non-cryptographic hashes, the same in every JavaScript engine (and in the Python test generators). */

/** MurmurHash3's finaliser. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Seeded 32-bit hash of a string: MurmurHash3's body over UTF-16 code units (one per block) and its fmix32
 * finaliser. Deterministic in every engine; different seeds give unrelated orders.
 */
export function seededHash32(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= text.length;
  return fmix32(h);
}

/** A 64-bit digest of a string as 16 hex digits: seededHash32 under two seeds. */
export function digest64(text: string): string {
  return seededHash32(text, 0x9e3779b9).toString(16).padStart(8, '0') + seededHash32(text, 0x85ebca77).toString(16).padStart(8, '0');
}
