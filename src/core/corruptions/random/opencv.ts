/**
 * Re-implementations of the OpenCV 4.6 routines spatter's water mode uses (SPEC.md §2), on single-channel
 * row-major images, following OpenCV's own integer / float32 arithmetic:
 * `Canny` (3×3 Sobel, L1 magnitude, non-maximum suppression with OpenCV's tan 22.5° test, hysteresis),
 * `distanceTransform(DIST_L2, 5)` (two-pass 5×5 chamfer in 16.16 fixed point), `blur` 3×3 (float32 and uint8),
 * `equalizeHist`, and `filter2D` with a 3×3 integer kernel to uint8. Borders: BORDER_REPLICATE for Canny's Sobel,
 * BORDER_REFLECT_101 (OpenCV's default) elsewhere.
 */
import { roundHalfEven } from '../../round-half-even';

function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

function replicate(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/** `cv2.Canny(src, low, high)` with apertureSize 3 and L2gradient false; returns 0/255. */
export function canny(src: Uint8Array, w: number, h: number, lowThresh: number, highThresh: number): Uint8Array {
  if (lowThresh > highThresh) [lowThresh, highThresh] = [highThresh, lowThresh];
  const low = Math.floor(lowThresh);
  const high = Math.floor(highThresh);
  const dx = new Int32Array(w * h);
  const dy = new Int32Array(w * h);
  const W = w + 2; // magnitude with a zero border of 1 on every side
  const mag = new Int32Array((h + 2) * W);
  // Sobel through column sums: a = [1 2 1]ᵀ and d = [−1 0 1]ᵀ per column (columns −1 and w replicated), then
  // gx = a[x + 1] − a[x − 1] and gy = d[x − 1] + 2·d[x] + d[x + 1]; the same integers as the 3×3 sums.
  const a = new Int32Array(w + 2);
  const d = new Int32Array(w + 2);
  for (let y = 0; y < h; y++) {
    const ym = replicate(y - 1, h) * w;
    const y0 = y * w;
    const yp = replicate(y + 1, h) * w;
    for (let x = 0; x < w; x++) {
      a[x + 1] = src[ym + x] + 2 * src[y0 + x] + src[yp + x];
      d[x + 1] = src[yp + x] - src[ym + x];
    }
    a[0] = a[1];
    d[0] = d[1];
    a[w + 1] = a[w];
    d[w + 1] = d[w];
    for (let x = 0; x < w; x++) {
      const gx = a[x + 2] - a[x];
      const gy = d[x] + 2 * d[x + 1] + d[x + 2];
      dx[y0 + x] = gx;
      dy[y0 + x] = gy;
      mag[(y + 1) * W + x + 1] = Math.abs(gx) + Math.abs(gy);
    }
  }
  // map: 1 = not an edge, 0 = weak candidate, 2 = edge (with a border of 1s)
  const map = new Uint8Array((h + 2) * W).fill(1);
  const stack = new Int32Array((h + 2) * W);
  let top = 0;
  const TG22 = 13573; // round(tan(22.5°)·2^15)
  for (let y = 0; y < h; y++) {
    const rowA = (y + 1) * W + 1;
    const rowP = y * W + 1;
    const rowN = (y + 2) * W + 1;
    for (let x = 0; x < w; x++) {
      const m = mag[rowA + x];
      if (m <= low) continue;
      const xs = dx[y * w + x];
      const ys = dy[y * w + x];
      const ax = Math.abs(xs);
      const ay = Math.abs(ys) * 32768;
      const tg22x = ax * TG22;
      let keep: boolean;
      if (ay < tg22x) {
        keep = m > mag[rowA + x - 1] && m >= mag[rowA + x + 1];
      } else {
        const tg67x = tg22x + ax * 65536;
        if (ay > tg67x) keep = m > mag[rowP + x] && m >= mag[rowN + x];
        else {
          const s = (xs ^ ys) < 0 ? -1 : 1;
          keep = m > mag[rowP + x - s] && m > mag[rowN + x + s];
        }
      }
      if (!keep) continue;
      const at = rowA + x;
      if (m > high) {
        map[at] = 2;
        stack[top++] = at;
      } else map[at] = 0;
    }
  }
  const nb = [-W - 1, -W, -W + 1, -1, 1, W - 1, W, W + 1];
  // Each pixel is pushed at most once (it is marked 2 when pushed), so the stack never overflows.
  while (top > 0) {
    const at = stack[--top];
    for (let k = 0; k < 8; k++) {
      const q = at + nb[k];
      if (map[q] === 0) {
        map[q] = 2;
        stack[top++] = q;
      }
    }
  }
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = map[(y + 1) * W + x + 1] === 2 ? 255 : 0;
  return out;
}

/** `cv2.distanceTransform(src, DIST_L2, 5)`: float32 distance to the nearest zero pixel (5×5 chamfer 1, 1.4, 2.1969). */
export function distanceTransformL2Mask5(src: Uint8Array, w: number, h: number): Float32Array {
  const SHIFT = 65536;
  const HV = Math.round(Math.fround(1) * SHIFT);
  const DIAG = Math.round(Math.fround(1.4) * SHIFT);
  const LONG = Math.round(Math.fround(2.1969) * SHIFT);
  const INIT = 2147483647;
  const DMAX = 2147483647 >> 2;
  const B = 2;
  const step = w + 2 * B;
  const t = new Float64Array((h + 2 * B) * step).fill(INIT);
  for (let y = 0; y < h; y++) {
    const row = (y + B) * step + B;
    for (let x = 0; x < w; x++) {
      const j = row + x;
      if (!src[y * w + x]) {
        t[j] = 0;
        continue;
      }
      let t0 = t[j - 2 * step - 1] + LONG;
      let v = t[j - 2 * step + 1] + LONG;
      if (t0 > v) t0 = v;
      v = t[j - step - 2] + LONG;
      if (t0 > v) t0 = v;
      v = t[j - step - 1] + DIAG;
      if (t0 > v) t0 = v;
      v = t[j - step] + HV;
      if (t0 > v) t0 = v;
      v = t[j - step + 1] + DIAG;
      if (t0 > v) t0 = v;
      v = t[j - step + 2] + LONG;
      if (t0 > v) t0 = v;
      v = t[j - 1] + HV;
      if (t0 > v) t0 = v;
      t[j] = t0;
    }
  }
  const out = new Float32Array(w * h);
  const scale = 1 / SHIFT;
  for (let y = h - 1; y >= 0; y--) {
    const row = (y + B) * step + B;
    for (let x = w - 1; x >= 0; x--) {
      const j = row + x;
      let t0 = t[j];
      if (t0 > HV) {
        let v = t[j + 2 * step + 1] + LONG;
        if (t0 > v) t0 = v;
        v = t[j + 2 * step - 1] + LONG;
        if (t0 > v) t0 = v;
        v = t[j + step + 2] + LONG;
        if (t0 > v) t0 = v;
        v = t[j + step + 1] + DIAG;
        if (t0 > v) t0 = v;
        v = t[j + step] + HV;
        if (t0 > v) t0 = v;
        v = t[j + step - 1] + DIAG;
        if (t0 > v) t0 = v;
        v = t[j + step - 2] + LONG;
        if (t0 > v) t0 = v;
        v = t[j + 1] + HV;
        if (t0 > v) t0 = v;
        t[j] = t0;
      }
      if (t0 > DMAX) t0 = DMAX;
      out[y * w + x] = Math.fround(t0) * scale;
    }
  }
  return out;
}

/** The row offsets of rows y − 1, y, y + 1 and the column indices x − 1, x + 1 under BORDER_REFLECT_101. */
function neighbours3(w: number, h: number): { up: Int32Array; down: Int32Array; left: Int32Array; right: Int32Array } {
  const up = new Int32Array(h);
  const down = new Int32Array(h);
  for (let y = 0; y < h; y++) {
    up[y] = reflect101(y - 1, h) * w;
    down[y] = reflect101(y + 1, h) * w;
  }
  const left = new Int32Array(w);
  const right = new Int32Array(w);
  for (let x = 0; x < w; x++) {
    left[x] = reflect101(x - 1, w);
    right[x] = reflect101(x + 1, w);
  }
  return { up, down, left, right };
}

/** The three-tap row sums `(src[x − 1] + src[x]) + src[x + 1]` (BORDER_REFLECT_101 columns) of every row. */
function rowSums3<T extends Float32Array | Float64Array | Int32Array>(src: ArrayLike<number>, w: number, h: number, out: T): T {
  for (let y = 0; y < h; y++) {
    const o = y * w;
    if (w === 1) {
      out[o] = src[o] + src[o] + src[o];
      continue;
    }
    out[o] = src[o + 1] + src[o] + src[o + 1];
    for (let x = 1; x < w - 1; x++) out[o + x] = src[o + x - 1] + src[o + x] + src[o + x + 1];
    out[o + w - 1] = src[o + w - 2] + src[o + w - 1] + src[o + w - 2];
  }
  return out;
}

/**
 * `cv2.blur(src, (3, 3))` on float32: in float64, the three row sums `(a + b) + c` added top to bottom, ×(1/9), stored
 * as float32 (BORDER_REFLECT_101). Each row's sums are computed once and shared by the three output rows.
 */
export function boxBlur3F32(src: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  const scale = 1 / 9;
  const rows = rowSums3(src, w, h, new Float64Array(w * h));
  for (let y = 0; y < h; y++) {
    const r0 = reflect101(y - 1, h) * w;
    const r1 = y * w;
    const r2 = reflect101(y + 1, h) * w;
    for (let x = 0; x < w; x++) out[r1 + x] = (rows[r0 + x] + rows[r1 + x] + rows[r2 + x]) * scale;
  }
  return out;
}

/** `cv2.blur(src, (3, 3))` on uint8: the rounded mean of the 3×3 window (BORDER_REFLECT_101), via exact integer row sums. */
export function boxBlur3U8(src: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  const rows = rowSums3(src, w, h, new Int32Array(w * h));
  for (let y = 0; y < h; y++) {
    const r0 = reflect101(y - 1, h) * w;
    const r1 = y * w;
    const r2 = reflect101(y + 1, h) * w;
    for (let x = 0; x < w; x++) {
      const s = rows[r0 + x] + rows[r1 + x] + rows[r2 + x];
      out[r1 + x] = ((s + 4) * 932068) >>> 23; // OpenCV's fixed-point division by 9 (= round(s/9))
    }
  }
  return out;
}

/** `cv2.equalizeHist` on uint8. */
export function equalizeHist(src: Uint8Array): Uint8Array {
  const hist = new Int32Array(256);
  for (let i = 0; i < src.length; i++) hist[src[i]]++;
  let i = 0;
  while (!hist[i]) ++i;
  const total = src.length;
  const out = new Uint8Array(src.length);
  if (hist[i] === total) return out.fill(i);
  const scale = Math.fround(255 / (total - hist[i]));
  const lut = new Uint8Array(256);
  let sum = 0;
  lut[i++] = 0;
  for (; i < 256; ++i) {
    sum += hist[i];
    const v = roundHalfEven(Math.fround(sum * scale));
    lut[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  for (let k = 0; k < src.length; k++) out[k] = lut[src[k]];
  return out;
}

/** `cv2.filter2D(src, CV_8U, kernel3x3)` with an integer kernel (correlation, anchor at the centre, BORDER_REFLECT_101, saturating). */
export function filter2D3x3U8(src: Uint8Array, w: number, h: number, kernel: readonly number[]): Uint8Array {
  const out = new Uint8Array(w * h);
  const [k0, k1, k2, k3, k4, k5, k6, k7, k8] = kernel;
  const { up, down, left, right } = neighbours3(w, h);
  for (let y = 0; y < h; y++) {
    const r0 = up[y];
    const r1 = y * w;
    const r2 = down[y];
    for (let x = 0; x < w; x++) {
      const xm = left[x];
      const xp = right[x];
      const s =
        k0 * src[r0 + xm] + k1 * src[r0 + x] + k2 * src[r0 + xp] +
        k3 * src[r1 + xm] + k4 * src[r1 + x] + k5 * src[r1 + xp] +
        k6 * src[r2 + xm] + k7 * src[r2 + x] + k8 * src[r2 + xp];
      out[r1 + x] = s < 0 ? 0 : s > 255 ? 255 : s;
    }
  }
  return out;
}
