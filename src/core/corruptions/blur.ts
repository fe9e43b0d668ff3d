/**
 * The deterministic blurs of imagecorruptions 1.1.2 (SPEC.md §2): gaussian_blur, defocus_blur, zoom_blur, and
 * motion_blur with a given (replayed) angle.
 */
import { DEFOCUS_KERNELS, MOTION_KERNELS } from './tables';
import { borderIndex, clipBytes, gaussianFilter, toUnitFloat64, unitToBytes } from './filters';
import type { CorruptOptions, Severity } from './types';
import { motionTaps, shiftedSum } from './shifted-sum';
import { roundHalfEven } from '../round-half-even';

export { defocusBlur } from './defocus';

const GAUSSIAN_SIGMA = [1, 2, 3, 4, 6];

/** skimage `gaussian(x/255, σ, channel_axis=-1)` (scipy, mode nearest, truncate 4, float64), then clip. */
export function gaussianBlur(src: Uint8Array, w: number, h: number, severity: Severity, _o: CorruptOptions): Uint8Array {
  return unitToBytes(gaussianFilter(toUnitFloat64(src), w, h, 3, GAUSSIAN_SIGMA[severity - 1], 'nearest', 4.0));
}

/** x = u8/255 extended by r on every side with BORDER_REFLECT_101: (h + 2r) rows of (w + 2r)·3 values. */
function padReflect101(src: Uint8Array, w: number, h: number, r: number): Float64Array {
  const c = 3;
  const pw = w + 2 * r;
  const ph = h + 2 * r;
  const pstride = pw * c;
  const pad = new Float64Array(ph * pstride);
  const unit = new Float64Array(256);
  for (let v = 0; v < 256; v++) unit[v] = v / 255;
  const xIdx = new Int32Array(pw);
  for (let x = 0; x < pw; x++) xIdx[x] = borderIndex(x - r, w, 'mirror') * c;
  for (let py = 0; py < ph; py++) {
    const sy = borderIndex(py - r, h, 'mirror') * w * c;
    const o = py * pstride;
    for (let x = 0; x < pw; x++) {
      const s = sy + xIdx[x];
      const d = o + x * c;
      pad[d] = unit[src[s]];
      pad[d + 1] = unit[src[s + 1]];
      pad[d + 2] = unit[src[s + 2]];
    }
  }
  return pad;
}

/**
 * defocus_blur by the plain 2-D sum over every nonzero tap (row-major tap order). Kept as the straightforward
 * statement of the operation; `defocusBlur` (./defocus.ts) computes the same sum faster and the tests compare the two.
 */
export function defocusBlurDirect(src: Uint8Array, w: number, h: number, severity: Severity, _o?: CorruptOptions): Uint8Array {
  const { size, kernel } = DEFOCUS_KERNELS[severity];
  const r = (size - 1) >> 1;
  const pad = padReflect101(src, w, h, r);
  const pstride = (w + 2 * r) * 3;
  const stride = w * 3;
  const out = new Float64Array(h * stride);
  const acc = new Float64Array(stride);
  for (let y = 0; y < h; y++) {
    acc.fill(0);
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        const wt = kernel[i * size + j];
        if (wt === 0) continue;
        const base = (y + i) * pstride + j * 3;
        for (let t = 0; t < stride; t++) acc[t] += wt * pad[base + t];
      }
    }
    out.set(acc, y * stride);
  }
  return unitToBytes(out);
}

/**
 * The zoom factors of severity s: `np.arange(1, stop, step)`. numpy fills a float arange as
 * `start + i·delta` with `delta = (start + step) - start`, and its length is `ceil((stop - start)/step)`.
 */
const ZOOM_RANGES: ReadonlyArray<readonly [number, number]> = [
  [1.11, 0.01],
  [1.16, 0.01],
  [1.21, 0.02],
  [1.26, 0.02],
  [1.31, 0.03],
];
export function zoomFactors(severity: Severity): number[] {
  const [stop, step] = ZOOM_RANGES[severity - 1];
  const len = Math.ceil((stop - 1) / step);
  const delta = 1 + step - 1;
  const z: number[] = [];
  for (let i = 0; i < len; i++) z.push(i === 0 ? 1 : i === 1 ? 1 + step : 1 + i * delta);
  return z;
}

/**
 * One axis of `clipped_zoom`: crop `ch = ceil(n/z)` at `top = (n - ch)//2`, scipy `zoom(order=1)` to
 * `round(ch·z)` samples (output i reads position `i·((ch-1)/(out-1))`), trim `(out - n)//2` from the start and
 * keep n samples. Per kept sample: the two source indices (absolute) and scipy's spline weights
 * `w0 = 1 - frac`, `w1 = 1 - w0`.
 */
interface ZoomAxis {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float64Array;
  w1: Float64Array;
}
/** `clipped_zoom` geometry along an axis of length n: crop size `ceil(n/z)`, its start, and scipy's output size. */
export function zoomGeometry(n: number, z: number): { crop: number; top: number; zoomedSize: number } {
  const crop = Math.ceil(n / z);
  return { crop, top: Math.floor((n - crop) / 2), zoomedSize: roundHalfEven(crop * z) };
}

function zoomAxis(n: number, z: number): ZoomAxis {
  const { crop: ch, top, zoomedSize: outSize } = zoomGeometry(n, z);
  const zoom = outSize > 1 ? (ch - 1) / (outSize - 1) : 1;
  const trim = Math.floor((outSize - n) / 2);
  const i0 = new Int32Array(n);
  const i1 = new Int32Array(n);
  const w0 = new Float64Array(n);
  const w1 = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const kk = k + trim;
    // kk·zoom never exceeds ch-1 for kk ≤ out-1 at the sizes used (checked for 224); clamp defensively.
    let cc = kk * zoom;
    if (cc > ch - 1) cc = ch - 1;
    const start = Math.floor(cc);
    const frac = cc - start;
    const a = 1.0 - frac;
    i0[k] = top + start;
    i1[k] = top + (start + 1 < ch ? start + 1 : start); // weight 0 there when start = ch-1
    w0[k] = a;
    w1[k] = 1.0 - a;
  }
  return { i0, i1, w0, w1 };
}

/**
 * zoom_blur: `x32 = float32(u8/255)`; for each factor add the order-1 zoomed centre crop (computed in float64 as
 * scipy's NI_ZoomShift sums it — `((v00·wy0·wx0 + v01·wy0·wx1) + v10·wy1·wx0) + v11·wy1·wx1` — and stored as
 * float32) into a float32 accumulator; `res = (x32 + out)/(n+1)`, clip, ×255, all in float32; truncate.
 */
export function zoomBlur(src: Uint8Array, w: number, h: number, severity: Severity, _o: CorruptOptions): Uint8Array {
  const c = 3;
  const stride = w * c;
  const len = src.length;
  const x32 = new Float32Array(len);
  for (let i = 0; i < len; i++) x32[i] = src[i] / 255;
  const acc = new Float32Array(len);
  const factors = zoomFactors(severity);
  for (const z of factors) {
    const ay = zoomAxis(h, z);
    const ax = zoomAxis(w, z);
    for (let y = 0; y < h; y++) {
      const r0 = ay.i0[y] * stride;
      const r1 = ay.i1[y] * stride;
      const wy0 = ay.w0[y];
      const wy1 = ay.w1[y];
      const o = y * stride;
      for (let x = 0; x < w; x++) {
        const c0 = ax.i0[x] * c;
        const c1 = ax.i1[x] * c;
        const wx0 = ax.w0[x];
        const wx1 = ax.w1[x];
        const p = o + x * c;
        for (let ch = 0; ch < c; ch++) {
          const t = x32[r0 + c0 + ch] * wy0 * wx0 + x32[r0 + c1 + ch] * wy0 * wx1 + x32[r1 + c0 + ch] * wy1 * wx0 + x32[r1 + c1 + ch] * wy1 * wx1;
          // Float32Array stores round to nearest float32 (the layer), then the float32 sum is rounded again.
          acc[p + ch] = acc[p + ch] + Math.fround(t);
        }
      }
    }
  }
  const n1 = factors.length + 1;
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    let v = Math.fround(Math.fround(x32[i] + acc[i]) / n1);
    if (v < 0) v = 0;
    else if (v > 1) v = 1;
    out[i] = Math.fround(v * 255);
  }
  return out;
}

/**
 * imagecorruptions' numpy motion blur with a given angle (degrees) and a tabulated kernel (`MOTION_KERNELS` key):
 * `out = Σ_i k_i · shift(src, dx_i, dy_i)` on the 0..255 values in float64, with
 * `p = (n·sin θ, n·cos θ)`, `dy_i = -ceil(i·p₀/|p| - 0.5)`, `dx_i = -ceil(i·p₁/|p| - 0.5)` and edge-replicating shifts;
 * returns the float64 sum (not clipped). Works for any channel count.
 */
export function motionBlurFloat(src: ArrayLike<number>, w: number, h: number, c: number, kernelKey: string, angleDeg: number): Float64Array {
  const kernel = MOTION_KERNELS[kernelKey];
  if (!kernel) throw new Error(`no motion-blur kernel ${kernelKey}`);
  if (kernel.weights.length !== kernel.width) throw new Error(`motion-blur kernel ${kernelKey}: ${kernel.weights.length} weights for width ${kernel.width}`);
  return shiftedSum(src, w, h, c, motionTaps(kernel.weights, angleDeg, w, h));
}

/** Reads `angle_deg` from replayed params (a params.json entry as-is). */
export function paramAngle(params: Record<string, unknown> | undefined): number | undefined {
  const v = params?.angle_deg;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** motion_blur with a known angle θ (degrees, drawn as `uniform(-45, 45)` upstream); clip to 0..255, truncate. */
export function motionBlurWithAngle(src: Uint8Array, w: number, h: number, severity: Severity, angleDeg: number): Uint8Array {
  return clipBytes(motionBlurFloat(src, w, h, 3, String(severity), angleDeg));
}
