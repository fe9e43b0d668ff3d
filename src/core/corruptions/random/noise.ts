/**
 * The four noise corruptions of imagecorruptions 1.1.2 (SPEC.md §1–2) on packed RGB, replaying numpy's legacy
 * RandomState. Each returns `np.uint8(np.clip(·, 0, 1) * 255)`: float64 arithmetic, clip, ×255, truncation.
 */
import * as rng from '../rng/numpy-random';
import type { RandomState } from '../rng/numpy-random';
import * as simd from '../simd/kernels';

// Module-local copies: test and bench transforms turn imported bindings into getter calls, which would sit in the
// per-value loops.
const polarFactor = rng.polarFactor;
const polarFactorFast = rng.polarFactorFast;
const poissonPlan = rng.poissonPlan;
const simdKernels = simd.simdKernels;

export const GAUSSIAN_NOISE_SIGMA = [0.08, 0.12, 0.18, 0.26, 0.38];
export const SHOT_NOISE_PHOTONS = [60, 25, 12, 5, 3];
export const IMPULSE_NOISE_AMOUNT = [0.03, 0.06, 0.09, 0.17, 0.27];
export const SPECKLE_NOISE_SIGMA = [0.15, 0.2, 0.35, 0.45, 0.6];

/** `np.uint8(np.clip(v, 0, 1) * 255)` for one float64 value. */
export function unitToByte(v: number): number {
  if (!(v > 0)) return 0; // also NaN → 0 (never happens here)
  if (v >= 1) return 255;
  return Math.trunc(v * 255);
}

/** `u8 / 255` in float64 for every byte value (the same divisions, done once). */
const UNIT = Float64Array.from({ length: 256 }, (_, v) => v / 255);
const ONES = new Float64Array(256).fill(1);

/**
 * How close (on the 0..255 scale) a value may come to an integer before the fast normal is not trusted. The fast
 * path's Math.log is at most an ulp from the correctly rounded log, which moves the value by ≲ 1e-12 levels; only a
 * value that close to an integer (a truncation or clip boundary) could change its byte.
 */
const CUT_MARGIN = 2 ** -20;

/**
 * `np.uint8(np.clip(v, 0, 1) * 255)` given v and t = v·255 (bit 8 set: within CUT_MARGIN of an integer, so a
 * perturbation far below CUT_MARGIN levels could change the byte).
 */
function byteOrNearCut(v: number, t: number): number {
  const d = t - Math.floor(t);
  const near = d < CUT_MARGIN || d > 1 - CUT_MARGIN ? 256 : 0;
  return (!(v > 0) ? 0 : v >= 1 ? 255 : Math.trunc(t)) | near;
}

/**
 * `clip(x + m·normal(0, σ))` with m = 1 (gaussian_noise) or m = x (speckle_noise), one normal per value in C order.
 * Each pair of normals is computed with the fast log first; when a value of the pair lands within CUT_MARGIN of a
 * truncation boundary, the pair is recomputed with numpy's exact factor. The bytes are therefore those of the exact
 * replay, and the generator is left in the state a `normal(size=n)` call leaves it in.
 */
function normalNoise(rgb: Uint8Array, sigma: number, speckle: boolean, rs: RandomState): Uint8Array {
  const k = simdKernels();
  if (k) return normalNoiseSimd(k, rgb, sigma, speckle, rs);
  const n = rgb.length;
  const out = new Uint8Array(n);
  // m·(σ·g) per value: m = 1, or x (speckle). numpy adds 0.0 + σ·g first; that only turns −0 into +0, which
  // x + m·(σ·g) cannot see (x ≥ 0).
  const mul = speckle ? UNIT : ONES;
  let i = 0;
  if (n > 0 && rs.hasCachedGauss()) {
    out[0] = unitToByte(UNIT[rgb[0]] + mul[rgb[0]] * (sigma * rs.gauss()));
    i = 1;
  }
  for (; i + 1 < n; i += 2) {
    const r2 = rs.polarDraw();
    const x1 = rs.polarX1;
    const x2 = rs.polarX2;
    const pa = rgb[i];
    const pb = rgb[i + 1];
    const ma = mul[pa];
    const mb = mul[pb];
    let f = polarFactorFast(r2);
    let va = UNIT[pa] + ma * (sigma * (f * x2));
    let vb = UNIT[pb] + mb * (sigma * (f * x1));
    let ba = byteOrNearCut(va, va * 255);
    let bb = byteOrNearCut(vb, vb * 255);
    // m = 0 (a black pixel under speckle) gives x whatever the normal is.
    if (((ba & 256) !== 0 && ma !== 0) || ((bb & 256) !== 0 && mb !== 0)) {
      f = polarFactor(r2);
      va = UNIT[pa] + ma * (sigma * (f * x2));
      vb = UNIT[pb] + mb * (sigma * (f * x1));
      ba = unitToByte(va);
      bb = unitToByte(vb);
    }
    out[i] = ba;
    out[i + 1] = bb;
  }
  if (i < n) out[i] = unitToByte(UNIT[rgb[i]] + mul[rgb[i]] * (sigma * rs.gauss()));
  return out;
}

/** Polar pairs per round of `normalNoiseSimd` (its buffers stay in cache). */
const CHUNK = 4096;

/**
 * `normalNoise` with the per-pair arithmetic in the WebAssembly SIMD kernel `normalNoise`: the polar draws are made
 * here in order, a chunk at a time; the kernel computes the bytes with its own fast log and flags the pairs near a
 * cut, which are recomputed here with numpy's exact factor. Same bytes, same generator state afterwards.
 */
function normalNoiseSimd(k: simd.SimdKernels, rgb: Uint8Array, sigma: number, speckle: boolean, rs: RandomState): Uint8Array {
  const n = rgb.length;
  const mul = speckle ? UNIT : ONES;
  const lay = new simd.Layout();
  const rgbAt = lay.alloc(n + 4);
  const outAt = lay.alloc(n + 4);
  const x1At = lay.alloc(8 * CHUNK);
  const x2At = lay.alloc(8 * CHUNK);
  const r2At = lay.alloc(8 * CHUNK);
  const flagAt = lay.alloc(CHUNK);
  k.reserve(lay.top);
  const { u8, f64 } = k;
  u8.set(rgb, rgbAt);
  let i = 0;
  if (n > 0 && rs.hasCachedGauss()) {
    u8[outAt] = unitToByte(UNIT[rgb[0]] + mul[rgb[0]] * (sigma * rs.gauss()));
    i = 1;
  }
  const X1 = x1At >> 3;
  const X2 = x2At >> 3;
  const R2 = r2At >> 3;
  while (i + 1 < n) {
    const m = Math.min(CHUNK, (n - i) >> 1);
    for (let q = 0; q < m; q++) {
      f64[R2 + q] = rs.polarDraw();
      f64[X1 + q] = rs.polarX1;
      f64[X2 + q] = rs.polarX2;
    }
    const even = m & ~1;
    k.normalNoise(even, x1At, x2At, r2At, rgbAt + i, outAt + i, flagAt, sigma, speckle ? 1 : 0, CUT_MARGIN);
    for (let q = 0; q < m; q++) {
      if (q < even && u8[flagAt + q] === 0) continue;
      // Flagged (or the odd last pair of the chunk): numpy's exact factor.
      const f = polarFactor(f64[R2 + q]);
      const pa = rgb[i + 2 * q];
      const pb = rgb[i + 2 * q + 1];
      u8[outAt + i + 2 * q] = unitToByte(UNIT[pa] + mul[pa] * (sigma * (f * f64[X2 + q])));
      u8[outAt + i + 2 * q + 1] = unitToByte(UNIT[pb] + mul[pb] * (sigma * (f * f64[X1 + q])));
    }
    i += 2 * m;
  }
  if (i < n) u8[outAt + i] = unitToByte(UNIT[rgb[i]] + mul[rgb[i]] * (sigma * rs.gauss()));
  return u8.slice(outAt, outAt + n);
}

/** gaussian_noise: `clip(x + normal(size=x.shape, scale=σ))`, one normal per value in C order. */
export function gaussianNoise(rgb: Uint8Array, severity: number, rs: RandomState): Uint8Array {
  return normalNoise(rgb, GAUSSIAN_NOISE_SIGMA[severity - 1], false, rs);
}

/** shot_noise: `clip(poisson(x·c) / c)`, one Poisson per value with λ = x·c. */
export function shotNoise(rgb: Uint8Array, severity: number, rs: RandomState): Uint8Array {
  const c = SHOT_NOISE_PHOTONS[severity - 1];
  const plans = Array.from({ length: 256 }, (_, v) => poissonPlan((v / 255) * c));
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) out[i] = unitToByte(rs.poissonPlanned(plans[rgb[i]]) / c);
  return out;
}

/**
 * impulse_noise: `skimage.util.random_noise(x, 's&p', amount)`, drawn from the seeded stream: first the H×W×3
 * array U1 (`Generator.choice([True, False], p=[amount, 1-amount])` → flipped where U1 < cdf[0]), then U2
 * (salt where U2 < 0.5, else pepper). Salt → 255, pepper → 0, per value; other values pass through
 * `trunc((u8/255)·255)`.
 */
export function impulseNoise(rgb: Uint8Array, severity: number, rs: RandomState): Uint8Array {
  const amount = IMPULSE_NOISE_AMOUNT[severity - 1];
  const n = rgb.length;
  // Generator.choice normalises the cdf: cdf = cumsum(p) / cumsum(p)[-1]; index 0 iff u < cdf[0].
  const flipCut = amount / (amount + (1 - amount));
  const saltCut = 0.5 / (0.5 + 0.5);
  // U1 only decides which values flip: keep the decision, not the array.
  const flip = new Uint8Array(n);
  for (let i = 0; i < n; i++) flip[i] = rs.nextDouble() < flipCut ? 1 : 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const u2 = rs.nextDouble();
    out[i] = flip[i] ? (u2 < saltCut ? 255 : 0) : unitToByte(UNIT[rgb[i]]);
  }
  return out;
}

/** speckle_noise: `clip(x + x·normal(size=x.shape, scale=σ))`. */
export function speckleNoise(rgb: Uint8Array, severity: number, rs: RandomState): Uint8Array {
  return normalNoise(rgb, SPECKLE_NOISE_SIGMA[severity - 1], true, rs);
}
