/**
 * Image comparison metrics for the corruption tests, as SPEC.md §5 (corruption-reference) defines them.
 *
 * SSIM: Wang et al. 2004 as scikit-image 0.19 `structural_similarity(gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=255)`, per RGB channel on float64, averaged over the channels:
 * Gaussian window σ = 1.5 truncated at 3.5σ (radius 5, 11 taps, normalised), applied separably with scipy `reflect`
 * borders; population (co)variances; C1 = (0.01·255)², C2 = (0.03·255)²; per channel the mean of the SSIM map with a
 * 5-pixel border removed on every side.
 */
import { ssim as coreSsim } from '../../src/core/ssim';

export interface Interleaved {
  width: number;
  height: number;
  /** Interleaved, `channels` values per pixel. */
  data: ArrayLike<number>;
  channels: number;
}

function checkSame(a: Interleaved, b: Interleaved): void {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) {
    throw new Error(`shape mismatch: ${a.width}x${a.height}x${a.channels} vs ${b.width}x${b.height}x${b.channels}`);
  }
}

/** Mean SSIM over the RGB channels, per SPEC.md §5: the app's own implementation (src/core/ssim.ts, checked against scikit-image). */
export function ssim(a: Interleaved, b: Interleaved): number {
  checkSame(a, b);
  const bytes = (img: Interleaved) => ({
    width: img.width,
    height: img.height,
    channels: img.channels as 3 | 4,
    data: img.data instanceof Uint8Array || img.data instanceof Uint8ClampedArray ? img.data : Uint8Array.from(img.data),
  });
  return coreSsim(bytes(a), bytes(b), { mode: 'rgb' });
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
