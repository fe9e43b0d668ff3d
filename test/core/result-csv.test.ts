import { describe, expect, it } from 'vitest';
import { aggregate } from '../../src/core/aggregate';
import { CSV_HEADER, csvNumber, csvText, resultsCsv } from '../../src/core/result-csv';
import { buildResult } from '../../src/core/result-document';
import { describeFixtures } from '../support/fixtures';
import { loadReferenceSummary } from '../support/reference';
import { referenceMeta, referenceResult } from '../support/reference-predictions';

/** RFC 4180 reader (quoted fields with "" escapes, CRLF records), written independently of the writer. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += ch;
  }
  expect(field).toBe('');
  expect(row).toEqual([]);
  return rows;
}

describe('CSV fields', () => {
  it('quotes commas, quotes and line breaks; guards formulas', () => {
    expect(csvText('resnet50')).toBe('resnet50');
    expect(csvText('a,b')).toBe('"a,b"');
    expect(csvText('say "hi"')).toBe('"say ""hi"""');
    expect(csvText('two\nlines')).toBe('"two\nlines"');
    expect(csvText('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    for (const f of ['+1', '-1+1', '@SUM(A1)', '\tx', '\r=1']) expect(csvText(f).replace(/^"/, '').startsWith(`'`), f).toBe(true);
  });

  it('numbers: up to 6 decimals, no exponent, empty for null', () => {
    expect(csvNumber(0.44)).toBe('0.44');
    expect(csvNumber(1)).toBe('1');
    expect(csvNumber(1 / 3)).toBe('0.333333');
    expect(csvNumber(1.4136)).toBe('1.4136');
    expect(csvNumber(1e-9)).toBe('0');
    expect(csvNumber(-0.05)).toBe('-0.05');
    expect(csvNumber(null)).toBe('');
    expect(csvNumber(NaN)).toBe('');
  });
});

describe('resultsCsv', () => {
  it('hostile names round-trip through a CSV reader as text, one record per run', () => {
    const meta = referenceMeta('mobilenetv2-12-int8');
    const name = '=cmd|"/c calc"!A0,\n<script>alert(1)</script>';
    const doc = buildResult(aggregate([]), { ...meta, model: { ...meta.model, name }, dataset: { ...meta.dataset, name: '@data, "set"' } });
    const rows = parseCsv(resultsCsv([doc]));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual(CSV_HEADER);
    expect(rows[1][0]).toBe(`'${name}`);
    expect(rows[1][1]).toBe(`'@data, "set"`);
    expect(rows[1].slice(3)).toEqual(new Array(CSV_HEADER.length - 3).fill(''));
  });

  it('header: model, dataset, sha256, clean_acc, 95 cells in catalogue order, 4 metrics', () => {
    expect(CSV_HEADER).toHaveLength(4 + 95 + 4);
    expect(CSV_HEADER.slice(4, 7)).toEqual(['gaussian_noise_1', 'gaussian_noise_2', 'gaussian_noise_3']);
    expect(CSV_HEADER[4 + 94]).toBe('saturate_5');
  });
});

describeFixtures('resultsCsv of the fixture reference runs equals the reference summaries', () => {
  it('both models: every accuracy = 1 − top1_error, clean_acc, mCE, relative mCE, mean errors', () => {
    const models = ['mobilenetv2-12-int8', 'squeezenet1.1-caffe2-fp32'];
    const rows = parseCsv(resultsCsv(models.map((m) => referenceResult(m))));
    expect(rows).toHaveLength(3);
    const header = rows[0];
    models.forEach((model, r) => {
      const row = Object.fromEntries(header.map((h, i) => [h, rows[r + 1][i]]));
      const summary = loadReferenceSummary(model);
      expect(row.model).toBe(model);
      expect(row.dataset).toBe('imagenet-c-mini');
      for (const [corruption, bySeverity] of Object.entries(summary['imagenet-c-mini'] as Record<string, Record<string, { top1_error: number }>>)) {
        for (const s of ['1', '2', '3', '4', '5']) expect(Number(row[`${corruption}_${s}`]), `${corruption}_${s}`).toBeCloseTo(1 - bySeverity[s].top1_error, 12);
      }
      const clean = summary.clean['imagenet-val-sample'];
      expect(Number(row.clean_acc)).toBeCloseTo(1 - clean.top1_errors / clean.n, 6);
      expect(Number(row.mCE)).toBeCloseTo(summary.mCE, 6);
      expect(Number(row.relative_mCE)).toBeCloseTo(summary.relative_mCE, 6);
      expect(Number(row.mean_error_15)).toBeCloseTo(summary.mean_top1_error_15, 6);
      expect(Number(row.mean_error_19)).toBeCloseTo(summary.mean_top1_error_19, 6);
    });
  });
});
