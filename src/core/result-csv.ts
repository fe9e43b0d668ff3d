/**
 * Results as CSV, one row per run, laid out like RobustBench's per-severity corruption tables: accuracies as
 * fractions in [0, 1] (RobustBench's convention), columns `<corruption>_<severity>` in catalogue order, then the
 * summary metrics, also as fractions (mCE 0.862 = 86.2 %; mCE and relative mCE can exceed 1). Empty where a run has
 * no value. RFC 4180 quoting, CRLF line ends.
 */
import { CORRUPTIONS, SEVERITIES } from './corruption-catalog';
import type { CellCounts } from './metrics';
import type { ResultDocument } from './result-document';

export const CSV_CELL_COLUMNS = CORRUPTIONS.flatMap((c) => SEVERITIES.map((s) => `${c.name}_${s}`));
export const CSV_HEADER = ['model', 'dataset', 'model_sha256', 'clean_acc', ...CSV_CELL_COLUMNS, 'mCE', 'relative_mCE', 'mean_error_15', 'mean_error_19'];

/**
 * A text field, quoted when it holds a comma, quote or line break. Text that a spreadsheet would run as a formula
 * (starting with = + - @, tab or CR) gets a leading apostrophe.
 */
export function csvText(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Up to 6 decimals, no trailing zeros, never exponent notation; empty for null. */
export function csvNumber(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '';
  const s = x.toFixed(6).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}

const accuracy = (c: CellCounts | undefined) => (c && c.n > 0 ? (c.n - c.errors) / c.n : null);
const fraction = (percent: number | null) => (percent === null ? null : percent / 100);

export function resultsCsv(docs: ResultDocument[]): string {
  const rows = [CSV_HEADER.join(',')];
  for (const d of docs) {
    const cells = CORRUPTIONS.flatMap((c) => SEVERITIES.map((s) => csvNumber(accuracy(d.corruptions[c.name]?.severities[String(s)]))));
    rows.push(
      [
        csvText(d.model.name || d.model.file),
        csvText(d.dataset.name),
        csvText(d.model.sha256),
        csvNumber(accuracy(d.clean)),
        ...cells,
        csvNumber(fraction(d.metrics.mCE)),
        csvNumber(fraction(d.metrics.relativeMCE)),
        csvNumber(fraction(d.metrics.meanError15)),
        csvNumber(fraction(d.metrics.meanError19)),
      ].join(','),
    );
  }
  return rows.join('\r\n') + '\r\n';
}
