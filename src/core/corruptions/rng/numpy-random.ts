/**
 * A bit-exact port of numpy's legacy `RandomState` (numpy 1.24: `np.random.seed(s)` followed by the global
 * `np.random.*` functions), enough to replay the random ImageNet-C corruptions of imagecorruptions 1.1.2
 * (SPEC.md §4). Pure TypeScript, no DOM or Node APIs.
 *
 * What is ported, with the numpy source it follows:
 * - MT19937 (`numpy/random/src/mt19937/mt19937.c`): `mt19937_seed` (init_genrand; what `RandomState.seed(int)` /
 *   `MT19937._legacy_seeding` uses for an integer seed), `mt19937_init_by_array` (what it uses for an array
 *   seed such as `seed([s])`), `mt19937_gen`, tempering.
 * - `random_sample` / `Generator.random` (`mt19937_next_double`): `((a >>> 5)·2^26 + (b >>> 6)) / 2^53`.
 * - `standard_normal` / `normal` (`legacy_gauss` in `legacy-distributions.c`): polar Box–Muller whose second
 *   value is cached; the cache survives across calls and array elements and is cleared by seeding.
 * - `uniform(low, high)` (`random_uniform`): `low + (high − low)·random_sample()`.
 * - `randint(low, high)` (`_bounded_integers.pyx` → `random_bounded_uint64_fill` with `use_masked=True`): for a
 *   range below 2^32, masked rejection on 32-bit draws; `choice(n)` without `p` is `randint(0, n)`.
 * - `poisson(lam)` (`legacy_random_poisson` → `random_poisson` in `distributions.c`): multiplication method for
 *   lam < 10, PTRS (Hörmann 1993) for lam ≥ 10, with numpy's `random_loggam`.
 *
 * Speed: MT19937's block step (and the 312 doubles of a block) runs in ./mt19937-block.ts (WebAssembly SIMD where
 * available); `nextDouble` hands out the precomputed doubles. `polarDraw` / `polarFactorFast` let bulk callers that
 * can bound the effect of the last bits (the noise corruptions) skip the exact logarithm.
 *
 * Floating point: every operation is IEEE binary64 as in C. `log` is `exactLog` (correctly rounded), not
 * `Math.log`, which differs from glibc in the last bit for a few percent of inputs; glibc itself misrounds about
 * 0.05 % of inputs, so about one normal pair in 2000 may still be 1 ulp off (never visible after the uint8
 * truncation in practice). `exp` (Poisson λ < 10) is `Math.exp`; it only enters a comparison.
 */

import * as log from './exact-log';
import * as block from './mt19937-block';
import type { Mt19937Block } from './mt19937-block';

// Module-local copies: test and bench transforms turn imported bindings into getter calls, which would sit in the
// per-draw paths.
const exactLog = log.exactLog;
const createMt19937Block = block.createMt19937Block;
const TWO_M53 = block.TWO_M53;

const N = 624;

export type SeedLike = number | ArrayLike<number>;

function checkUint32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} must be an integer in [0, 2**32 - 1], got ${v}`);
  return v >>> 0;
}

/** Snapshot of the generator (what `RandomState.get_state()` returns, as a plain object). */
export interface RandomStateSnapshot {
  key: Uint32Array;
  pos: number;
  hasGauss: boolean;
  gauss: number;
}

export class RandomState {
  /** The state and the outputs of the current block (MT19937's block step runs there). */
  private readonly block: Mt19937Block = createMt19937Block();
  /** The 624 state words (bit patterns as int32). */
  private readonly mt = this.block.mt;
  /** The tempered outputs of the current block: `words[i]` = temper(`mt[i]`), valid once generated. */
  private readonly words = this.block.words;
  /** `doubles[k]` = the `random_sample` value of the words 2k, 2k+1 of the current block. */
  private readonly doubles = this.block.doubles;
  /** The next word of the block to hand out (624: the block is used up). */
  private pos = N;
  /** x1 and x2 of the last `polarDraw()`. */
  polarX1 = 0;
  polarX2 = 0;
  private hasGauss = false;
  private gaussValue = 0;

  /** `new RandomState(s)` ≡ `np.random.RandomState(s)` / `np.random.seed(s)`. */
  constructor(seed: SeedLike = 0) {
    this.seed(seed);
  }

  /**
   * `np.random.seed(seed)`: an integer uses init_genrand (`mt19937_seed`), an array uses `init_by_array`
   * (numpy's `_legacy_seeding`). Clears the cached normal.
   */
  seed(seed: SeedLike): void {
    if (typeof seed === 'number') this.seedInt(seed);
    else this.seedArray(seed);
  }

  private seedInt(seed: number): void {
    let s = checkUint32(seed, 'seed');
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      mt[i] = s;
      s = (Math.imul(1812433253, (s ^ (s >>> 30)) >>> 0) + i + 1) >>> 0;
    }
    this.pos = N;
    this.hasGauss = false;
    this.gaussValue = 0;
  }

  private seedArray(keys: ArrayLike<number>): void {
    const len = keys.length;
    if (len === 0) throw new RangeError('Seed must be non-empty');
    const key = new Uint32Array(len);
    for (let j = 0; j < len; j++) key[j] = checkUint32(keys[j], 'seed element');
    this.seedInt(19650218);
    const mt = this.mt;
    let i = 1;
    let j = 0;
    for (let k = N > len ? N : len; k; k--) {
      const p = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(p, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= len) j = 0;
    }
    for (let k = N - 1; k; k--) {
      const p = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(p, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.pos = N;
    this.hasGauss = false;
    this.gaussValue = 0;
  }

  getState(): RandomStateSnapshot {
    return { key: Uint32Array.from(this.mt, (v) => v >>> 0), pos: this.pos, hasGauss: this.hasGauss, gauss: this.gaussValue };
  }

  setState(state: RandomStateSnapshot): void {
    if (state.key.length !== N) throw new RangeError('state key must have 624 words');
    this.mt.set(state.key);
    this.block.temper();
    this.pos = state.pos;
    this.hasGauss = state.hasGauss;
    this.gaussValue = state.gauss;
  }

  /** The next 624 state words (`mt19937_gen`), tempered. */
  private generate(): void {
    this.block.generate();
    this.pos = 0;
  }

  /** One tempered 32-bit output (`mt19937_next32`), as an unsigned number. */
  nextUint32(): number {
    if (this.pos >= N) this.generate();
    return this.words[this.pos++] >>> 0;
  }

  /** A double in [0, 1) with 53 random bits (`mt19937_next_double`). */
  nextDouble(): number {
    const p = this.pos;
    // At an even position inside the block the pair's double is precomputed.
    if ((p & 1) === 0 && p < N) {
      this.pos = p + 2;
      return this.doubles[p >> 1];
    }
    return this.nextDoubleSlow();
  }

  /** `nextDouble` at the end of a block, or at an odd position (after an odd number of 32-bit draws). */
  private nextDoubleSlow(): number {
    if (this.pos === N) {
      this.generate();
      this.pos = 2;
      return this.doubles[0];
    }
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) * TWO_M53;
  }

  /** `random_sample()` / `random_sample(size)` (also `np.random.random`, `rand`, and `Generator.random()`). */
  randomSample(): number;
  randomSample(size: number): Float64Array;
  randomSample(size?: number): number | Float64Array {
    if (size === undefined) return this.nextDouble();
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) out[i] = this.nextDouble();
    return out;
  }

  /** Fills `out` with `random_sample` draws in order. */
  randomSampleInto(out: Float64Array): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = this.nextDouble();
    return out;
  }

  /** `legacy_gauss`: one standard normal, using (and refilling) the cached second value. */
  gauss(): number {
    if (this.hasGauss) {
      const tmp = this.gaussValue;
      this.hasGauss = false;
      this.gaussValue = 0;
      return tmp;
    }
    const r2 = this.polarDraw();
    const f = polarFactor(r2);
    this.gaussValue = f * this.polarX1;
    this.hasGauss = true;
    return f * this.polarX2;
  }

  /** Whether the next `gauss()` returns the cached second value of a pair (no draws). */
  hasCachedGauss(): boolean {
    return this.hasGauss;
  }

  /**
   * The rejection loop of `legacy_gauss`: draws x1 = 2u−1, x2 = 2u−1 until 0 < r2 = x1² + x2² < 1 and returns r2
   * (x1, x2 in `polarX1`, `polarX2`). The pair of normals is `polarFactor(r2)·x2` (returned first) and
   * `polarFactor(r2)·x1` (cached). For bulk callers that bypass the cache; they must not interleave it with a
   * pending cached value (`hasCachedGauss()`).
   */
  polarDraw(): number {
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      const p = this.pos;
      if ((p & 1) === 0 && p <= N - 4) {
        // Both doubles precomputed in the current block (the common case).
        this.pos = p + 4;
        x1 = 2.0 * this.doubles[p >> 1] - 1.0;
        x2 = 2.0 * this.doubles[(p >> 1) + 1] - 1.0;
      } else {
        x1 = 2.0 * this.nextDouble() - 1.0;
        x2 = 2.0 * this.nextDouble() - 1.0;
      }
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    this.polarX1 = x1;
    this.polarX2 = x2;
    return r2;
  }

  /** `standard_normal()` / `randn()`; with `size`, an array drawn in C order. */
  standardNormal(): number;
  standardNormal(size: number): Float64Array;
  standardNormal(size?: number): number | Float64Array {
    if (size === undefined) return this.gauss();
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) out[i] = this.gauss();
    return out;
  }

  /** `normal(loc, scale)` = `loc + scale·gauss()` (`legacy_normal`). */
  normal(loc?: number, scale?: number): number;
  normal(loc: number, scale: number, size: number): Float64Array;
  normal(loc = 0.0, scale = 1.0, size?: number): number | Float64Array {
    if (!(scale >= 0)) throw new RangeError('scale < 0');
    if (size === undefined) return loc + scale * this.gauss();
    return this.normalInto(new Float64Array(size), loc, scale);
  }

  /** Fills `out` with `normal(loc, scale)` draws in order. */
  normalInto(out: Float64Array, loc = 0.0, scale = 1.0): Float64Array {
    const n = out.length;
    let i = 0;
    if (n > 0 && this.hasGauss) out[i++] = loc + scale * this.gauss();
    // Whole pairs without the cache round trip; the same values as gauss() in the same order.
    for (; i + 1 < n; i += 2) {
      const r2 = this.polarDraw();
      const f = polarFactor(r2);
      out[i] = loc + scale * (f * this.polarX2);
      out[i + 1] = loc + scale * (f * this.polarX1);
    }
    if (i < n) out[i] = loc + scale * this.gauss();
    return out;
  }

  /**
   * `normalInto` with `polarFactorFast` (V8's log): the same draws, but each value can be a few ulps off numpy's.
   * Only for callers that check that so small a difference cannot change their result, and otherwise replay the
   * draws exactly with `normalInto` from a state saved with `getState()`.
   */
  normalFastInto(out: Float64Array, loc = 0.0, scale = 1.0): Float64Array {
    const n = out.length;
    let i = 0;
    if (n > 0 && this.hasGauss) out[i++] = loc + scale * this.gauss();
    for (; i + 1 < n; i += 2) {
      const r2 = this.polarDraw();
      const f = polarFactorFast(r2);
      out[i] = loc + scale * (f * this.polarX2);
      out[i + 1] = loc + scale * (f * this.polarX1);
    }
    if (i < n) out[i] = loc + scale * this.gauss();
    return out;
  }

  /** `uniform(low, high)` = `low + (high − low)·random_sample()` (`random_uniform`, range computed once). */
  uniform(low?: number, high?: number): number;
  uniform(low: number, high: number, size: number): Float64Array;
  uniform(low = 0.0, high = 1.0, size?: number): number | Float64Array {
    const range = high - low;
    if (!Number.isFinite(range)) throw new RangeError('Range exceeds valid bounds');
    if (size === undefined) return low + range * this.nextDouble();
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) out[i] = low + range * this.nextDouble();
    return out;
  }

  /**
   * One bounded integer in [off, off + rng] (`random_bounded_uint64` with `use_masked`), for 0 ≤ rng < 2^32.
   * numpy's `buffered_bounded_masked_uint32` draws a full 32-bit word per try (no buffering at 32 bits).
   */
  private boundedMasked(off: number, rng: number): number {
    if (rng === 0) return off;
    if (rng === 0xffffffff) return off + this.nextUint32();
    let mask = rng;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let v: number;
    while ((v = (this.nextUint32() & mask) >>> 0) > rng);
    return off + v;
  }

  /**
   * `randint(low, high)` with `high` exclusive (`randint(n)` ≡ `randint(0, n)`), default dtype int64, masked
   * rejection sampling. Ranges of 2^32 or more (which numpy serves from 64-bit draws) are not supported.
   */
  randint(low: number, high?: number): number;
  randint(low: number, high: number | undefined, size: number): Float64Array;
  randint(low: number, high?: number, size?: number): number | Float64Array {
    if (high === undefined) {
      high = low;
      low = 0;
    }
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) throw new RangeError('randint bounds must be integers');
    if (low > high - 1) throw new RangeError('low >= high');
    const rng = high - 1 - low;
    if (rng > 0xffffffff) throw new RangeError('randint ranges of 2**32 or more are not supported');
    if (size === undefined) return this.boundedMasked(low, rng);
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) out[i] = this.boundedMasked(low, rng);
    return out;
  }

  /** `choice(n)` / `choice(n, size)` with replacement and uniform probabilities (= `randint(0, n)`). */
  choice(n: number): number;
  choice(n: number, size: number): Float64Array;
  choice(n: number, size?: number): number | Float64Array {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError('a must be a positive integer');
    return size === undefined ? this.randint(0, n) : this.randint(0, n, size);
  }

  /** One Poisson draw (`random_poisson`). */
  poissonOne(lam: number): number {
    return this.poissonPlanned(poissonPlan(lam));
  }

  /**
   * One Poisson draw with the per-λ constants precomputed by `poissonPlan` (the same numbers numpy recomputes on
   * every call), for callers that draw many times with few distinct λ (shot_noise: 256).
   */
  poissonPlanned(plan: PoissonPlan): number {
    if (plan.kind === 0) return 0;
    if (plan.kind === 1) {
      let x = 0;
      let prod = 1.0;
      for (;;) {
        prod *= this.nextDouble();
        if (prod > plan.enlam) x += 1;
        else return x;
      }
    }
    const { lam, a, b, vr, loglam, logInvalpha } = plan;
    for (;;) {
      const U = this.nextDouble() - 0.5;
      const V = this.nextDouble();
      const us = 0.5 - Math.abs(U);
      const k = Math.floor(((2 * a) / us + b) * U + lam + 0.43);
      if (us >= 0.07 && V <= vr) return k;
      if (k < 0 || (us < 0.013 && V > us)) continue;
      // numpy: log(V) + log(invalpha) − log(a/us² + b) <= −λ + k·log λ − loggam(k+1). Decide with the fast
      // Math.log first; only a near-tie (|Δ| within a margin far above the few-ulp log differences) needs the
      // correctly rounded logs.
      const den = a / (us * us) + b;
      const fl = Math.log(V) + logInvalpha - Math.log(den);
      const fr = -lam + k * loglam - loggam(k + 1, Math.log);
      const margin = 1e-9 * (Math.abs(fl) + Math.abs(fr) + 1);
      if (fl < fr - margin) return k;
      if (fl > fr + margin) continue;
      if (exactLog(V) + logInvalpha - exactLog(den) <= -lam + k * loglam - loggam(k + 1, exactLog)) return k;
    }
  }

  /** `poisson(lam)`, `poisson(lam, size)`, or one draw per element of an array of `lam` (C order). */
  poisson(lam: number): number;
  poisson(lam: number, size: number): Float64Array;
  poisson(lam: ArrayLike<number>): Float64Array;
  poisson(lam: number | ArrayLike<number>, size?: number): number | Float64Array {
    if (typeof lam === 'number') {
      if (size === undefined) return this.poissonOne(lam);
      const out = new Float64Array(size);
      for (let i = 0; i < size; i++) out[i] = this.poissonOne(lam);
      return out;
    }
    const out = new Float64Array(lam.length);
    for (let i = 0; i < lam.length; i++) out[i] = this.poissonOne(lam[i]);
    return out;
  }
}

/** Per-λ constants of numpy's Poisson samplers (`random_poisson`): kind 0 = λ 0, 1 = multiplication, 2 = PTRS. */
export interface PoissonPlan {
  lam: number;
  kind: 0 | 1 | 2;
  /** exp(−λ) (multiplication method). */
  enlam: number;
  a: number;
  b: number;
  vr: number;
  loglam: number;
  logInvalpha: number;
}

/** The constants `random_poisson_mult` / `random_poisson_ptrs` compute for `lam`, in numpy's arithmetic. */
export function poissonPlan(lam: number): PoissonPlan {
  if (!(lam >= 0)) throw new RangeError('lam < 0 or NaN');
  const plan: PoissonPlan = { lam, kind: 2, enlam: 0, a: 0, b: 0, vr: 0, loglam: 0, logInvalpha: 0 };
  if (lam >= 10) {
    const slam = Math.sqrt(lam);
    plan.loglam = exactLog(lam);
    plan.b = 0.931 + 2.53 * slam;
    plan.a = -0.059 + 0.02483 * plan.b;
    const invalpha = 1.1239 + 1.1328 / (plan.b - 3.4);
    plan.logInvalpha = exactLog(invalpha);
    plan.vr = 0.9277 - 3.6224 / (plan.b - 2);
  } else if (lam === 0) plan.kind = 0;
  else {
    plan.kind = 1;
    plan.enlam = Math.exp(-lam);
  }
  return plan;
}

/** Box–Muller's `f = sqrt(−2·log(r2)/r2)` of `legacy_gauss`, with the correctly rounded log numpy gets from glibc. */
export function polarFactor(r2: number): number {
  return Math.sqrt((-2.0 * exactLog(r2)) / r2);
}

/**
 * `polarFactor` with V8's `Math.log`, which is faithful (< 1 ulp) but not always correctly rounded: the result can
 * be a few ulps off numpy's. Only for callers that check whether so small a difference could change their result
 * and then recompute with `polarFactor`.
 */
export function polarFactorFast(r2: number): number {
  return Math.sqrt((-2.0 * Math.log(r2)) / r2);
}

/** 0.5·log(2π) as `random_loggam` computes it (`0.5 * log(2 * M_PI)`). */
const HALF_LOG_2PI = 0.5 * exactLog(2 * Math.PI);

const LOGGAM_A = [
  8.333333333333333e-2, -2.777777777777778e-3, 7.936507936507937e-4, -5.952380952380952e-4, 8.417508417508418e-4,
  -1.917526917526918e-3, 6.410256410256410e-3, -2.955065359477124e-2, 1.796443723688307e-1, -1.3924322169059e0,
];

/** numpy's `random_loggam` (log Γ(x), SPECFUN algorithm), used by PTRS. */
export function randomLoggam(x: number): number {
  return loggam(x, exactLog);
}

function loggam(x: number, log: (v: number) => number): number {
  let x0 = x;
  let n = 0;
  if (x === 1.0 || x === 2.0) return 0.0;
  if (x <= 7.0) {
    n = Math.trunc(7 - x);
    x0 = x + n;
  }
  const x2 = 1.0 / (x0 * x0);
  let gl0 = LOGGAM_A[9];
  for (let k = 8; k >= 0; k--) {
    gl0 *= x2;
    gl0 += LOGGAM_A[k];
  }
  let gl = gl0 / x0 + HALF_LOG_2PI + (x0 - 0.5) * log(x0) - x0;
  if (x <= 7.0) {
    for (let k = 1; k <= n; k++) {
      gl -= log(x0 - 1.0);
      x0 -= 1.0;
    }
  }
  return gl;
}

/**
 * A fresh generator seeded like `np.random.seed(seed)`. Without a seed it behaves like unseeded numpy (a
 * non-reproducible seed); pass the per-output seed of `params.json` (SPEC.md §4) to replay the reference.
 */
export function seededRandomState(seed: number | undefined): RandomState {
  return new RandomState(seed === undefined ? Math.floor(Math.random() * 0x100000000) : seed);
}
