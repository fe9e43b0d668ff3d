/**
 * xoshiro128** (Blackman & Vigna), seeded through splitmix32 so that any 32-bit seed gives a well-mixed, non-zero
 * state. Small, fast and the same in every JavaScript engine: same seed → same numbers.
 */
export interface Random32 {
  /** Next uniform 32-bit unsigned integer. */
  next(): number;
  /** Uniform integer in [0, n) for 0 < n ≤ 2³² (bias below n / 2³², negligible for image counts). */
  below(n: number): number;
}

export function xoshiro128FromState(s0: number, s1: number, s2: number, s3: number): Random32 {
  let a = s0 >>> 0;
  let b = s1 >>> 0;
  let c = s2 >>> 0;
  let d = s3 >>> 0;
  const next = () => {
    const x = Math.imul(b, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return result;
  };
  return { next, below: (n) => Math.floor(next() * (n / 4294967296)) };
}

export function xoshiro128(seed: number): Random32 {
  let z = seed >>> 0;
  const splitmix32 = () => {
    z = (z + 0x9e3779b9) >>> 0;
    let t = z;
    t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
    t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
  return xoshiro128FromState(splitmix32(), splitmix32(), splitmix32(), splitmix32());
}
