/**
 * defocus_blur (SPEC.md §2): `cv2.filter2D(x/255, -1, kernel)` per channel with the tabulated float32 disk kernel
 * (correlation anchored at the centre, BORDER_REFLECT_101, float64), then clip. OpenCV evaluates it with a DFT; here
 * it is a direct sum regrouped so that almost all of it is exact integer arithmetic:
 *
 *   255·out = Σ_taps w·u8 = Σ_g w_g · S_g,   S_g = Σ over the taps of weight w_g of the uint8 values (an exact integer).
 *
 * The kernels are symmetric about both axes (checked), so a tap (i, j) ≥ 0 stands for the pixels (y ± i, x ± j):
 * V_i = row(y − i) + row(y + i) (V_0 = row y), and (i, j) adds V_i[x − j] + V_i[x + j] (V_i[x] for j = 0) to its
 * group's sum. Only the float64 products w_g·S_g and their sum round, so the result is within rounding noise of the
 * exact sum, like OpenCV's DFT and the plain 2-D sum (`defocusBlurDirect`): a value could only land one level apart
 * where the exact result sits within ~1e-12 of an integer (none on the fixture images; the tests compare both).
 * The per-row sums run in the WebAssembly SIMD kernels `addU8` and `gsum`; the JavaScript loops are the fallback and
 * compute the same numbers in the same order.
 */
import { DEFOCUS_KERNELS } from './tables';
import { borderIndex } from './symmetric-filter';
import { Layout, simdKernels } from './simd/kernels';
import type { CorruptOptions, Severity } from './types';

/** The kernel of one severity as weight groups of (i, j) offsets, i, j ≥ 0 (each standing for its mirror images). */
interface DefocusGroups {
  /** Kernel radius. */
  r: number;
  weights: Float64Array;
  /** Per group, its offsets flattened: i₀, j₀, i₁, j₁, … */
  offsets: Int32Array[];
}

/**
 * A weight bound below which taps cannot change any output, or 0. The severity-1 kernel carries float32 anti-alias
 * residue (σ = 0.1 gives 1.9e-22 side taps; values down to 1.4e-45): all weights and pixels are ≥ 0 and a dropped
 * total below 2^-60 of the smallest kept weight is far below the rounding of any nonzero result.
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
  // Each dropped tap sees p ≤ 2·255 (two image rows summed); half an ulp of x ≥ 2^-54·x.
  return 2 * dropped < 2 ** -54 * (minKept / 255) && 2 * dropped * 255 < 2 ** -60 ? threshold : 0;
}

const groupsBySeverity = new Map<Severity, DefocusGroups>();
function defocusGroups(severity: Severity): DefocusGroups {
  const hit = groupsBySeverity.get(severity);
  if (hit) return hit;
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
  const byWeight = new Map<number, number[]>();
  for (let i = 0; i <= r; i++) {
    for (let j = 0; j <= r; j++) {
      const v = kernel[(r + i) * size + r + j];
      if (v <= skip) continue;
      const list = byWeight.get(v);
      if (list) list.push(i, j);
      else byWeight.set(v, [i, j]);
    }
  }
  const groups: DefocusGroups = {
    r,
    weights: Float64Array.from(byWeight.keys()),
    offsets: Array.from(byWeight.values(), (list) => Int32Array.from(list)),
  };
  groupsBySeverity.set(severity, groups);
  return groups;
}

/** The uint8 image extended by r on every side with BORDER_REFLECT_101: (h + 2r) rows of (w + 2r)·3 bytes. */
function padReflect101U8(src: Uint8Array, w: number, h: number, r: number, out: Uint8Array, at: number): void {
  const c = 3;
  const pw = w + 2 * r;
  const xIdx = new Int32Array(pw);
  for (let x = 0; x < pw; x++) xIdx[x] = borderIndex(x - r, w, 'mirror') * c;
  for (let py = 0; py < h + 2 * r; py++) {
    const sy = borderIndex(py - r, h, 'mirror') * w * c;
    let o = at + py * pw * c;
    for (let x = 0; x < pw; x++, o += c) {
      const s = sy + xIdx[x];
      out[o] = src[s];
      out[o + 1] = src[s + 1];
      out[o + 2] = src[s + 2];
    }
  }
}

/** 255·out clipped to [0, 255] and truncated (`np.uint8(np.clip(x, 0, 1)·255)` on the 0..255 scale). */
function toByte(t: number): number {
  return t <= 0 ? 0 : t >= 255 ? 255 : t;
}

export function defocusBlur(src: Uint8Array, w: number, h: number, severity: Severity, _o?: CorruptOptions): Uint8Array {
  const { r, weights, offsets } = defocusGroups(severity);
  const c = 3;
  const pw = w + 2 * r;
  const prow = pw * c; // padded row length
  const n = w * c; // outputs per row
  const out = new Uint8Array(h * n);
  const k = simdKernels();
  if (k) {
    const lay = new Layout();
    const padAt = lay.alloc((h + 2 * r) * prow);
    const vAt = lay.alloc(4 * (r + 1) * prow);
    const zeroAt = lay.alloc(4 * prow); // a row of zeros, read as int32 (gsum) and as uint8 (addU8)
    let entries = 0;
    for (const o of offsets) entries += o.length >> 1;
    const groupsAt = lay.alloc(16 * weights.length + 8 * entries);
    const rowAt = lay.alloc(8 * n);
    k.reserve(lay.top);
    const { u8, i32, f64 } = k;
    padReflect101U8(src, w, h, r, u8, padAt);
    u8.fill(0, zeroAt, zeroAt + 4 * prow);
    // The group table: absolute offsets of the int32 rows V_i (fixed across output rows).
    let g = groupsAt;
    for (let gi = 0; gi < weights.length; gi++) {
      const o = offsets[gi];
      f64[g >> 3] = weights[gi];
      i32[(g >> 2) + 2] = o.length >> 1;
      let e = (g + 16) >> 2;
      for (let t = 0; t < o.length; t += 2) {
        const i = o[t];
        const j = o[t + 1];
        const row = vAt + 4 * i * prow;
        i32[e++] = row + 4 * (r - j) * c;
        i32[e++] = j === 0 ? zeroAt : row + 4 * (r + j) * c;
      }
      g = e << 2;
    }
    for (let y = 0; y < h; y++) {
      const centre = padAt + (y + r) * prow;
      k.addU8(vAt, centre, zeroAt, prow);
      for (let i = 1; i <= r; i++) k.addU8(vAt + 4 * i * prow, centre - i * prow, centre + i * prow, prow);
      k.gsum(rowAt, groupsAt, weights.length, n);
      const f = k.f64;
      const o = y * n;
      for (let x = 0, q = rowAt >> 3; x < n; x++) out[o + x] = toByte(f[q + x]);
    }
    return out;
  }
  const pad = new Uint8Array((h + 2 * r) * prow);
  padReflect101U8(src, w, h, r, pad, 0);
  const V = Array.from({ length: r + 1 }, () => new Int32Array(prow));
  for (let y = 0; y < h; y++) {
    const centre = (y + r) * prow;
    for (let t = 0; t < prow; t++) V[0][t] = pad[centre + t];
    for (let i = 1; i <= r; i++) {
      const a = centre - i * prow;
      const b = centre + i * prow;
      const v = V[i];
      for (let t = 0; t < prow; t++) v[t] = pad[a + t] + pad[b + t];
    }
    const o = y * n;
    for (let x = 0; x < n; x++) {
      let acc = 0;
      for (let gi = 0; gi < weights.length; gi++) {
        const off = offsets[gi];
        let s = 0;
        for (let t = 0; t < off.length; t += 2) {
          const v = V[off[t]];
          const j = off[t + 1];
          s += j === 0 ? v[x + r * c] : v[x + (r - j) * c] + v[x + (r + j) * c];
        }
        acc += s * weights[gi];
      }
      out[o + x] = toByte(acc);
    }
  }
  return out;
}
