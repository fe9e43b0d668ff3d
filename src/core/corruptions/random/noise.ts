/**
 * The four noise corruptions of imagecorruptions 1.1.2 (SPEC.md §1–2) on packed RGB, replaying numpy's legacy
 * RandomState. Each returns `np.uint8(np.clip(·, 0, 1) * 255)`: float64 arithmetic, clip, ×255, truncation.
 */
import { type RandomState, poissonPlan } from '../rng/numpy-random';

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

/** gaussian_noise: `clip(x + normal(size=x.shape, scale=σ))`, one normal per value in C order. */
export function gaussianNoise(rgb: Uint8Array, severity: number, rs: RandomState): Uint8Array {
  const sigma = GAUSSIAN_NOISE_SIGMA[severity - 1];
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) {
    const x = rgb[i] / 255;
    out[i] = unitToByte(x + rs.normal(0.0, sigma));
  }
  return out;
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
  const u1 = rs.randomSampleInto(new Float64Array(n));
  const u2 = rs.randomSampleInto(new Float64Array(n));
  // Generator.choice normalises the cdf: cdf = cumsum(p) / cumsum(p)[-1]; index 0 iff u < cdf[0].
  const flipCut = amount / (amount + (1 - amount));
  const saltCut = 0.5 / (0.5 + 0.5);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (u1[i] < flipCut) out[i] = u2[i] < saltCut ? 255 : 0;
    else out[i] = unitToByte(rgb[i] / 255);
  }
  return out;
}

/** speckle_noise: `clip(x + x·normal(size=x.shape, scale=σ))`. */
export function speckleNoise(rgb: Uint8Array, severity: number, rs: RandomState): Uint8Array {
  const sigma = SPECKLE_NOISE_SIGMA[severity - 1];
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) {
    const x = rgb[i] / 255;
    out[i] = unitToByte(x + x * rs.normal(0.0, sigma));
  }
  return out;
}
