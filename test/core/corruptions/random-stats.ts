/**
 * Shared helpers of the random-corruption tests: the SPEC.md §5 statistics (SSIM to clean as scikit-image 0.19
 * computes it, mean / population std of the difference, RGB channel correlation of the difference), the clean
 * crops, the per-output seeds of params.json, the reference per-image statistics of stats.json, and the suggested
 * paired test. Node only (reads ../shared/fixtures).
 */
import { readFileSync } from 'node:fs';
import { decodePngBytes } from '../../support/png';
import { fixture } from '../../support/fixtures';
import { ssim as coreSsim } from '../../../src/core/ssim';

export const REF = (...p: string[]) => fixture('corruption-reference', ...p);

export interface StatsGroup {
  n: number;
  ssim_to_clean: { mean: number; sd: number; se: number; per_image: number[] };
  diff_mean: { mean: number; sd: number; se: number; per_image: number[] };
  diff_std: { mean: number; sd: number; se: number; per_image: number[] };
  chan_corr: { mean: number; sd: number; se: number; per_image: number[] };
}

export interface StatsFile {
  images: string[];
  groups: Record<string, Record<string, StatsGroup>>;
  suggested_check: { tolerances: Record<string, number | string>; z: number };
}

let statsCache: StatsFile | null = null;
export function loadStats(): StatsFile {
  statsCache ??= JSON.parse(readFileSync(REF('stats.json'), 'utf8')) as StatsFile;
  return statsCache;
}

let paramsCache: Record<string, { seed: number; angle_deg?: number }> | null = null;
export function loadParams(): Record<string, { seed: number; angle_deg?: number }> {
  paramsCache ??= JSON.parse(readFileSync(REF('params.json'), 'utf8')).entries;
  return paramsCache!;
}

export interface Clean {
  key: string;
  width: number;
  height: number;
  rgb: Uint8Array;
}

let cleanCache: Clean[] | null = null;
/** The 50 clean crops, in the order of stats.json `images`. */
export function loadCleans(): Clean[] {
  if (cleanCache) return cleanCache;
  cleanCache = loadStats().images.map((key) => {
    const png = decodePngBytes(readFileSync(REF('clean', `${key}.png`)));
    if (png.channels !== 3) throw new Error(`${key}: expected RGB`);
    return { key, width: png.width, height: png.height, rgb: png.data };
  });
  return cleanCache;
}

/** Mean SSIM over R, G, B of two packed RGB images: the app's implementation (scikit-image's, SPEC.md §5). */
export function ssim(a: Uint8Array, b: Uint8Array, w: number, h: number): number {
  return coreSsim({ width: w, height: h, data: a, channels: 3 }, { width: w, height: h, data: b, channels: 3 }, { mode: 'rgb' });
}

export interface ImageStats {
  ssim_to_clean: number;
  diff_mean: number;
  diff_std: number;
  chan_corr: number;
}

export const STAT_NAMES = ['ssim_to_clean', 'diff_mean', 'diff_std', 'chan_corr'] as const;

export function imageStats(x: Uint8Array, clean: Uint8Array, w: number, h: number): ImageStats {
  const n = w * h;
  let sum = 0;
  for (let i = 0; i < 3 * n; i++) sum += x[i] - clean[i];
  const mean = sum / (3 * n);
  let ss = 0;
  for (let i = 0; i < 3 * n; i++) ss += (x[i] - clean[i] - mean) ** 2;
  const std = Math.sqrt(ss / (3 * n));
  // per-channel means and centred cross products (plain loops: no allocation per pixel)
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    m0 += x[j] - clean[j];
    m1 += x[j + 1] - clean[j + 1];
    m2 += x[j + 2] - clean[j + 2];
  }
  m0 /= n;
  m1 /= n;
  m2 /= n;
  let c00 = 0;
  let c01 = 0;
  let c02 = 0;
  let c11 = 0;
  let c12 = 0;
  let c22 = 0;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const d0 = x[j] - clean[j] - m0;
    const d1 = x[j + 1] - clean[j + 1] - m1;
    const d2 = x[j + 2] - clean[j + 2] - m2;
    c00 += d0 * d0;
    c01 += d0 * d1;
    c02 += d0 * d2;
    c11 += d1 * d1;
    c12 += d1 * d2;
    c22 += d2 * d2;
  }
  const corr = (cpq: number, cpp: number, cqq: number) => {
    const cp = cpp === 0;
    const cq = cqq === 0;
    if (cp || cq) return cp && cq ? 1 : 0;
    return cpq / Math.sqrt(cpp * cqq);
  };
  return {
    ssim_to_clean: ssim(x, clean, w, h),
    diff_mean: mean,
    diff_std: std,
    chan_corr: (corr(c01, c00, c11) + corr(c02, c00, c22) + corr(c12, c11, c22)) / 3,
  };
}

export interface StatCheck {
  stat: (typeof STAT_NAMES)[number];
  meanDiff: number;
  se: number;
  tolerance: number;
  pass: boolean;
  maxAbsDiff: number;
}

/** The SPEC.md §5 paired test for one statistic (fails only if |mean d| > tol AND > z·SE). */
export function pairedCheck(stat: (typeof STAT_NAMES)[number], ours: number[], ref: StatsGroup): StatCheck {
  const refVals = ref[stat].per_image;
  const d = ours.map((v, i) => v - refVals[i]);
  const n = d.length;
  const mean = d.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const se = sd / Math.sqrt(n);
  const tolerance =
    stat === 'ssim_to_clean' ? 0.02 : stat === 'diff_mean' ? 2.0 : stat === 'chan_corr' ? 0.1 : 0.1 * ref.diff_std.mean;
  const pass = !(Math.abs(mean) > tolerance && Math.abs(mean) > 4 * se);
  return { stat, meanDiff: mean, se, tolerance, pass, maxAbsDiff: Math.max(...d.map(Math.abs)) };
}

/**
 * Whether one image's statistics agree with the reference to the precision stats.json is written with
 * (6 significant digits). One value off by 1 moves diff_mean by 1/150528 = 6.6e-6 levels, so for most images
 * this is evidence of a bit-exact replay.
 */
export function nearExact(ours: ImageStats, ref: StatsGroup, i: number): boolean {
  // stats.json prints 6 significant digits: the rounding error is at most half a unit of the 6th digit.
  const close = (a: number, b: number) =>
    b === 0 ? Math.abs(a) < 1e-12 : Math.abs(a - b) <= 0.55 * 10 ** (Math.floor(Math.log10(Math.abs(b))) - 5) + 1e-12;
  return (
    close(ours.diff_mean, ref.diff_mean.per_image[i]) &&
    close(ours.diff_std, ref.diff_std.per_image[i]) &&
    close(ours.ssim_to_clean, ref.ssim_to_clean.per_image[i]) &&
    close(ours.chan_corr, ref.chan_corr.per_image[i])
  );
}

export interface SeverityReport {
  corruption: string;
  severity: number;
  checks: StatCheck[];
  nearExactImages: number;
  images: number;
  ms: number;
}

export function formatReport(rows: SeverityReport[]): string {
  const head = 'corruption         sev  exact/n  Δssim mean (max|Δ|)    Δmean mean (max|Δ|)    Δstd mean (max|Δ|)     Δcorr mean (max|Δ|)   ms/img  pass';
  const fmt = (c: StatCheck) => `${c.meanDiff.toExponential(1).padStart(8)} (${c.maxAbsDiff.toExponential(1)})`.padEnd(22);
  const lines = rows.map(
    (r) =>
      `${r.corruption.padEnd(18)} ${String(r.severity).padStart(3)}  ${`${r.nearExactImages}/${r.images}`.padStart(7)}  ${r.checks.map(fmt).join(' ')} ${(r.ms / r.images).toFixed(1).padStart(6)}  ${r.checks.every((c) => c.pass) ? 'ok' : 'FAIL'}`,
  );
  return [head, ...lines].join('\n');
}

export type RgbFn = (rgb: Uint8Array, width: number, height: number, severity: number, seed: number) => Uint8Array;

/** Runs `fn` on every clean crop with its params.json seed and compares the statistics with stats.json. */
export function runSeverity(corruption: string, severity: number, fn: RgbFn, limit = Infinity): SeverityReport & { perImage: ImageStats[] } {
  const stats = loadStats();
  const params = loadParams();
  const ref = stats.groups[corruption][String(severity)];
  const cleans = loadCleans().slice(0, limit);
  const perImage: ImageStats[] = [];
  let ms = 0;
  let exact = 0;
  cleans.forEach((c, i) => {
    const seed = params[`${corruption}/${severity}/${c.key}`].seed;
    const t0 = performance.now();
    const out = fn(c.rgb, c.width, c.height, severity, seed);
    ms += performance.now() - t0;
    const st = imageStats(out, c.rgb, c.width, c.height);
    perImage.push(st);
    if (nearExact(st, ref, i)) exact++;
  });
  const refSub: StatsGroup = {
    ...ref,
    n: cleans.length,
    ssim_to_clean: { ...ref.ssim_to_clean, per_image: ref.ssim_to_clean.per_image.slice(0, cleans.length) },
    diff_mean: { ...ref.diff_mean, per_image: ref.diff_mean.per_image.slice(0, cleans.length) },
    diff_std: { ...ref.diff_std, per_image: ref.diff_std.per_image.slice(0, cleans.length) },
    chan_corr: { ...ref.chan_corr, per_image: ref.chan_corr.per_image.slice(0, cleans.length) },
  };
  const checks = STAT_NAMES.map((s) => pairedCheck(s, perImage.map((p) => p[s]), refSub));
  return { corruption, severity, checks, nearExactImages: exact, images: cleans.length, ms, perImage };
}
