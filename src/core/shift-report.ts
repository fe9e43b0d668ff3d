/**
 * The one-table report across runs (clean, ImageNet-C mCE, ImageNet-R, -A, -Sketch, -V2) and effective robustness
 * (Taori et al., "Measuring Robustness to Natural Distribution Shifts in Image Classification", NeurIPS 2020): a
 * run's accuracy under a shift minus the accuracy that the runs' own clean → shifted trend predicts at its clean
 * accuracy. The trend is a least-squares line in logit space (logit(shifted) = a·logit(clean) + b), as in the paper;
 * here it is fitted to the runs being compared (the paper fits it to 200+ standard ImageNet models), so the
 * numbers say how a run sits relative to the others shown.
 */
import { errorRate } from './metrics';
import type { ResultDocument } from './result-document';
import { SHIFT_KINDS, SHIFT_TITLES, isMaskedKind, type ShiftKind } from './shift-datasets';

export interface ReportRow {
  readonly id: string;
  readonly name: string;
  readonly model: string;
  /** Top-1 accuracy on the clean folder, %. */
  readonly cleanAccuracy: number | null;
  readonly mCE: number | null;
  /** Per shift kind: accuracy % (R, A: over their 200 classes) and, for R and A, the 1000-way accuracy. */
  readonly shifts: Partial<Record<ShiftKind, { accuracy: number; accuracy1000?: number; n: number }>>;
}

export function reportRow(id: string, name: string, doc: ResultDocument): ReportRow {
  const clean = errorRate(doc.clean);
  const shifts: ReportRow['shifts'] = {};
  for (const k of SHIFT_KINDS) {
    const c = doc.shifts?.[k];
    if (!c || !c.n) continue;
    shifts[k] = { accuracy: 100 * (1 - c.errors / c.n), n: c.n, ...(c.errors1000 !== undefined ? { accuracy1000: 100 * (1 - c.errors1000 / c.n) } : {}) };
  }
  return { id, name, model: doc.model.name, cleanAccuracy: clean === null ? null : 100 * (1 - clean), mCE: doc.metrics.mCE, shifts };
}

const logit = (pct: number) => {
  const p = Math.min(Math.max(pct / 100, 1e-4), 1 - 1e-4);
  return Math.log(p / (1 - p));
};
const sigmoid = (x: number) => 100 / (1 + Math.exp(-x));

export interface Trend {
  readonly slope: number;
  readonly intercept: number;
  /** Runs the line was fitted to. */
  readonly n: number;
}

/** The logit-space line through (clean, shifted) accuracies; null for fewer than 2 runs or equal clean accuracies. */
export function fitTrend(points: readonly { clean: number; shifted: number }[]): Trend | null {
  if (points.length < 2) return null;
  const xs = points.map((p) => logit(p.clean));
  const ys = points.map((p) => logit(p.shifted));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  if (sxx < 1e-12) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, n: points.length };
}

/** The shifted accuracy (%) the trend predicts at a clean accuracy (%). */
export function trendAt(t: Trend, clean: number): number {
  return sigmoid(t.slope * logit(clean) + t.intercept);
}

/** Per shift kind with at least 2 runs that have a clean accuracy: the trend and each run's effective robustness. */
export function effectiveRobustness(rows: readonly ReportRow[]): Partial<Record<ShiftKind, { trend: Trend; byRun: Record<string, number> }>> {
  const out: Partial<Record<ShiftKind, { trend: Trend; byRun: Record<string, number> }>> = {};
  for (const k of SHIFT_KINDS) {
    const pts = rows.filter((r) => r.cleanAccuracy !== null && r.shifts[k]).map((r) => ({ id: r.id, clean: r.cleanAccuracy!, shifted: r.shifts[k]!.accuracy }));
    const trend = fitTrend(pts);
    if (!trend) continue;
    out[k] = { trend, byRun: Object.fromEntries(pts.map((p) => [p.id, p.shifted - trendAt(trend, p.clean)])) };
  }
  return out;
}

const csvField = (v: string | number | null | undefined) => {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(Math.round(v * 1e4) / 1e4) : '';
  return /[",\n\r]/.test(v) || /^[=+\-@\t\r]/.test(v) ? `"${(/^[=+\-@\t\r]/.test(v) ? `'${v}` : v).replace(/"/g, '""')}"` : v;
};

/** The report as CSV: one row per run; accuracies and effective robustness in %, mCE in % of AlexNet's error. */
export function reportCsv(rows: readonly ReportRow[]): string {
  const er = effectiveRobustness(rows);
  const kinds = SHIFT_KINDS.filter((k) => rows.some((r) => r.shifts[k]));
  const header = ['run', 'model', 'clean_accuracy', 'imagenet_c_mce'];
  for (const k of kinds) {
    header.push(`${k}_accuracy`, `${k}_n`);
    if (isMaskedKind(k)) header.push(`${k}_accuracy_1000way`);
    header.push(`${k}_effective_robustness`);
  }
  const lines = [header.join(',')];
  for (const r of rows) {
    const f: (string | number | null | undefined)[] = [r.name, r.model, r.cleanAccuracy, r.mCE];
    for (const k of kinds) {
      const s = r.shifts[k];
      f.push(s?.accuracy, s?.n);
      if (isMaskedKind(k)) f.push(s?.accuracy1000);
      f.push(er[k]?.byRun[r.id]);
    }
    lines.push(f.map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}

export const REPORT_KIND_TITLES = SHIFT_TITLES;
