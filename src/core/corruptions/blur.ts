/**
 * The deterministic blurs of imagecorruptions 1.1.2 (SPEC.md §2): gaussian_blur, defocus_blur, zoom_blur, and
 * motion_blur with a given (replayed) angle.
 */
import { DEFOCUS_KERNELS, MOTION_KERNELS } from './tables';
import { borderIndex, clipBytes, gaussianFilter, toUnitFloat64, unitToBytes } from './filters';
import type { CorruptOptions, Severity } from './types';
import { motionTaps, shiftedSum } from './shifted-sum';

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
 * statement of the operation; `defocusBlur` computes the same sum faster and the tests compare the two.
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
 * The kernel of one severity prepared for the fast sum. The tabulated kernels are symmetric about both axes
 * (checked when the plan is built), so kernel rows i and size-1-i are equal: only rows 0..r are used, applied to the
 * sum of the two image rows they meet. Within a row the taps are grouped by weight (one multiply per distinct
 * weight); a group's columns come in mirror pairs (j, size-1-j) — added together first — and contiguous runs of
 * RUN_MIN or more columns, which are summed with a sliding window.
 */
interface DefocusGroup {
  weight: number;
  /** Column pairs [j, size-1-j] (j = size-1-j for the centre column). */
  pairs: Array<[number, number]>;
  /** Contiguous runs [first column, length]. */
  runs: Array<[number, number]>;
}
interface DefocusRow {
  /** Single-pair groups (no runs, one mirror pair off the centre): weight and the two column offsets (×3). */
  sw: Float64Array;
  sa: Int32Array;
  sb: Int32Array;
  /** Every other group. */
  multi: DefocusGroup[];
}
interface DefocusPlan {
  size: number;
  rows: DefocusRow[];
}
const RUN_MIN = 5;

/**
 * A weight bound below which taps cannot change any output of the (direct, float64) sum, or 0. The severity-1 kernel
 * carries float32 anti-alias residue (σ = 0.1 gives 1.9e-22 side taps; values down to 1.4e-45) that costs passes but
 * never matters: all weights and pixels are ≥ 0, so partial sums only grow; once any tap ≥ the smallest kept weight
 * sees a nonzero pixel (≥ 1/255), the partial sum is ≥ minKept/255, and a dropped total below half an ulp of that is
 * absorbed by every rounding; if no kept tap sees a nonzero pixel the result is at most 2·Σdropped, which truncates to 0.
 * `defocusBlurDirect` keeps every tap; the tests check both give identical bytes.
 */
function negligibleBelow(kernel: readonly number[]): number {
  let max = 0;
  for (const v of kernel) if (v > max) max = v;
  const threshold = max * 1e-12;
  let dropped = 0;
  let minKept = Infinity;
  for (const v of kernel) {
    if (v < 0) return 0;
    if (v === 0) continue;
    if (v <= threshold) dropped += v;
    else if (v < minKept) minKept = v;
  }
  // Each dropped tap sees p ≤ 2 (two image rows summed); half an ulp of x ≥ 2^-54·x.
  return 2 * dropped < 2 ** -54 * (minKept / 255) && 2 * dropped * 255 < 2 ** -60 ? threshold : 0;
}
const defocusPlans = new Map<Severity, DefocusPlan>();
function defocusPlan(severity: Severity): DefocusPlan {
  let plan = defocusPlans.get(severity);
  if (plan) return plan;
  const { size, kernel } = DEFOCUS_KERNELS[severity];
  const r = (size - 1) >> 1;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const v = kernel[i * size + j];
      if (v !== kernel[(size - 1 - i) * size + j] || v !== kernel[i * size + size - 1 - j]) {
        throw new Error(`defocus kernel ${severity} is not symmetric`);
      }
    }
  }
  const skip = negligibleBelow(kernel);
  const rows: DefocusRow[] = [];
  for (let i = 0; i <= r; i++) {
    const byWeight = new Map<number, number[]>();
    for (let j = 0; j < size; j++) {
      const v = kernel[i * size + j];
      if (v <= skip) continue;
      const cols = byWeight.get(v);
      if (cols) cols.push(j);
      else byWeight.set(v, [j]);
    }
    const groups: DefocusGroup[] = [];
    for (const [weight, cols] of byWeight) {
      const singles = new Set<number>();
      const runs: Array<[number, number]> = [];
      let k = 0;
      while (k < cols.length) {
        let e = k + 1;
        while (e < cols.length && cols[e] === cols[e - 1] + 1) e++;
        if (e - k >= RUN_MIN) runs.push([cols[k], e - k]);
        else for (let q = k; q < e; q++) singles.add(cols[q]);
        k = e;
      }
      const pairs: Array<[number, number]> = [];
      for (const j of singles) {
        const m = size - 1 - j;
        if (j < m) {
          if (!singles.has(m)) throw new Error('defocus plan: unpaired column'); // impossible for a symmetric row
          pairs.push([j, m]);
        } else if (j === m) pairs.push([j, j]);
      }
      groups.push({ weight, pairs, runs });
    }
    const simple = groups.filter((g) => g.runs.length === 0 && g.pairs.length === 1 && g.pairs[0][0] !== g.pairs[0][1]);
    rows.push({
      sw: Float64Array.from(simple, (g) => g.weight),
      sa: Int32Array.from(simple, (g) => g.pairs[0][0] * 3),
      sb: Int32Array.from(simple, (g) => g.pairs[0][1] * 3),
      multi: groups.filter((g) => !simple.includes(g)),
    });
  }
  plan = { size, rows };
  defocusPlans.set(severity, plan);
  return plan;
}

/**
 * `cv2.filter2D(x/255, -1, kernel)` per channel with the tabulated float32 kernel (correlation anchored at the
 * centre, BORDER_REFLECT_101, float64), then clip. OpenCV evaluates it with a DFT; here it is a direct sum in
 * float64, regrouped for speed (see `DefocusPlan`). Both are within rounding noise of the exact sum, so a value can
 * only land one level apart where the exact result sits within ~1e-13 of an integer after ×255 (none on the
 * fixture images).
 */
export function defocusBlur(src: Uint8Array, w: number, h: number, severity: Severity, _o?: CorruptOptions): Uint8Array {
  const { size, rows } = defocusPlan(severity);
  const r = (size - 1) >> 1;
  const c = 3;
  const pad = padReflect101(src, w, h, r);
  const pstride = (w + 2 * r) * c;
  const stride = w * c;
  const out = new Uint8Array(h * stride);
  const acc = new Float64Array(stride);
  const p = new Float64Array(pstride);
  const grp = new Float64Array(stride);
  for (let y = 0; y < h; y++) {
    acc.fill(0);
    for (let i = 0; i <= r; i++) {
      const { sw, sa, sb, multi } = rows[i];
      if (sw.length === 0 && multi.length === 0) continue; // an all-zero kernel row
      // Image rows y+i and y+size-1-i meet kernel rows i and size-1-i, which are equal.
      const ra = (y + i) * pstride;
      if (i < r) {
        const rb = (y + size - 1 - i) * pstride;
        for (let t = 0; t < pstride; t++) p[t] = pad[ra + t] + pad[rb + t];
      } else {
        for (let t = 0; t < pstride; t++) p[t] = pad[ra + t];
      }
      // Groups that are a single mirror pair of columns: acc += w·(p[a] + p[b]), four groups per pass.
      const ns = sw.length;
      let g = 0;
      for (; g + 4 <= ns; g += 4) {
        const w1 = sw[g], w2 = sw[g + 1], w3 = sw[g + 2], w4 = sw[g + 3];
        const a1 = sa[g], a2 = sa[g + 1], a3 = sa[g + 2], a4 = sa[g + 3];
        const b1 = sb[g], b2 = sb[g + 1], b3 = sb[g + 2], b4 = sb[g + 3];
        for (let t = 0; t < stride; t++) {
          let v = acc[t];
          v += w1 * (p[a1 + t] + p[b1 + t]);
          v += w2 * (p[a2 + t] + p[b2 + t]);
          v += w3 * (p[a3 + t] + p[b3 + t]);
          v += w4 * (p[a4 + t] + p[b4 + t]);
          acc[t] = v;
        }
      }
      for (; g < ns; g++) {
        const wg = sw[g];
        const a = sa[g];
        const b = sb[g];
        for (let t = 0; t < stride; t++) acc[t] += wg * (p[a + t] + p[b + t]);
      }
      for (const { weight, pairs, runs } of multi) {
        grp.fill(0);
        for (const [ja, jb] of pairs) {
          const a = ja * c;
          const b = jb * c;
          if (a === b) for (let t = 0; t < stride; t++) grp[t] += p[a + t];
          else for (let t = 0; t < stride; t++) grp[t] += p[a + t] + p[b + t];
        }
        for (const [j0, len] of runs) {
          const lo = j0 * c;
          const hi = (j0 + len) * c;
          for (let ch = 0; ch < c; ch++) {
            let s = 0;
            for (let k = 0; k < len; k++) s += p[lo + k * c + ch];
            for (let t = ch; t < stride; t += c) {
              grp[t] += s;
              s += p[hi + t] - p[lo + t];
            }
          }
        }
        for (let t = 0; t < stride; t++) acc[t] += weight * grp[t];
      }
    }
    const o = y * stride;
    for (let t = 0; t < stride; t++) {
      let v = acc[t];
      if (v < 0) v = 0;
      else if (v > 1) v = 1;
      out[o + t] = v * 255;
    }
  }
  return out;
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

/** Python's `round()` of a float to an int: half to even. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
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
