/**
 * Image comparison metrics for the corruption tests, as SPEC.md §5 (corruption-reference) defines them.
 *
 * SSIM: Wang et al. 2004 as scikit-image 0.19 `structural_similarity(gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=255)`, per RGB channel on float64, averaged over the channels:
 * Gaussian window σ = 1.5 truncated at 3.5σ (radius 5, 11 taps, normalised), applied separably with scipy `reflect`
 * borders; population (co)variances; C1 = (0.01·255)², C2 = (0.03·255)²; per channel the mean of the SSIM map with a
 * 5-pixel border removed on every side.
 */

export interface Interleaved {
  width: number;
  height: number;
  /** Interleaved, `channels` values per pixel. */
  data: ArrayLike<number>;
  channels: number;
}

/** Index of `p` under scipy's `reflect` (half-sample symmetric) extension. */
function reflect(p: number, n: number): number {
  const period = 2 * n;
  let q = p % period;
  if (q < 0) q += period;
  return q < n ? q : period - 1 - q;
}

function gaussianWindow(sigma: number, truncate: number): Float64Array {
  const r = Math.trunc(truncate * sigma + 0.5);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) {
    k[i + r] = Math.exp((-0.5 / (sigma * sigma)) * i * i);
    sum += k[i + r];
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Separable correlation of a single-channel w×h plane with kernel k (reflect borders), rows (axis 0) first. */
function filterPlane(src: Float64Array, w: number, h: number, k: Float64Array): Float64Array {
  const r = (k.length - 1) >> 1;
  const tmp = new Float64Array(w * h);
  const out = new Float64Array(w * h);
  const rowsAt = new Int32Array(h + 2 * r);
  for (let i = 0; i < h + 2 * r; i++) rowsAt[i] = reflect(i - r, h) * w;
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let j = 0; j < k.length; j++) {
      const kj = k[j];
      const s = rowsAt[y + j];
      for (let x = 0; x < w; x++) tmp[o + x] += kj * src[s + x];
    }
  }
  const line = new Float64Array(w + 2 * r);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let i = 0; i < w + 2 * r; i++) line[i] = tmp[o + reflect(i - r, w)];
    for (let j = 0; j < k.length; j++) {
      const kj = k[j];
      for (let x = 0; x < w; x++) out[o + x] += kj * line[x + j];
    }
  }
  return out;
}

function plane(img: Interleaved, ch: number): Float64Array {
  const n = img.width * img.height;
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) p[i] = img.data[i * img.channels + ch];
  return p;
}

function checkSame(a: Interleaved, b: Interleaved): void {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) {
    throw new Error(`shape mismatch: ${a.width}x${a.height}x${a.channels} vs ${b.width}x${b.height}x${b.channels}`);
  }
}

const WINDOW = gaussianWindow(1.5, 3.5);

/** Mean SSIM over the first `channels` channels (default 3), per SPEC.md §5. */
export function ssim(a: Interleaved, b: Interleaved, dataRange = 255, channels = Math.min(3, a.channels)): number {
  checkSame(a, b);
  const { width: w, height: h } = a;
  const C1 = (0.01 * dataRange) ** 2;
  const C2 = (0.03 * dataRange) ** 2;
  const pad = (WINDOW.length - 1) >> 1;
  let total = 0;
  for (let ch = 0; ch < channels; ch++) {
    const x = plane(a, ch);
    const y = plane(b, ch);
    const n = w * h;
    const xx = new Float64Array(n);
    const yy = new Float64Array(n);
    const xy = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      xx[i] = x[i] * x[i];
      yy[i] = y[i] * y[i];
      xy[i] = x[i] * y[i];
    }
    const ux = filterPlane(x, w, h, WINDOW);
    const uy = filterPlane(y, w, h, WINDOW);
    const uxx = filterPlane(xx, w, h, WINDOW);
    const uyy = filterPlane(yy, w, h, WINDOW);
    const uxy = filterPlane(xy, w, h, WINDOW);
    let sum = 0;
    let count = 0;
    for (let r = pad; r < h - pad; r++) {
      for (let c = pad; c < w - pad; c++) {
        const i = r * w + c;
        const vx = uxx[i] - ux[i] * ux[i];
        const vy = uyy[i] - uy[i] * uy[i];
        const vxy = uxy[i] - ux[i] * uy[i];
        const s = ((2 * ux[i] * uy[i] + C1) * (2 * vxy + C2)) / ((ux[i] * ux[i] + uy[i] * uy[i] + C1) * (vx + vy + C2));
        sum += s;
        count++;
      }
    }
    total += sum / count;
  }
  return total / channels;
}

/** PSNR on the 0..255 scale over all values, capped at 100 dB (identical images give 100). */
export function psnr(a: Interleaved, b: Interleaved): number {
  checkSame(a, b);
  let se = 0;
  const n = a.data.length;
  for (let i = 0; i < n; i++) {
    const d = a.data[i] - b.data[i];
    se += d * d;
  }
  if (se === 0) return 100;
  return Math.min(100, 10 * Math.log10((255 * 255) / (se / n)));
}

export interface DiffStats {
  /** Number of values compared. */
  count: number;
  maxAbs: number;
  /** Values with |a − b| ≤ 1. */
  withinOne: number;
  /** Values with a = b. */
  exact: number;
}

export function diffStats(a: Interleaved, b: Interleaved): DiffStats {
  checkSame(a, b);
  let maxAbs = 0;
  let withinOne = 0;
  let exact = 0;
  const n = a.data.length;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    if (d > maxAbs) maxAbs = d;
    if (d <= 1) withinOne++;
    if (d === 0) exact++;
  }
  return { count: n, maxAbs, withinOne, exact };
}
