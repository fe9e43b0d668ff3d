/**
 * spatter (SPEC.md §2): a normal "liquid" layer, Gaussian-blurred and thresholded; severities 1–3 paint
 * turquoise water around the blob edges (Canny → distance transform → equalisation → emboss, OpenCV-style),
 * severities 4–5 paint brown mud over the blobs. The only draws are the layer's H×W normals.
 */
import type { RandomState } from '../rng/numpy-random';
import { gaussianFilter } from './ndimage';
import { boxBlur3F32, boxBlur3U8, canny, distanceTransformL2Mask5, equalizeHist, filter2D3x3U8 } from './opencv';

/** (μ, σ, blur σ, threshold, intensity, mode 0 = water / 1 = mud) per severity. */
export const SPATTER_PARAMS: ReadonlyArray<readonly [number, number, number, number, number, 0 | 1]> = [
  [0.65, 0.3, 4, 0.69, 0.6, 0],
  [0.65, 0.3, 3, 0.68, 0.6, 0],
  [0.65, 0.3, 2, 0.68, 0.5, 0],
  [0.65, 0.3, 1, 0.65, 1.5, 1],
  [0.67, 0.4, 1, 0.65, 1.5, 1],
];

const EMBOSS = [-2, -1, 0, -1, 1, 1, 0, 1, 2];

/** `float32(u8 / 255)` for every byte value. */
const UNIT32 = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** float32 result ×255 → uint8 as numpy casts it (NaN → 0). */
function f32ToByte(v: number): number {
  if (!(v > 0)) return 0;
  if (v >= 1) return 255;
  return Math.trunc(Math.fround(v * 255));
}

/**
 * How close a blurred layer value may come to a decision before the fast normals are not trusted: they are within a
 * few ulps of numpy's, which moves a blurred value (a convex combination) by ≲ 1e-14.
 */
const CUT_MARGIN = 1e-9;

/** Whether some value is within CUT_MARGIN of `thr` (the `< thr` and `> thr` tests) or, with `bytes`, of a step of `trunc(v·255)`. */
function nearACut(liquid: Float64Array, thr: number, bytes: boolean): boolean {
  for (let i = 0; i < liquid.length; i++) {
    const v = liquid[i];
    if (Math.abs(v - thr) < CUT_MARGIN) return true;
    if (bytes && v >= thr) {
      const t = v * 255;
      const frac = t - Math.floor(t);
      if (frac < 255 * CUT_MARGIN || frac > 1 - 255 * CUT_MARGIN) return true;
    }
  }
  return false;
}

export function spatter(rgb: Uint8Array, width: number, height: number, severity: number, rs: RandomState): Uint8Array {
  const [mu, sd, blurSigma, thr, k, mode] = SPATTER_PARAMS[severity - 1];
  const n = width * height;
  // The layer is drawn with the fast log first; it is replayed exactly (from the saved generator state) only if a
  // blurred value lies so close to the threshold or to a uint8 step that a few ulps in the normals could matter.
  const saved = rs.getState();
  let liquid = gaussianFilter(rs.normalFastInto(new Float64Array(n), mu, sd), height, width, 1, blurSigma, 'nearest', 4.0);
  if (nearACut(liquid, thr, mode === 0)) {
    rs.setState(saved);
    liquid = gaussianFilter(rs.normal(mu, sd, n), height, width, 1, blurSigma, 'nearest', 4.0);
  }
  for (let i = 0; i < n; i++) if (liquid[i] < thr) liquid[i] = 0;
  const out = new Uint8Array(n * 3);
  if (mode === 0) {
    const L = new Uint8Array(n);
    for (let i = 0; i < n; i++) L[i] = Math.trunc(liquid[i] * 255) & 0xff;
    const edges = canny(L, width, height, 50, 150);
    for (let i = 0; i < n; i++) edges[i] = 255 - edges[i];
    const dist = distanceTransformL2Mask5(edges, width, height);
    for (let i = 0; i < n; i++) if (dist[i] > 20) dist[i] = 20;
    const blurred = boxBlur3F32(dist, width, height);
    const d8 = new Uint8Array(n);
    for (let i = 0; i < n; i++) d8[i] = Math.trunc(blurred[i]);
    const eq = equalizeHist(d8);
    const emb = boxBlur3U8(filter2D3x3U8(eq, width, height, EMBOSS), width, height);
    // m = L·D (float32, exact), normalised by its max, ×k (float32)
    const m = new Float32Array(n);
    let max = 0;
    for (let i = 0; i < n; i++) {
      m[i] = L[i] * emb[i];
      if (m[i] > max) max = m[i];
    }
    const k32 = Math.fround(k);
    for (let i = 0; i < n; i++) m[i] = Math.fround(Math.fround(m[i] / max) * k32); // 0/0 → NaN → 0 below
    const cr = Math.fround(175 / 255);
    const cg = Math.fround(238 / 255);
    const cb = Math.fround(238 / 255);
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const mi = m[i];
      out[j] = f32ToByte(Math.fround(UNIT32[rgb[j]] + Math.fround(mi * cr)));
      out[j + 1] = f32ToByte(Math.fround(UNIT32[rgb[j + 1]] + Math.fround(mi * cg)));
      out[j + 2] = f32ToByte(Math.fround(UNIT32[rgb[j + 2]] + Math.fround(mi * cb)));
    }
    return out;
  }
  // mud: M = float32(liquid > thr), Gaussian σ = k (float32), M < 0.8 → 0
  const mask = new Float32Array(n);
  for (let i = 0; i < n; i++) mask[i] = liquid[i] > thr ? 1 : 0;
  const M = gaussianFilter(mask, height, width, 1, k, 'nearest', 4.0);
  for (let i = 0; i < n; i++) if (M[i] < 0.8) M[i] = 0;
  const color = [63 / 255, 42 / 255, 20 / 255];
  for (let i = 0, j = 0; i < n; i++) {
    const mi = M[i];
    const keep = Math.fround(1 - mi);
    for (let c = 0; c < 3; c++, j++) {
      const x = Math.fround(UNIT32[rgb[j]] * keep);
      const v = x + color[c] * mi; // float32 + float64 → float64
      out[j] = v <= 0 ? 0 : v >= 1 ? 255 : Math.trunc(v * 255);
    }
  }
  return out;
}
