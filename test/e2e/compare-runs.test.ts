import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeFixtures } from '../support/fixtures';
import { useApp } from '../support/use-app';
import { downloadFrom } from '../support/browser';
import { referenceResult } from '../support/reference-predictions';
import { bootstrapResult, pairedMceDifference } from '../../src/core/bootstrap';
import { corruptionInfo } from '../../src/core/corruption-catalog';
import { resultsCsv } from '../../src/core/result-csv';
import type { ResultDocument } from '../../src/core/result-document';

const MOBILENET = 'mobilenetv2-12-int8';
const SQUEEZENET = 'squeezenet1.1-caffe2-fp32';

describeFixtures('compare view, import, merge (built app, headless Chromium)', () => {
  const ctx = useApp();
  let dir: string;
  const docs: Record<string, ResultDocument> = {};
  const file = (name: string) => join(dir, name);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shiftlens-compare-'));
    docs.mobilenet = referenceResult(MOBILENET);
    docs.squeezenet = referenceResult(SQUEEZENET);
    // Two machines, each half the corruptions (noise + blur on one, the rest on the other), both with the clean set.
    const firstHalf = (c: string | null) => c === null || ['noise', 'blur'].includes(corruptionInfo(c)!.group);
    docs.halfA = referenceResult(MOBILENET, (p) => firstHalf(p.corruption));
    docs.halfB = referenceResult(MOBILENET, (p) => p.corruption === null || !firstHalf(p.corruption));
    for (const [k, d] of Object.entries(docs)) writeFileSync(file(`${k}.json`), JSON.stringify(d));
    const hostile = { ...docs.squeezenet, model: { ...docs.squeezenet.model, name: '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>' } };
    writeFileSync(file('hostile.json'), JSON.stringify(hostile));
    writeFileSync(file('wrong-schema.json'), JSON.stringify({ ...docs.squeezenet, schema: 'robustbench/v9' }));
    writeFileSync(file('huge.json'), JSON.stringify({ ...docs.squeezenet, clean: { n: 1e308, errors: 5 } }));
    writeFileSync(file('not-json.json'), '{"schema": "shiftlens.result/v1", ');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cellText = (metric: string, column: number) =>
    ctx.app.page.locator(`[data-testid="compare-table"] tr[data-metric="${metric}"] td`).nth(column);

  it('imports two result JSONs and compares them with bootstrap intervals and a paired difference', async () => {
    const { page } = ctx.app;
    await page.getByTestId('import-json').setInputFiles([file('mobilenet.json'), file('squeezenet.json')]);
    await expect.poll(() => page.getByTestId('run-row').count(), { timeout: 30_000 }).toBe(2);
    const table = page.getByTestId('compare-table');
    await table.waitFor({ timeout: 30_000 });
    // Intervals for every metric row of both runs once the worker is done.
    await expect.poll(() => page.locator('[data-testid="compare-table"] tr[data-metric="mCE"] [data-testid="interval"]').count(), { timeout: 60_000 }).toBe(2);
    for (const [column, doc] of [docs.mobilenet, docs.squeezenet].entries()) {
      const b = bootstrapResult(doc);
      const text = await cellText('mCE', column).innerText();
      expect(text).toContain(doc.metrics.mCE!.toFixed(1));
      expect(text).toContain(`[${b.mCE!.lo.toFixed(1)}, ${b.mCE!.hi.toFixed(1)}]`);
      const ce = await cellText('ce:fog', column).innerText();
      expect(ce).toContain(`[${b.ce.fog!.lo.toFixed(1)}, ${b.ce.fog!.hi.toFixed(1)}]`);
    }
    const paired = pairedMceDifference(docs.mobilenet, docs.squeezenet)!;
    const line = page.getByTestId('paired-difference');
    await expect.poll(() => line.innerText(), { timeout: 60_000 }).toContain('better than');
    expect(await line.innerText()).toContain(`${MOBILENET} better than ${SQUEEZENET} by ${(-paired.difference.estimate).toFixed(2)} ± ${((paired.difference.hi - paired.difference.lo) / 2).toFixed(2)}`);
    // Small multiples (one per group present) and heatmaps (one per run, one difference).
    expect(await page.locator('[data-testid="compare-charts"] canvas').count()).toBe(5);
    expect(await page.getByTestId('heatmap').count()).toBe(2);
    expect(await page.getByTestId('heatmap-difference').count()).toBe(1);
    // CSV: what the library computes for the same documents.
    const csv = await downloadFrom(page, 'export-csv');
    expect(csv).toBe(resultsCsv([docs.mobilenet, docs.squeezenet]));
  });

  it('merges two half-run JSONs into the full run, which export-json exports', async () => {
    const { page } = ctx.app;
    await page.getByTestId('import-json').setInputFiles([file('halfA.json'), file('halfB.json')]);
    await expect.poll(() => page.getByTestId('run-row').count(), { timeout: 30_000 }).toBe(4);
    await page.getByTestId('merge').click();
    await page.getByTestId('results').waitFor({ timeout: 30_000 });
    const merged = JSON.parse(await downloadFrom(page, 'export-json')) as ResultDocument;
    const full = docs.mobilenet;
    expect(merged.corruptions).toEqual(full.corruptions);
    expect(merged.clean).toEqual(full.clean);
    expect(merged.cleanMatched).toEqual(full.cleanMatched);
    expect(merged.metrics).toEqual(full.metrics);
    expect(merged.outcomes).toEqual(full.outcomes);
    expect(merged.counts.images).toBe(full.counts.images);
  });

  it('rejects broken and hostile JSON with messages naming the file; strings render as text', async () => {
    const { page } = ctx.app;
    const before = await page.getByTestId('run-row').count();
    await page.getByTestId('import-json').setInputFiles([file('wrong-schema.json'), file('huge.json'), file('not-json.json'), file('hostile.json')]);
    const errors = page.getByTestId('import-errors');
    await errors.waitFor({ timeout: 30_000 });
    const text = await errors.innerText();
    expect(text).toContain('wrong-schema.json');
    expect(text).toContain('robustbench/v9');
    expect(text).toContain('huge.json');
    expect(text).toContain('not-json.json');
    expect(text).not.toContain('hostile.json');
    await expect.poll(() => page.getByTestId('run-row').count()).toBe(before + 1);
    // The hostile name is shown literally, and nothing in it ran.
    expect(await page.getByTestId('runs-list').innerText()).toContain('<script>window.__pwned=1</script>');
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('[data-testid="runs-list"] img, [data-testid="runs-list"] script').count()).toBe(0);
  });

  it('keeps the library across a reload; rename and delete', async () => {
    const { page } = ctx.app;
    const count = await page.getByTestId('run-row').count();
    await page.reload();
    await expect.poll(() => page.getByTestId('run-row').count(), { timeout: 30_000 }).toBe(count);
    const row = page.getByTestId('run-row').filter({ hasText: 'merged' }).first();
    await row.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('new name').fill('MobileNetV2, both halves');
    await page.getByLabel('new name').press('Enter');
    await expect.poll(() => page.getByTestId('runs-list').innerText()).toContain('MobileNetV2, both halves');
    await page.getByTestId('run-row').filter({ hasText: 'MobileNetV2, both halves' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.getByTestId('run-row').count()).toBe(count - 1);
    await page.reload();
    await expect.poll(() => page.getByTestId('run-row').count(), { timeout: 30_000 }).toBe(count - 1);
    expect(await page.getByTestId('runs-list').innerText()).not.toContain('both halves');
  });
});
