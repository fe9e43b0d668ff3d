/**
 * Bit-exact TypeScript port of the clean-validation preprocessing used by torchvision on PIL images:
 * `Resize(256)` (Pillow `Image.resize(size, Image.BILINEAR)`, antialiased) followed by `CenterCrop(224)`.
 *
 * The resampler mirrors Pillow 9.4.0 `src/libImaging/Resample.c` for 8-bit images:
 *  - `precompute_coeffs`: triangle filter, support 1.0 scaled by the downscale factor, weights
 *    computed in double precision and normalised by their sum;
 *  - `normalize_coeffs_8bpc`: weights converted to fixed point with PRECISION_BITS = 22;
 *  - `ImagingResampleHorizontal_8bpc` / `ImagingResampleVertical_8bpc`: integer accumulation starting
 *    at 1 << 21, then `clip8` (arithmetic shift by 22, clamp to 0..255); horizontal pass first, the
 *    intermediate image is uint8;
 *  - `ImagingResampleInner`: a pass is skipped when that axis keeps its size (for the bilinear filter
 *    such a pass would be the identity anyway), and the horizontal pass only produces the rows the
 *    vertical pass reads.
 * `Image.resize` in Pillow 9.4 with the default `reducing_gap=None` does not pre-reduce, so nothing else
 * happens for RGB input.
 *
 * Because every output pixel depends only on its own coefficient row/column, resizing and then cropping
 * equals resampling just the cropped window; `resizeAndCenterCrop` uses that and never materialises the
 * full resized image (same bytes, less work).
 *
 * Pure TypeScript: no DOM and no Node APIs, so it runs in browsers, web workers and Node.
 */

/** Interleaved, row-major 8-bit image. `channels` 4 means RGBA; the alpha byte is ignored. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
  channels: 3 | 4;
}

/** Pillow: `#define PRECISION_BITS (32 - 8 - 2)`. */
const PRECISION_BITS = 32 - 8 - 2;
const FIXED_ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);
/** A Pillow resampling filter: its kernel and support (before scaling by the downscale factor). */
export interface PillowFilter {
  readonly kernel: (x: number) => number;
  readonly support: number;
}

interface Coeffs {
  /** Maximum number of taps per output sample (row stride of `kk`). */
  ksize: number;
  /** For each output sample: [first source index, number of taps]. */
  bounds: Int32Array;
  /** Fixed-point weights, `ksize` per output sample. */
  kk: Int32Array;
}

/** Pillow `bilinear_filter`, support 1. */
export const BILINEAR: PillowFilter = {
  kernel: (x) => {
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
  },
  support: 1.0,
};

/** Pillow `bicubic_filter` (Keys, a = -0.5), support 2; same operation order as the C source. */
export const BICUBIC: PillowFilter = {
  kernel: (x) => {
    const a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
  },
  support: 2.0,
};

/** Pillow `box_filter`, support 0.5. */
export const BOX: PillowFilter = { kernel: (x) => (x > -0.5 && x <= 0.5 ? 1.0 : 0.0), support: 0.5 };

/**
 * Pillow `precompute_coeffs` (box = [0, inSize]) followed by `normalize_coeffs_8bpc`, restricted to
 * the output samples [first, first + count). The arithmetic is the same double-precision sequence as
 * in C (no FMA contraction on x86-64 builds), so the rounded fixed-point weights match exactly.
 */
function precomputeCoeffs(inSize: number, outSize: number, first: number, count: number, filter: PillowFilter): Coeffs {
  // in0 = 0, in1 = inSize (floats in C; exact for any realistic size)
  const scale = inSize / outSize;
  const filterscale = scale < 1.0 ? 1.0 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const ss = 1.0 / filterscale;

  const bounds = new Int32Array(count * 2);
  const kk = new Int32Array(count * ksize);
  const pre = new Float64Array(ksize);

  for (let i = 0; i < count; i++) {
    const xx = first + i;
    const center = 0.0 + (xx + 0.5) * scale;
    let ww = 0.0;
    // C: (int) casts truncate toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    for (let x = 0; x < xmax; x++) {
      const w = filter.kernel((x + xmin - center + 0.5) * ss);
      pre[x] = w;
      ww += w;
    }
    const base = i * ksize;
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0.0 ? pre[x] / ww : pre[x];
      // normalize_coeffs_8bpc
      kk[base + x] = k < 0 ? Math.trunc(-0.5 + k * FIXED_ONE) : Math.trunc(0.5 + k * FIXED_ONE);
    }
    // remaining taps stay 0 (Int32Array is zero-initialised)
    bounds[i * 2] = xmin;
    bounds[i * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

/** Pillow `clip8`: arithmetic shift then clamp (its lookup table covers -640..639 → 0..255). */
function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function checkImage(img: RgbImage): void {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`invalid image size ${width}x${height}`);
  }
  if (channels !== 3 && channels !== 4) throw new RangeError(`unsupported channel count ${channels}`);
  if (data.length < width * height * channels) {
    throw new RangeError(`image data too short: ${data.length} < ${width * height * channels}`);
  }
}

function checkSize(w: number, h: number, what: string): void {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0) {
    throw new RangeError(`invalid ${what} size ${w}x${h}`);
  }
}

/**
 * The window [x0, x0 + cw) x [y0, y0 + ch) of Pillow's `resize((outW, outH), filter)`, as RGB.
 * The window must lie inside the resized image.
 */
function resampleWindow(img: RgbImage, outW: number, outH: number, x0: number, y0: number, cw: number, ch: number, filter: PillowFilter = BILINEAR): RgbImage {
  const { width: inW, height: inH, data: src, channels: sc } = img;
  const needHorizontal = outW !== inW;
  const needVertical = outH !== inH;

  // Vertical coefficients first (Pillow computes them first to find the rows the horizontal pass needs).
  let vert: Coeffs | null = null;
  let rowFirst: number; // first source row used
  let rowLast: number; // one past the last source row used
  if (needVertical) {
    vert = precomputeCoeffs(inH, outH, y0, ch, filter);
    rowFirst = vert.bounds[0];
    rowLast = vert.bounds[(ch - 1) * 2] + vert.bounds[(ch - 1) * 2 + 1];
  } else {
    rowFirst = y0;
    rowLast = y0 + ch;
  }
  const rows = rowLast - rowFirst;

  // ---- horizontal pass: source rows [rowFirst, rowLast) -> tmp (cw x rows, RGB) ----
  const tmp = new Uint8Array(cw * rows * 3);
  if (needHorizontal) {
    const { ksize, bounds, kk } = precomputeCoeffs(inW, outW, x0, cw, filter);
    const srcStride = inW * sc;
    for (let y = 0; y < rows; y++) {
      const rowBase = (y + rowFirst) * srcStride;
      let o = y * cw * 3;
      for (let xx = 0; xx < cw; xx++) {
        const xmin = bounds[xx * 2];
        const xmax = bounds[xx * 2 + 1];
        const kb = xx * ksize;
        let ss0 = HALF;
        let ss1 = HALF;
        let ss2 = HALF;
        let p = rowBase + xmin * sc;
        for (let x = 0; x < xmax; x++) {
          const k = kk[kb + x];
          ss0 += src[p] * k;
          ss1 += src[p + 1] * k;
          ss2 += src[p + 2] * k;
          p += sc;
        }
        tmp[o] = clip8(ss0);
        tmp[o + 1] = clip8(ss1);
        tmp[o + 2] = clip8(ss2);
        o += 3;
      }
    }
  } else {
    // plain copy of columns [x0, x0 + cw)
    for (let y = 0; y < rows; y++) {
      let p = ((y + rowFirst) * inW + x0) * sc;
      let o = y * cw * 3;
      for (let xx = 0; xx < cw; xx++) {
        tmp[o] = src[p];
        tmp[o + 1] = src[p + 1];
        tmp[o + 2] = src[p + 2];
        p += sc;
        o += 3;
      }
    }
  }

  if (!vert) return { width: cw, height: ch, data: tmp, channels: 3 };

  // ---- vertical pass: tmp -> out (cw x ch, RGB) ----
  const out = new Uint8Array(cw * ch * 3);
  const { ksize, bounds, kk } = vert;
  const stride = cw * 3;
  for (let yy = 0; yy < ch; yy++) {
    const ymin = bounds[yy * 2] - rowFirst;
    const ymax = bounds[yy * 2 + 1];
    const kb = yy * ksize;
    let o = yy * stride;
    for (let xx = 0; xx < stride; xx += 3) {
      let ss0 = HALF;
      let ss1 = HALF;
      let ss2 = HALF;
      let p = ymin * stride + xx;
      for (let y = 0; y < ymax; y++) {
        const k = kk[kb + y];
        ss0 += tmp[p] * k;
        ss1 += tmp[p + 1] * k;
        ss2 += tmp[p + 2] * k;
        p += stride;
      }
      out[o] = clip8(ss0);
      out[o + 1] = clip8(ss1);
      out[o + 2] = clip8(ss2);
      o += 3;
    }
  }
  return { width: cw, height: ch, data: out, channels: 3 };
}

/**
 * Pillow `Image.resize((w, h), Image.BILINEAR)` on an RGB image: separable antialiased triangle filter
 * (support 1.0 scaled by the downscale factor), horizontal pass first, uint8 between passes, Pillow's
 * 22-bit fixed-point arithmetic. Returns RGB (channels 3); RGBA input is treated as its RGB part.
 */
export function resizeBilinearPillow(img: RgbImage, outW: number, outH: number): RgbImage {
  return resizePillow(img, outW, outH, BILINEAR);
}

/** Pillow `Image.resize((w, h), filter)` for a separable filter (BILINEAR, BICUBIC, BOX) on RGB(A); returns RGB. */
export function resizePillow(img: RgbImage, outW: number, outH: number, filter: PillowFilter): RgbImage {
  checkImage(img);
  checkSize(outW, outH, 'output');
  return resampleWindow(img, outW, outH, 0, 0, outW, outH, filter);
}

/**
 * torchvision `Resize(size)` output size for an int `size`: the shorter side becomes `size`, the longer
 * `int(size * long / short)` (Python float division, then truncation). A square image gives size x size.
 */
export function resizeShorterSideSize(w: number, h: number, size: number): { width: number; height: number } {
  checkSize(w, h, 'input');
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`invalid resize target ${size}`);
  const [short, long] = w <= h ? [w, h] : [h, w];
  const newShort = size;
  // size * long is an exact integer; `/` is IEEE double division like Python's int / int here.
  const newLong = Math.trunc((size * long) / short);
  return w <= h ? { width: newShort, height: newLong } : { width: newLong, height: newShort };
}

/** Python 3 `round()` (half to even) of d / 2 for an integer d. */
function roundHalfEvenHalf(d: number): number {
  if (d % 2 === 0) return d / 2;
  const lo = Math.floor(d / 2); // d / 2 = lo + 0.5
  return lo % 2 === 0 ? lo : lo + 1;
}

/**
 * torchvision `CenterCrop` offsets: `top = int(round((h - ch) / 2))`, `left = int(round((w - cw) / 2))`
 * with Python's round-half-even. When the crop is larger than the image on an axis, torchvision first
 * zero-pads by `(c - size) // 2` on the leading side; the returned offset is then that padding, negated.
 */
export function centerCropOffsets(w: number, h: number, cw: number, ch: number): { top: number; left: number } {
  const axis = (size: number, crop: number): number =>
    crop > size ? -Math.floor((crop - size) / 2) : roundHalfEvenHalf(size - crop);
  return { top: axis(h, ch), left: axis(w, cw) };
}

/** torchvision `CenterCrop((ch, cw))` on an image; returns RGB. Areas outside the image (crop larger than image) are 0. */
export function centerCrop(img: RgbImage, cw: number, ch: number): RgbImage {
  checkImage(img);
  checkSize(cw, ch, 'crop');
  const { width: w, height: h, data: src, channels: sc } = img;
  const { top, left } = centerCropOffsets(w, h, cw, ch);
  const out = new Uint8Array(cw * ch * 3);
  for (let y = 0; y < ch; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < cw; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= w) continue;
      const p = (sy * w + sx) * sc;
      const o = (y * cw + x) * 3;
      out[o] = src[p];
      out[o + 1] = src[p + 1];
      out[o + 2] = src[p + 2];
    }
  }
  return { width: cw, height: ch, data: out, channels: 3 };
}

/**
 * The clean-val protocol: torchvision `Resize(resizeTo)` (Pillow bilinear, or the given filter: DINO evaluates
 * with bicubic) then `CenterCrop(crop)`. Only the cropped window is resampled; the bytes equal
 * `centerCrop(resizePillow(...))`.
 */
export function resizeAndCenterCrop(img: RgbImage, resizeTo = 256, crop = 224, filter: PillowFilter = BILINEAR): RgbImage {
  checkImage(img);
  const { width: rw, height: rh } = resizeShorterSideSize(img.width, img.height, resizeTo);
  if (crop > rw || crop > rh) {
    // Padding case (crop larger than the resized image): rare, do it the straightforward way.
    return centerCrop(resizePillow(img, rw, rh, filter), crop, crop);
  }
  checkSize(crop, crop, 'crop');
  const { top, left } = centerCropOffsets(rw, rh, crop, crop);
  return resampleWindow(img, rw, rh, left, top, crop, crop, filter);
}
