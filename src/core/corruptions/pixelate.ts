/**
 * pixelate (SPEC.md §2): Pillow 9.4 `resize((n, n), BOX)` then `resize((W, H), NEAREST)` with n = int(W·f).
 * The BOX resize follows Pillow's resampler exactly (`precompute_coeffs` + `normalize_coeffs_8bpc`, horizontal pass
 * first, uint8 in between; the general form is ../pillow-resize.ts): a BOX window's taps all carry the same 22-bit
 * weight K, so Σ src·K is computed as K·(Σ src), the same integer. NEAREST is `ImagingScaleAffine`. With WebAssembly
 * SIMD all three stages run in kernels (./simd/kernels.ts) with the same integer arithmetic.
 */
import type { CorruptOptions, Severity } from './types';
import { Layout, type SimdKernels, simdKernels } from './simd/kernels';

const FACTORS = [0.6, 0.5, 0.4, 0.3, 0.25];

/** Pillow: `PRECISION_BITS = 32 - 8 - 2`. */
const PRECISION_BITS = 22;
const FIXED_ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** One output sample of a BOX resize along an axis: source samples [start, start + count), each weighted k. */
interface BoxAxis {
  start: Int32Array;
  count: Int32Array;
  k: Int32Array;
}

/**
 * Pillow `precompute_coeffs(inSize, outSize, box_filter)` then `normalize_coeffs_8bpc`, reduced to the run of
 * taps whose weight is nonzero (the box kernel is 1 on a contiguous run of the window, 0 elsewhere).
 */
function boxAxis(inSize: number, outSize: number): BoxAxis {
  const scale = inSize / outSize;
  const filterscale = scale < 1.0 ? 1.0 : scale;
  const support = 0.5 * filterscale;
  const ss = 1.0 / filterscale;
  const axis: BoxAxis = { start: new Int32Array(outSize), count: new Int32Array(outSize), k: new Int32Array(outSize) };
  for (let i = 0; i < outSize; i++) {
    const center = 0.0 + (i + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    let first = -1;
    let ones = 0;
    for (let x = xmin; x < xmax; x++) {
      const u = (x - center + 0.5) * ss;
      if (u > -0.5 && u <= 0.5) {
        if (first < 0) first = x;
        else if (x !== first + ones) throw new Error('pixelate: non-contiguous box window'); // cannot happen
        ones++;
      }
    }
    axis.start[i] = first < 0 ? xmin : first;
    axis.count[i] = ones;
    // normalize_coeffs_8bpc of 1/ww (ww = the number of ones; Pillow leaves the weights as they are if ww = 0)
    axis.k[i] = ones === 0 ? 0 : Math.trunc(0.5 + (1.0 / ones) * FIXED_ONE);
  }
  return axis;
}

/** Pillow `clip8` of a 22-bit fixed-point accumulator. */
function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Pillow `resize((outW, outH), BOX)` of packed RGB (horizontal pass first, uint8 in between). */
export function resizeBoxRgb(src: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  // Pillow skips a pass whose size does not change.
  let tmp = src;
  if (outW !== w) {
    const ax = boxAxis(w, outW);
    tmp = new Uint8Array(outW * h * 3);
    for (let y = 0, o = 0; y < h; y++) {
      const row = y * w * 3;
      for (let x = 0; x < outW; x++, o += 3) {
        const n = ax.count[x];
        const k = ax.k[x];
        let p = row + ax.start[x] * 3;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        for (let t = 0; t < n; t++, p += 3) {
          s0 += src[p];
          s1 += src[p + 1];
          s2 += src[p + 2];
        }
        tmp[o] = clip8(HALF + s0 * k);
        tmp[o + 1] = clip8(HALF + s1 * k);
        tmp[o + 2] = clip8(HALF + s2 * k);
      }
    }
  }
  if (outH === h) return tmp === src ? src.slice() : tmp;
  const ay = boxAxis(h, outH);
  const stride = outW * 3;
  const out = new Uint8Array(outH * stride);
  const sum = new Int32Array(stride);
  for (let y = 0; y < outH; y++) {
    sum.fill(0);
    const n = ay.count[y];
    for (let t = 0, r = ay.start[y] * stride; t < n; t++, r += stride) for (let i = 0; i < stride; i++) sum[i] += tmp[r + i];
    const k = ay.k[y];
    const o = y * stride;
    for (let i = 0; i < stride; i++) out[o + i] = clip8(HALF + sum[i] * k);
  }
  return out;
}

/** Source indices of Pillow's NEAREST resize (`ImagingScaleAffine`: `xo = a·0.5`, then `xo += a` per sample). */
function nearestIndex(inSize: number, outSize: number): Int32Array {
  const a = inSize / outSize;
  const idx = new Int32Array(outSize);
  let xo = a * 0.5;
  for (let i = 0; i < outSize; i++) {
    const v = xo < 0 ? -1 : Math.trunc(xo);
    idx[i] = v < 0 ? 0 : v >= inSize ? inSize - 1 : v;
    xo += a;
  }
  return idx;
}

/** Pillow `resize((outW, outH), NEAREST)` of packed RGB; an output row equal to the previous one is copied. */
export function resizeNearestRgb(src: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  const xi = nearestIndex(w, outW);
  const yi = nearestIndex(h, outH);
  const stride = outW * 3;
  const out = new Uint8Array(outH * stride);
  for (let y = 0; y < outH; y++) {
    const o = y * stride;
    if (y > 0 && yi[y] === yi[y - 1]) {
      out.copyWithin(o, o - stride, o);
      continue;
    }
    const srow = yi[y] * w * 3;
    for (let x = 0, q = o; x < outW; x++, q += 3) {
      const p = srow + xi[x] * 3;
      out[q] = src[p];
      out[q + 1] = src[p + 1];
      out[q + 2] = src[p + 2];
    }
  }
  return out;
}

/** Both resizes in the WebAssembly SIMD kernels `boxH`, `boxV` and `nearestRgb` (same arithmetic). */
function pixelateSimd(k: SimdKernels, src: Uint8Array, w: number, h: number, sw: number, sh: number): Uint8Array {
  const ax = boxAxis(w, sw);
  const ay = boxAxis(h, sh);
  const lay = new Layout();
  const srcAt = lay.alloc(3 * w * h);
  const tmpAt = lay.alloc(3 * sw * h);
  const smallAt = lay.alloc(3 * sw * sh);
  const outAt = lay.alloc(3 * w * h);
  const tabH = lay.alloc(12 * sw);
  const tabV = lay.alloc(12 * sh);
  const tabN = lay.alloc(4 * (w + h));
  k.reserve(lay.top);
  const i32 = k.i32;
  for (const [at, axis, n] of [[tabH, ax, sw], [tabV, ay, sh]] as const) {
    i32.set(axis.start, at >> 2);
    i32.set(axis.count, (at >> 2) + n);
    i32.set(axis.k, (at >> 2) + 2 * n);
  }
  i32.set(nearestIndex(sw, w), tabN >> 2);
  i32.set(nearestIndex(sh, h), (tabN >> 2) + w);
  k.u8.set(src, srcAt);
  k.boxH(srcAt, w, h, tmpAt, sw, tabH);
  k.boxV(tmpAt, 3 * sw, smallAt, sh, tabV);
  k.nearestRgb(smallAt, sw, outAt, w, h, tabN);
  return k.u8.slice(outAt, outAt + 3 * w * h);
}

export function pixelate(src: Uint8Array, w: number, h: number, severity: Severity, _o: CorruptOptions): Uint8Array {
  const f = FACTORS[severity - 1];
  // imagecorruptions: x.resize((int(x_shape[1] * c), int(x_shape[0] * c)), PIL.Image.BOX)
  const sw = Math.trunc(w * f);
  const sh = Math.trunc(h * f);
  if (sw < 1 || sh < 1) throw new RangeError(`pixelate: a ${w}x${h} image is too small for severity ${severity}`);
  const k = simdKernels();
  // Pillow skips a pass whose size does not change; with f < 1 both passes run for any image of 2 × 2 or more.
  if (k && sw !== w && sh !== h) return pixelateSimd(k, src, w, h, sw, sh);
  const small = resizeBoxRgb(src, w, h, sw, sh);
  return resizeNearestRgb(small, sw, sh, w, h);
}
