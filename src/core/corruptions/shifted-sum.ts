/**
 * The core of imagecorruptions' numpy motion blur (motion_blur, and snow's flake layer): a weighted sum of shifted
 * copies of an image, `out[y][x] = Σ_t k_t · src[clamp(y − dy_t)][clamp(x − dx_t)]` (edge replication), accumulated
 * in float64 from 0 in tap order, as the reference's `shift` + `+=` loop does. Float64 runs through the WebAssembly
 * SIMD kernel `dot` on edge-padded rows (bit-identical); the JavaScript loop is the fallback.
 */
import { Layout, simdKernels } from './simd/kernels';

export interface ShiftTap {
  dx: number;
  dy: number;
  k: number;
}

/** Σ_t k_t · shift(src, dx_t, dy_t) of an H×W×C image (row-major, channel fastest), as float64. */
export function shiftedSum(src: ArrayLike<number>, w: number, h: number, c: number, taps: readonly ShiftTap[]): Float64Array {
  const stride = w * c;
  const kern = taps.length > 0 ? simdKernels() : null;
  if (kern) {
    let pad = 0;
    for (const t of taps) pad = Math.max(pad, Math.abs(t.dx));
    const pw = w + 2 * pad;
    const lay = new Layout();
    const padAt = lay.alloc(8 * h * pw * c);
    const outAt = lay.alloc(8 * h * stride);
    const tapsAt = lay.alloc(16 * taps.length);
    kern.reserve(lay.top);
    const f64 = kern.f64;
    const i32 = kern.i32;
    for (let y = 0; y < h; y++) {
      let o = (padAt >> 3) + y * pw * c;
      const row = y * stride;
      for (let x = -pad; x < w + pad; x++) {
        const s = row + (x < 0 ? 0 : x >= w ? w - 1 : x) * c;
        for (let ch = 0; ch < c; ch++) f64[o++] = src[s + ch];
      }
    }
    for (let t = 0; t < taps.length; t++) f64[(tapsAt >> 3) + 2 * t + 1] = taps[t].k;
    for (let y = 0; y < h; y++) {
      for (let t = 0; t < taps.length; t++) {
        let sy = y - taps[t].dy;
        sy = sy < 0 ? 0 : sy >= h ? h - 1 : sy;
        i32[(tapsAt >> 2) + 4 * t] = padAt + 8 * (sy * pw + pad - taps[t].dx) * c;
      }
      kern.dot(outAt + 8 * y * stride, tapsAt, taps.length, stride);
    }
    return f64.slice(outAt >> 3, (outAt >> 3) + h * stride);
  }
  const acc = new Float64Array(h * stride);
  const xMap = new Int32Array(w);
  for (const { dx, dy, k } of taps) {
    for (let x = 0; x < w; x++) {
      const sx = x - dx;
      xMap[x] = (sx < 0 ? 0 : sx >= w ? w - 1 : sx) * c;
    }
    for (let y = 0; y < h; y++) {
      let sy = y - dy;
      sy = sy < 0 ? 0 : sy >= h ? h - 1 : sy;
      const srow = sy * stride;
      const o = y * stride;
      for (let x = 0; x < w; x++) {
        const s = srow + xMap[x];
        const d = o + x * c;
        for (let ch = 0; ch < c; ch++) acc[d + ch] += k * src[s + ch];
      }
    }
  }
  return acc;
}

/**
 * The taps of `_motion_blur(x, radius, sigma, angle)` for a kernel of `weights.length` taps: the i-th tap is shifted by
 * `(dx, dy) = (−ceil(i·cos θ − 0.5), −ceil(i·sin θ − 0.5))` (via `p = width·(sin θ, cos θ)`, `p/|p|`), and the loop stops
 * at the first shift as large as the image.
 */
export function motionTaps(weights: ArrayLike<number>, angleDeg: number, w: number, h: number): ShiftTap[] {
  const width = weights.length;
  const rad = angleDeg * (Math.PI / 180); // np.deg2rad
  const p0 = width * Math.sin(rad);
  const p1 = width * Math.cos(rad);
  const hyp = Math.hypot(p0, p1);
  const taps: ShiftTap[] = [];
  for (let i = 0; i < width; i++) {
    const dy = -Math.ceil((i * p0) / hyp - 0.5);
    const dx = -Math.ceil((i * p1) / hyp - 0.5);
    if (Math.abs(dy) >= h || Math.abs(dx) >= w) break;
    taps.push({ dx, dy, k: weights[i] });
  }
  return taps;
}
