/**
 * scipy.ndimage `correlate1d` with a symmetric odd kernel, along axis 0 and then axis 1 of an interleaved H×W×C
 * image: what `gaussian_filter` (and so skimage `gaussian(channel_axis=-1)`) computes. Every output is summed in
 * `NI_Correlate1D`'s order, `in[0]·w₀ + (in[−r] + in[r])·w_r + … + (in[−1] + in[1])·w₁`, left to right, so results
 * are bit-identical to scipy's (float32 arrays round each pass's output, as scipy stores them).
 *
 * Speed: the passes run through the WebAssembly SIMD kernel `sym` (two float64 outputs per instruction; a float32
 * image is widened, and its intermediate rounded to float32 between the passes); the JavaScript fallback sums four
 * neighbouring outputs at once with the taps in the outer loop, so each output's sum stays in a register.
 */
import { Layout, type SimdKernels, simdKernels } from './simd/kernels';

/** Border modes of scipy.ndimage: nearest `a a | a b c d | d d`, reflect `b a | a b c d | d c`, mirror `c b | a b c d | c b`. */
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

type Plane = Float64Array | Float32Array;

/** Axis 0 (rows move): `half` = [w₀, w₁, …, w_r]. */
function rowsPass(src: Plane, dst: Plane, w: number, h: number, c: number, half: Float64Array, mode: BorderMode): void {
  const r = half.length - 1;
  const w0 = half[0];
  const stride = w * c;
  const lo = new Int32Array(r + 1);
  const hi = new Int32Array(r + 1);
  for (let y = 0; y < h; y++) {
    for (let k = 1; k <= r; k++) {
      lo[k] = borderIndex(y - k, h, mode) * stride;
      hi[k] = borderIndex(y + k, h, mode) * stride;
    }
    const o = y * stride;
    let i = 0;
    for (; i + 4 <= stride; i += 4) {
      const s = o + i;
      let a0 = src[s] * w0;
      let a1 = src[s + 1] * w0;
      let a2 = src[s + 2] * w0;
      let a3 = src[s + 3] * w0;
      for (let k = r; k >= 1; k--) {
        const wk = half[k];
        const p = lo[k] + i;
        const q = hi[k] + i;
        a0 += (src[p] + src[q]) * wk;
        a1 += (src[p + 1] + src[q + 1]) * wk;
        a2 += (src[p + 2] + src[q + 2]) * wk;
        a3 += (src[p + 3] + src[q + 3]) * wk;
      }
      dst[s] = a0;
      dst[s + 1] = a1;
      dst[s + 2] = a2;
      dst[s + 3] = a3;
    }
    for (; i < stride; i++) {
      let a = src[o + i] * w0;
      for (let k = r; k >= 1; k--) a += (src[lo[k] + i] + src[hi[k] + i]) * half[k];
      dst[o + i] = a;
    }
  }
}

/** Axis 1 (columns move), through a border-extended copy of each row. */
function colsPass(src: Plane, dst: Plane, w: number, h: number, c: number, half: Float64Array, mode: BorderMode): void {
  const r = half.length - 1;
  const w0 = half[0];
  const stride = w * c;
  const rc = r * c;
  const line = new Float64Array(stride + 2 * rc);
  const ext = new Int32Array(w + 2 * r);
  for (let x = 0; x < w + 2 * r; x++) ext[x] = borderIndex(x - r, w, mode) * c;
  for (let y = 0; y < h; y++) {
    const o = y * stride;
    for (let x = 0; x < r; x++) for (let ch = 0; ch < c; ch++) line[x * c + ch] = src[o + ext[x] + ch];
    for (let i = 0; i < stride; i++) line[rc + i] = src[o + i];
    for (let x = w + r; x < w + 2 * r; x++) for (let ch = 0; ch < c; ch++) line[x * c + ch] = src[o + ext[x] + ch];
    let i = 0;
    for (; i + 4 <= stride; i += 4) {
      const s = rc + i;
      let a0 = line[s] * w0;
      let a1 = line[s + 1] * w0;
      let a2 = line[s + 2] * w0;
      let a3 = line[s + 3] * w0;
      for (let k = r; k >= 1; k--) {
        const wk = half[k];
        const p = s - k * c;
        const q = s + k * c;
        a0 += (line[p] + line[q]) * wk;
        a1 += (line[p + 1] + line[q + 1]) * wk;
        a2 += (line[p + 2] + line[q + 2]) * wk;
        a3 += (line[p + 3] + line[q + 3]) * wk;
      }
      dst[o + i] = a0;
      dst[o + i + 1] = a1;
      dst[o + i + 2] = a2;
      dst[o + i + 3] = a3;
    }
    for (; i < stride; i++) {
      const s = rc + i;
      let a = line[s] * w0;
      for (let k = r; k >= 1; k--) a += (line[s - k * c] + line[s + k * c]) * half[k];
      dst[o + i] = a;
    }
  }
}

/**
 * `correlate1d(·, halfRows, axis=0)` then `correlate1d(·, halfCols, axis=1)` of the H×W×C image `src` into `out`
 * (through `tmp`, of the same type: a Float32Array rounds the intermediate like scipy's float32 arrays). Kernels are
 * given as their centre-first halves [w₀, w₁, …, w_r]. `out` and `tmp` must not overlap `src` or each other.
 */
export function correlateSymmetric2d<T extends Plane>(
  src: T,
  w: number,
  h: number,
  c: number,
  halfRows: Float64Array,
  halfCols: Float64Array,
  mode: BorderMode,
  tmp: T,
  out: T,
): T {
  const k = simdKernels();
  if (k) {
    const n = w * h * c;
    const lay = new Layout();
    const at = lay.alloc(8 * n);
    const tmpAt = lay.alloc(8 * n);
    const scratch = lay.alloc(symScratchBytes(w, c, halfRows, halfCols));
    k.reserve(lay.top);
    k.f64.set(src, at >> 3);
    // A float32 image keeps float32 between the passes (each pass sums in float64, its output is rounded).
    const round = src instanceof Float32Array ? (p: number) => roundToFloat32(k.f64, p >> 3, n) : undefined;
    correlateSymmetric2dAt(k, at, tmpAt, at, w, h, c, halfRows, halfCols, mode, scratch, round);
    out.set(k.f64.subarray(at >> 3, (at >> 3) + n)); // into a Float32Array: rounded once more, like scipy's output
    return out;
  }
  rowsPass(src, tmp, w, h, c, halfRows, mode);
  colsPass(tmp, out, w, h, c, halfCols, mode);
  return out;
}

function roundToFloat32(f64: Float64Array, at: number, n: number): void {
  for (let i = at; i < at + n; i++) f64[i] = Math.fround(f64[i]);
}

/** Bytes of scratch `correlateSymmetric2dAt` needs: the tap records and one border-extended row. */
export function symScratchBytes(w: number, c: number, halfRows: Float64Array, halfCols: Float64Array): number {
  const r = Math.max(halfRows.length, halfCols.length);
  return 16 * r + 8 * (w + 2 * r) * c + 16;
}

/**
 * `correlateSymmetric2d` on float64 planes in kernel memory (byte offsets; `out` may be `src`, `tmp` must differ from
 * both), with `symScratchBytes` of scratch at `scratch`; `afterRows(tmp)` runs between the passes.
 */
export function correlateSymmetric2dAt(
  k: SimdKernels,
  src: number,
  tmp: number,
  out: number,
  w: number,
  h: number,
  c: number,
  halfRows: Float64Array,
  halfCols: Float64Array,
  mode: BorderMode,
  scratch: number,
  afterRows?: (tmp: number) => void,
): void {
  const stride = w * c;
  const rowBytes = 8 * stride;
  const taps = scratch;
  const { i32, f64 } = k;
  // axis 0: the taps of output row y are the rows y ∓ j, j = r … 1
  const rr = halfRows.length - 1;
  for (let t = 0; t < rr; t++) f64[(taps >> 3) + 2 * t + 1] = halfRows[rr - t];
  for (let y = 0; y < h; y++) {
    for (let t = 0; t < rr; t++) {
      const j = rr - t;
      i32[(taps >> 2) + 4 * t] = src + borderIndex(y - j, h, mode) * rowBytes;
      i32[(taps >> 2) + 4 * t + 1] = src + borderIndex(y + j, h, mode) * rowBytes;
    }
    k.sym(tmp + y * rowBytes, src + y * rowBytes, halfRows[0], taps, rr, stride);
  }
  afterRows?.(tmp);
  // axis 1: each row of tmp extended by r samples on both sides, taps at ∓j·c
  const rc = halfCols.length - 1;
  const line = taps + 16 * Math.max(rr, rc);
  const lineAt = line >> 3;
  for (let t = 0; t < rc; t++) {
    const j = rc - t;
    i32[(taps >> 2) + 4 * t] = line + 8 * (rc - j) * c;
    i32[(taps >> 2) + 4 * t + 1] = line + 8 * (rc + j) * c;
    f64[(taps >> 3) + 2 * t + 1] = halfCols[j];
  }
  for (let y = 0; y < h; y++) {
    const row = (tmp + y * rowBytes) >> 3;
    for (let x = 0; x < rc; x++) {
      const s = row + borderIndex(x - rc, w, mode) * c;
      for (let ch = 0; ch < c; ch++) f64[lineAt + x * c + ch] = f64[s + ch];
    }
    f64.copyWithin(lineAt + rc * c, row, row + stride);
    for (let x = w + rc; x < w + 2 * rc; x++) {
      const s = row + borderIndex(x - rc, w, mode) * c;
      for (let ch = 0; ch < c; ch++) f64[lineAt + x * c + ch] = f64[s + ch];
    }
    k.sym(out + y * rowBytes, line + 8 * rc * c, halfCols[0], taps, rc, stride);
  }
}
