/**
 * Numeric building blocks shared by the corruptions: numpy's pairwise summation, scipy.ndimage's Gaussian filter
 * (separable correlate1d with its symmetric-kernel arithmetic) and the uint8 output cast. All on typed arrays;
 * no allocation per pixel.
 */

import { type BorderMode, borderIndex, correlateSymmetric2d } from './symmetric-filter';

export { type BorderMode, borderIndex };

/**
 * numpy's `pairwise_sum` for a contiguous float64 vector (what `np.sum` of a 1-D array does): sequential below 8
 * values, eight interleaved accumulators up to 128, recursive halving (at a multiple of 8) above.
 */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    let r0 = a[start], r1 = a[start + 1], r2 = a[start + 2], r3 = a[start + 3];
    let r4 = a[start + 4], r5 = a[start + 5], r6 = a[start + 6], r7 = a[start + 7];
    let i = 8;
    const end = n - (n % 8);
    for (; i < end; i += 8) {
      const p = start + i;
      r0 += a[p];
      r1 += a[p + 1];
      r2 += a[p + 2];
      r3 += a[p + 3];
      r4 += a[p + 4];
      r5 += a[p + 5];
      r6 += a[p + 6];
      r7 += a[p + 7];
    }
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.trunc(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/**
 * scipy `_gaussian_kernel1d(sigma, 0, radius)` with `radius = int(truncate·sigma + 0.5)`:
 * `exp(-0.5/σ² · k²)` for k = -r..r, divided by its numpy (pairwise) sum. Index r is the centre.
 */
export function gaussianKernel1d(sigma: number, truncate = 4.0): Float64Array {
  const radius = Math.trunc(truncate * sigma + 0.5);
  const a = -0.5 / (sigma * sigma);
  const n = 2 * radius + 1;
  const phi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = i - radius;
    phi[i] = Math.exp(a * (k * k));
  }
  const sum = pairwiseSum(phi);
  for (let i = 0; i < n; i++) phi[i] = phi[i] / sum;
  return phi;
}

/**
 * scipy.ndimage `gaussian_filter(img, sigma=(σ, σ, 0), mode, truncate)` of an interleaved H×W×C float64 image
 * (skimage `gaussian(..., channel_axis=-1)`): axis 0 first, then axis 1, float64 throughout. Returns a new array.
 */
export function gaussianFilter(src: Float64Array, w: number, h: number, c: number, sigma: number, mode: BorderMode = 'nearest', truncate = 4.0): Float64Array {
  const kernel = gaussianKernel1d(sigma, truncate);
  // The kernel is exactly symmetric (exp of k², one divisor), so its right half is the centre-first half.
  const half = kernel.slice((kernel.length - 1) >> 1);
  return correlateSymmetric2d(src, w, h, c, half, half, mode, new Float64Array(src.length), new Float64Array(src.length));
}

/** `x = u8 / 255` in float64. */
export function toUnitFloat64(src: Uint8Array): Float64Array {
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] / 255;
  return out;
}

/** `np.uint8(np.clip(x, 0, 1) * 255)` — clip, scale, truncate (never round). */
export function unitToBytes(x: Float64Array | Float32Array): Uint8Array {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    let v = x[i];
    if (v < 0) v = 0;
    else if (v > 1) v = 1;
    out[i] = v * 255; // Uint8Array assignment truncates toward zero (ToUint8: modulo of the truncated value)
  }
  return out;
}

/** `np.uint8(np.clip(x, 0, 255))` — clip on the 0..255 scale, truncate. */
export function clipBytes(x: Float64Array): Uint8Array {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}
