/**
 * `cv2.resize(img, (dstW, dstH), interpolation=cv2.INTER_CUBIC)` on 8-bit images, bit-exact with OpenCV 4.6's
 * own code path (`hal::resize` → `resizeGeneric_<HResizeCubic, VResizeCubic>` on an SSE2-baseline x86-64 build,
 * no IPP). Pure TypeScript.
 *
 * The arithmetic it reproduces:
 * - Source coordinate per output pixel, in float32: `f = (float)((d + 0.5)·scale − 0.5)` with `scale = 1 / (dst/src)`
 *   in float64; `s = floor(f)`, `t = f − s` (float32).
 * - Keys cubic weights (A = −0.75) computed in float32 and quantised to `short` as `round_half_even(w·2048)`.
 * - Horizontal pass: exact integer sums over the clamped (edge-replicated) source columns s−1 … s+2.
 * - Vertical pass over clamped rows s−1 … s+2: OpenCV's SIMD loop (`VResizeCubicVec_32s8u`) handles 8 values at a
 *   time of each packed output row in float32 — `round(h0·b0 + (h1·b1 + (h2·b2 + h3·b3)))` with `b = β/2048²`, each
 *   product and sum rounded to float32, rounding half to even, saturating to 0…255 — and the scalar fixed-point
 *   loop the remaining `(dstW·channels) mod 8` values: `(Σ h·β + 2²¹) >> 22`, saturated. The two differ by one
 *   in rare cases, which is why both are here.
 */
import { roundHalfEven } from './round-half-even';

export interface Image8Like {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array | Uint8ClampedArray;
}

const COEF_SCALE = 2048; // INTER_RESIZE_COEF_SCALE = 1 << 11
const f32 = Math.fround;

/** `cvRound` of a float (`lrintf`, round half to even) saturated to int16, like `saturate_cast<short>(float)`. */
function toShort(v: number): number {
  const r = roundHalfEven(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/** OpenCV's `interpolateCubic` in float32, quantised to the `short` weights the 8-bit path uses. */
function cubicWeights(t: number): [number, number, number, number] {
  const A = -0.75;
  const x1 = f32(t + 1);
  const c0 = f32(f32(f32(f32(f32(f32(A * x1) - f32(5 * A)) * x1) + f32(8 * A)) * x1) - f32(4 * A));
  const c1 = f32(f32(f32(f32(f32(f32(A + 2) * t) - f32(A + 3)) * t) * t) + 1);
  const u = f32(1 - t);
  const c2 = f32(f32(f32(f32(f32(f32(A + 2) * u) - f32(A + 3)) * u) * u) + 1);
  const c3 = f32(f32(f32(1 - c0) - c1) - c2);
  return [toShort(f32(c0 * COEF_SCALE)), toShort(f32(c1 * COEF_SCALE)), toShort(f32(c2 * COEF_SCALE)), toShort(f32(c3 * COEF_SCALE))];
}

interface Taps {
  /** First source index (s − 1) per output index, before clamping. */
  readonly start: Int32Array;
  /** Four `short` weights per output index. */
  readonly weights: Int32Array;
}

function taps(srcSize: number, dstSize: number): Taps {
  const scale = 1 / (dstSize / srcSize);
  const start = new Int32Array(dstSize);
  const weights = new Int32Array(dstSize * 4);
  for (let d = 0; d < dstSize; d++) {
    const f = f32((d + 0.5) * scale - 0.5);
    const s = Math.floor(f);
    start[d] = s - 1;
    weights.set(cubicWeights(f32(f - s)), d * 4);
  }
  return { start, weights };
}

const clamp = (v: number, hi: number): number => (v < 0 ? 0 : v > hi ? hi : v);

/**
 * Resizes an interleaved 8-bit image with `channels` channels (inferred from the data length when absent) to
 * dstWidth × dstHeight the way `cv2.resize(..., interpolation=cv2.INTER_CUBIC)` does.
 */
export function resizeCubicCv2(img: Image8Like, dstWidth: number, dstHeight: number, channels?: number): Uint8Array {
  const { width: sw, height: sh, data } = img;
  const cn = channels ?? data.length / (sw * sh);
  if (!Number.isInteger(cn) || cn < 1 || data.length !== sw * sh * cn) throw new Error(`resizeCubicCv2: ${data.length} bytes do not make a ${sw}x${sh} image`);
  if (!(dstWidth >= 1 && dstHeight >= 1 && Number.isInteger(dstWidth) && Number.isInteger(dstHeight))) throw new Error(`resizeCubicCv2: bad size ${dstWidth}x${dstHeight}`);
  const out = new Uint8Array(dstWidth * dstHeight * cn);
  if (sw === dstWidth && sh === dstHeight) {
    out.set(data); // cv2.resize copies when the size is unchanged
    return out;
  }
  const xt = taps(sw, dstWidth);
  const yt = taps(sh, dstHeight);
  const rowLen = dstWidth * cn;
  // Source column offsets of the four taps per packed output value, clamped (edge replicate).
  const colOfs = new Int32Array(rowLen * 4);
  for (let dx = 0; dx < dstWidth; dx++) {
    for (let j = 0; j < 4; j++) {
      const sx = clamp(xt.start[dx] + j, sw - 1) * cn;
      for (let c = 0; c < cn; c++) colOfs[(dx * cn + c) * 4 + j] = sx + c;
    }
  }
  const hCache = new Map<number, Int32Array>();
  const hRow = (sy: number): Int32Array => {
    let row = hCache.get(sy);
    if (row) return row;
    row = new Int32Array(rowLen);
    const base = sy * sw * cn;
    for (let i = 0; i < rowLen; i++) {
      const dx = (i / cn) | 0;
      const w = dx * 4;
      const o = i * 4;
      row[i] =
        data[base + colOfs[o]] * xt.weights[w] +
        data[base + colOfs[o + 1]] * xt.weights[w + 1] +
        data[base + colOfs[o + 2]] * xt.weights[w + 2] +
        data[base + colOfs[o + 3]] * xt.weights[w + 3];
    }
    hCache.set(sy, row);
    return row;
  };
  const simdEnd = rowLen - (rowLen % 8);
  const scale = 1 / (COEF_SCALE * COEF_SCALE);
  for (let dy = 0; dy < dstHeight; dy++) {
    const s0 = yt.start[dy];
    for (const key of hCache.keys()) if (key < clamp(s0, sh - 1)) hCache.delete(key); // rows only move down
    const r0 = hRow(clamp(s0, sh - 1));
    const r1 = hRow(clamp(s0 + 1, sh - 1));
    const r2 = hRow(clamp(s0 + 2, sh - 1));
    const r3 = hRow(clamp(s0 + 3, sh - 1));
    const w = dy * 4;
    const i0 = yt.weights[w], i1 = yt.weights[w + 1], i2 = yt.weights[w + 2], i3 = yt.weights[w + 3];
    const b0 = f32(i0 * scale), b1 = f32(i1 * scale), b2 = f32(i2 * scale), b3 = f32(i3 * scale);
    const o = dy * rowLen;
    for (let x = 0; x < simdEnd; x++) {
      const inner = f32(f32(r2[x] * b2) + f32(r3[x] * b3));
      const mid = f32(f32(r1[x] * b1) + inner);
      const v = roundHalfEven(f32(f32(r0[x] * b0) + mid));
      out[o + x] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    for (let x = simdEnd; x < rowLen; x++) {
      const v = Math.floor((r0[x] * i0 + r1[x] * i1 + r2[x] * i2 + r3[x] * i3 + (1 << 21)) / (1 << 22));
      out[o + x] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}
