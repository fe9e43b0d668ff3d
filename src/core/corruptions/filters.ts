/**
 * Numeric building blocks shared by the corruptions: numpy's pairwise summation, scipy.ndimage's Gaussian filter
 * (separable correlate1d with its symmetric-kernel arithmetic) and the uint8 output cast. All on typed arrays;
 * no allocation per pixel.
 */

/** Border modes of scipy.ndimage (SPEC.md §0): nearest `a a | a b c d | d d`, reflect `b a | a b c d | d c`,
 * mirror (= OpenCV BORDER_REFLECT_101) `c b | a b c d | c b`. */
export type BorderMode = 'nearest' | 'reflect' | 'mirror';

/** The index that position `p` (possibly outside [0, n)) reads under `mode`. */
export function borderIndex(p: number, n: number, mode: BorderMode): number {
  if (p >= 0 && p < n) return p;
  if (n === 1) return 0;
  switch (mode) {
    case 'nearest':
      return p < 0 ? 0 : n - 1;
    case 'reflect': {
      const period = 2 * n;
      let q = p % period;
      if (q < 0) q += period;
      return q < n ? q : period - 1 - q;
    }
    default: {
      const period = 2 * n - 2;
      let q = p % period;
      if (q < 0) q += period;
      return q < n ? q : period - q;
    }
  }
}

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
 * scipy.ndimage `correlate1d` with a symmetric odd kernel, exactly as `NI_Correlate1D` computes it:
 * `out = in[0]·w[0] + Σ_{k=r..1} (in[-k] + in[k])·w[k]` (accumulated in that order), along axis 0 (rows move) of an
 * interleaved H×W×C float64 image.
 */
function correlateRowsSymmetric(src: Float64Array, dst: Float64Array, w: number, h: number, c: number, kernel: Float64Array, mode: BorderMode): void {
  const r = (kernel.length - 1) >> 1;
  const w0 = kernel[r];
  const stride = w * c;
  for (let y = 0; y < h; y++) {
    const o = y * stride;
    const lo = (k: number) => borderIndex(y - k, h, mode) * stride;
    const hi = (k: number) => borderIndex(y + k, h, mode) * stride;
    for (let i = 0; i < stride; i++) dst[o + i] = src[o + i] * w0;
    // Taps k = r..1 in that order (scipy's order), four per pass over the row to save loads and stores.
    let k = r;
    for (; k >= 4; k -= 4) {
      const a1 = lo(k), b1 = hi(k), a2 = lo(k - 1), b2 = hi(k - 1);
      const a3 = lo(k - 2), b3 = hi(k - 2), a4 = lo(k - 3), b4 = hi(k - 3);
      const w1 = kernel[r - k], w2 = kernel[r - k + 1], w3 = kernel[r - k + 2], w4 = kernel[r - k + 3];
      for (let i = 0; i < stride; i++) {
        let v = dst[o + i];
        v += (src[a1 + i] + src[b1 + i]) * w1;
        v += (src[a2 + i] + src[b2 + i]) * w2;
        v += (src[a3 + i] + src[b3 + i]) * w3;
        v += (src[a4 + i] + src[b4 + i]) * w4;
        dst[o + i] = v;
      }
    }
    for (; k >= 1; k--) {
      const a = lo(k);
      const b = hi(k);
      const wk = kernel[r - k];
      for (let i = 0; i < stride; i++) dst[o + i] += (src[a + i] + src[b + i]) * wk;
    }
  }
}

/** The same along axis 1 (columns move), through a border-extended line buffer. */
function correlateColsSymmetric(src: Float64Array, dst: Float64Array, w: number, h: number, c: number, kernel: Float64Array, mode: BorderMode): void {
  const r = (kernel.length - 1) >> 1;
  const w0 = kernel[r];
  const stride = w * c;
  const line = new Float64Array((w + 2 * r) * c);
  const ext = new Int32Array(w + 2 * r);
  for (let x = 0; x < w + 2 * r; x++) ext[x] = borderIndex(x - r, w, mode);
  for (let y = 0; y < h; y++) {
    const o = y * stride;
    for (let x = 0; x < w + 2 * r; x++) {
      const s = o + ext[x] * c;
      const d = x * c;
      for (let ch = 0; ch < c; ch++) line[d + ch] = src[s + ch];
    }
    const centre = r * c;
    const span = 2 * r * c;
    for (let i = 0; i < stride; i++) dst[o + i] = line[centre + i] * w0;
    // k = r..1 (scipy's order): taps (r-k)·c and (r+k)·c of the line, four per pass over the row.
    let j = 0;
    for (; j + 4 <= r; j += 4) {
      const a1 = j * c, b1 = span - j * c;
      const w1 = kernel[j], w2 = kernel[j + 1], w3 = kernel[j + 2], w4 = kernel[j + 3];
      for (let i = 0; i < stride; i++) {
        const a = a1 + i;
        const b = b1 + i;
        let v = dst[o + i];
        v += (line[a] + line[b]) * w1;
        v += (line[a + c] + line[b - c]) * w2;
        v += (line[a + 2 * c] + line[b - 2 * c]) * w3;
        v += (line[a + 3 * c] + line[b - 3 * c]) * w4;
        dst[o + i] = v;
      }
    }
    for (; j < r; j++) {
      const a = j * c;
      const b = span - j * c;
      const wj = kernel[j];
      for (let i = 0; i < stride; i++) dst[o + i] += (line[a + i] + line[b + i]) * wj;
    }
  }
}

/**
 * scipy.ndimage `gaussian_filter(img, sigma=(σ, σ, 0), mode, truncate)` of an interleaved H×W×C float64 image
 * (skimage `gaussian(..., channel_axis=-1)`): axis 0 first, then axis 1, float64 throughout. Returns a new array.
 */
export function gaussianFilter(src: Float64Array, w: number, h: number, c: number, sigma: number, mode: BorderMode = 'nearest', truncate = 4.0): Float64Array {
  const kernel = gaussianKernel1d(sigma, truncate);
  const tmp = new Float64Array(src.length);
  const out = new Float64Array(src.length);
  correlateRowsSymmetric(src, tmp, w, h, c, kernel, mode);
  correlateColsSymmetric(tmp, out, w, h, c, kernel, mode);
  return out;
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
