import { ALEXNET_CLEAN_ERROR, ALL_CORRUPTIONS, COMMON_CORRUPTIONS, CORRUPTIONS, SEVERITIES } from './corruption-catalog';
import { ROBUSTBENCH_3DCC_ALEXNET_ACCURACY } from './data/robustbench-3dcc-alexnet';

export interface CellCounts {
  /** Images evaluated (unreadable ones excluded). */
  n: number;
  /** Top-1 errors among them. */
  errors: number;
}

/** corruption → severity (1–5) → counts. */
export type CorruptionCounts = Record<string, Partial<Record<number, CellCounts>>>;

export interface CorruptionMetrics {
  readonly name: string;
  /** E(c,s) per severity, as a fraction; null where the severity has no images. */
  readonly errors: (number | null)[];
  /** Mean of E(c,s) over the severities present. */
  readonly meanError: number | null;
  /** CE_c = Σ_s E(c,s) / Σ_s E_AlexNet(c,s) (AlexNet errors are means over severities). */
  readonly ce: number | null;
  /** Relative CE_c = Σ_s (E(c,s) − E_clean) / Σ_s (E_AlexNet(c,s) − E_AlexNet_clean). */
  readonly relativeCe: number | null;
  /** All five severities present. */
  readonly complete: boolean;
}

export interface Metrics {
  readonly corruptions: CorruptionMetrics[];
  /** Mean CE over the 15 common corruptions (AlexNet-normalised, Hendrycks & Dietterich). */
  readonly mCE: number | null;
  readonly relativeMCE: number | null;
  /** Plain mean top-1 error over the 15 common corruptions × 5 severities. */
  readonly meanError15: number | null;
  /** Plain mean top-1 error over all 19 corruptions × 5 severities (the "mCE" of some papers). */
  readonly meanError19: number | null;
  /** Clean error used for relative CE: of the clean originals of the corrupted images when known. */
  readonly cleanErrorForRelative: number | null;
  /** All 15 common corruptions with all severities present. */
  readonly completeCommon: boolean;
  readonly completeAll: boolean;
  /** ImageNet-C-bar and 3DCC, for those with cells in the counts (never in mCE). */
  readonly otherBenchmarks: OtherBenchmarkMetrics[];
}

/** A benchmark in the ImageNet-C layout without an AlexNet table: error per severity and mean error. */
export interface OtherBenchmarkMetrics {
  readonly benchmark: 'imagenet-c-bar' | 'imagenet-3dcc';
  /** Its corruptions that have cells (errors per severity, mean over the severities present). */
  readonly corruptions: { name: string; errors: (number | null)[]; meanError: number | null; complete: boolean }[];
  /** Mean over every corruption × severity cell of the benchmark; null unless all are present. */
  readonly mean: number | null;
  readonly complete: boolean;
  /**
   * 3DCC: RobustBench's normalisation, percent (AlexNet = 100): mean error / mean error of RobustBench's AlexNet on
   * its 5,000-image subset, per corruption with all 5 severities, and its mean over all 12 (null unless complete).
   */
  readonly robustbenchCe?: Record<string, number | null>;
  readonly robustbenchMce?: number | null;
}

export function errorRate(c: CellCounts | undefined): number | null {
  return c && c.n > 0 ? c.errors / c.n : null;
}

function mean(xs: number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/**
 * @param cleanError clean top-1 error of the same images (fraction), or null when no clean set was evaluated.
 */
export function computeMetrics(counts: CorruptionCounts, cleanError: number | null): Metrics {
  const corruptions = CORRUPTIONS.map((info): CorruptionMetrics => {
    const errors = SEVERITIES.map((s) => errorRate(counts[info.name]?.[s]));
    const present = errors.filter((e): e is number => e !== null);
    const meanError = mean(present);
    return {
      name: info.name,
      errors,
      meanError,
      ce: meanError === null ? null : meanError / info.alexNetError,
      relativeCe:
        meanError === null || cleanError === null
          ? null
          : (meanError - cleanError) / (info.alexNetError - ALEXNET_CLEAN_ERROR),
      complete: present.length === SEVERITIES.length,
    };
  });
  const common = new Set(COMMON_CORRUPTIONS.map((c) => c.name));
  const commonRows = corruptions.filter((c) => common.has(c.name));
  const allPresent = (rows: CorruptionMetrics[]) => rows.every((r) => r.meanError !== null);
  const cellMean = (rows: CorruptionMetrics[]) =>
    allPresent(rows) ? mean(rows.flatMap((r) => r.errors.filter((e): e is number => e !== null))) : null;
  return {
    corruptions,
    mCE: allPresent(commonRows) ? mean(commonRows.map((r) => r.ce as number)) : null,
    relativeMCE:
      allPresent(commonRows) && cleanError !== null ? mean(commonRows.map((r) => r.relativeCe as number)) : null,
    meanError15: cellMean(commonRows),
    meanError19: cellMean(corruptions),
    cleanErrorForRelative: cleanError,
    completeCommon: commonRows.every((r) => r.complete),
    completeAll: corruptions.every((r) => r.complete),
    otherBenchmarks: otherBenchmarkMetrics(counts),
  };
}

function otherBenchmarkMetrics(counts: CorruptionCounts): OtherBenchmarkMetrics[] {
  const out: OtherBenchmarkMetrics[] = [];
  for (const benchmark of ['imagenet-c-bar', 'imagenet-3dcc'] as const) {
    const infos = ALL_CORRUPTIONS.filter((c) => c.benchmark === benchmark);
    if (!infos.some((c) => counts[c.name])) continue;
    const rows = infos.map((info) => {
      const errors = SEVERITIES.map((s) => errorRate(counts[info.name]?.[s]));
      const present = errors.filter((e): e is number => e !== null);
      return { name: info.name, errors, meanError: mean(present), complete: present.length === SEVERITIES.length };
    });
    const complete = rows.every((r) => r.complete);
    const m: OtherBenchmarkMetrics = {
      benchmark,
      corruptions: rows.filter((r) => counts[r.name]),
      mean: complete ? mean(rows.flatMap((r) => r.errors as number[])) : null,
      complete,
    };
    if (benchmark === 'imagenet-3dcc') {
      const ce: Record<string, number | null> = {};
      for (const r of rows) {
        const alex = ROBUSTBENCH_3DCC_ALEXNET_ACCURACY[r.name];
        const alexMean = alex.reduce((s, a) => s + (1 - a), 0) / alex.length;
        if (counts[r.name]) ce[r.name] = r.complete ? (100 * (r.meanError as number)) / alexMean : null;
      }
      out.push({ ...m, robustbenchCe: ce, robustbenchMce: complete ? mean(rows.map((r) => ce[r.name] as number)) : null });
    } else out.push(m);
  }
  return out;
}
