/**
 * pixelate (SPEC.md §2): Pillow 9.4 `resize((n, n), BOX)` then `resize((W, H), NEAREST)` with n = int(W·f).
 * Bit-exact port of Pillow's `precompute_coeffs` (box filter), `normalize_coeffs_8bpc` (22-bit fixed point) and the
 * two-pass 8-bit resampler (horizontal pass first, uint8 in between), then `ImagingScaleAffine` for NEAREST.
 */
import type { CorruptOptions, Severity } from './types';

const FACTORS = [0.6, 0.5, 0.4, 0.3, 0.25];
const PRECISION_BITS = 22;
const FIXED_ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

interface Coeffs {
  ksize: number;
  /** [xmin, count] per output sample. */
  bounds: Int32Array;
  kk: Int32Array;
}

function boxFilter(x: number): number {
  return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
}

/** Pillow `precompute_coeffs` with the BOX filter (support 0.5), box = [0, inSize], then `normalize_coeffs_8bpc`. */
function boxCoeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = scale < 1.0 ? 1.0 : scale;
  const support = 0.5 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const ss = 1.0 / filterscale;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const pre = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let ww = 0.0;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    for (let x = 0; x < xmax; x++) {
      const w = boxFilter((x + xmin - center + 0.5) * ss);
      pre[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0.0 ? pre[x] / ww : pre[x];
      kk[xx * ksize + x] = k < 0 ? Math.trunc(-0.5 + k * FIXED_ONE) : Math.trunc(0.5 + k * FIXED_ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Pillow `resize((outW, outH), BOX)` of packed RGB: horizontal pass, uint8, vertical pass. */
export function resizeBoxRgb(src: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  let cur = src;
  let curW = w;
  if (outW !== w) {
    const { ksize, bounds, kk } = boxCoeffs(w, outW);
    const tmp = new Uint8Array(outW * h * 3);
    for (let y = 0; y < h; y++) {
      const row = y * w * 3;
      const orow = y * outW * 3;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = bounds[xx * 2];
        const cnt = bounds[xx * 2 + 1];
        const kb = xx * ksize;
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        for (let x = 0; x < cnt; x++) {
          const k = kk[kb + x];
          const p = row + (xmin + x) * 3;
          s0 += src[p] * k;
          s1 += src[p + 1] * k;
          s2 += src[p + 2] * k;
        }
        const o = orow + xx * 3;
        tmp[o] = clip8(s0);
        tmp[o + 1] = clip8(s1);
        tmp[o + 2] = clip8(s2);
      }
    }
    cur = tmp;
    curW = outW;
  }
  if (outH !== h) {
    const { ksize, bounds, kk } = boxCoeffs(h, outH);
    const stride = curW * 3;
    const out = new Uint8Array(curW * outH * 3);
    for (let yy = 0; yy < outH; yy++) {
      const ymin = bounds[yy * 2];
      const cnt = bounds[yy * 2 + 1];
      const kb = yy * ksize;
      const orow = yy * stride;
      for (let i = 0; i < stride; i++) {
        let s = HALF;
        for (let y = 0; y < cnt; y++) s += cur[(ymin + y) * stride + i] * kk[kb + y];
        out[orow + i] = clip8(s);
      }
    }
    cur = out;
  }
  return cur === src ? src.slice() : cur;
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

/** Pillow `resize((outW, outH), NEAREST)` of packed RGB. */
export function resizeNearestRgb(src: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  const xi = nearestIndex(w, outW);
  const yi = nearestIndex(h, outH);
  const out = new Uint8Array(outW * outH * 3);
  for (let y = 0; y < outH; y++) {
    const srow = yi[y] * w * 3;
    let o = y * outW * 3;
    for (let x = 0; x < outW; x++) {
      const p = srow + xi[x] * 3;
      out[o++] = src[p];
      out[o++] = src[p + 1];
      out[o++] = src[p + 2];
    }
  }
  return out;
}

export function pixelate(src: Uint8Array, w: number, h: number, severity: Severity, _o: CorruptOptions): Uint8Array {
  const f = FACTORS[severity - 1];
  // imagecorruptions: x.resize((int(x_shape[1] * c), int(x_shape[0] * c)), PIL.Image.BOX)
  const sw = Math.trunc(w * f);
  const sh = Math.trunc(h * f);
  if (sw < 1 || sh < 1) throw new RangeError(`pixelate: a ${w}x${h} image is too small for severity ${severity}`);
  const small = resizeBoxRgb(src, w, h, sw, sh);
  return resizeNearestRgb(small, sw, sh, w, h);
}
