import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDemoResult, demoSelection, parseDemoManifest, pickIllustration, DemoManifestError } from '../../src/core/demo';
import { describeFixtures, PROJECT_ROOT } from '../support/fixtures';
import { referenceImagePredictions, referenceResult } from '../support/reference-predictions';

const manifestJson = () => JSON.parse(readFileSync(join(PROJECT_ROOT, 'public/demo/manifest.json'), 'utf8'));

/**
 * The demo's self-check: the result the app would build from the reference predictions (imagenet-c-mini + the 50
 * DEV-C clean originals) must match the manifest's reference; any changed count must not.
 */
describeFixtures('demo self-check', () => {
  const devc = new Set<string>(manifestJson().clean.map((p: string) => p.split('/').slice(1).join('/')));
  const reference = () =>
    referenceResult('mobilenetv2-12-int8', (p) => p.corruption !== null || devc.has(p.path.split('/').slice(1).join('/')));

  it('the reference predictions match the manifest, mCE 86.20 %', () => {
    const m = parseDemoManifest(manifestJson());
    const doc = reference();
    expect(doc.cleanMatched).toEqual({ n: 50, errors: 10 });
    const check = checkDemoResult(doc, m.reference);
    expect(check.differences).toEqual([]);
    expect(check.matches).toBe(true);
    expect(check.compared).toBe(19 * 5 + 3);
    expect(doc.metrics.mCE!.toFixed(2)).toBe('86.20');
  });

  it('the quick demo: the reference predictions of its 10 originals match its own reference; not the full one', () => {
    const m = parseDemoManifest(manifestJson());
    const quick = demoSelection(m, 'quick');
    expect(quick.clean).toHaveLength(10);
    const ten = new Set(quick.clean.map((p) => p.split('/').slice(1).join('/')));
    const doc = referenceResult('mobilenetv2-12-int8', (p) => ten.has(p.path.split('/').slice(-2).join('/')));
    expect(doc.cleanMatched?.n).toBe(10);
    expect(Object.values(doc.corruptions).flatMap((c) => Object.values(c.severities)).every((cell) => cell.n === 10)).toBe(true);
    const check = checkDemoResult(doc, quick.reference);
    expect(check.differences).toEqual([]);
    expect(check.compared).toBe(19 * 5 + 3);
    expect(checkDemoResult(doc, m.reference).matches).toBe(false);
    // Fig. 2 needs a glass_blur row among the ten.
    expect(pickIllustration(referenceImagePredictions('mobilenetv2-12-int8').filter((p) => ten.has(p.path.split('/').slice(-2).join('/'))), 'glass_blur')).not.toBeNull();
  });

  it('one image more or less wrong in one cell is a mismatch, named', () => {
    const m = parseDemoManifest(manifestJson());
    const doc = reference();
    doc.corruptions.glass_blur.severities['3'].errors -= 1;
    const check = checkDemoResult(doc, m.reference);
    expect(check.matches).toBe(false);
    expect(check.differences).toContain('glass_blur 3: 44/50 errors, reference 45/50');
  });

  it('a missing cell and a different clean count are named', () => {
    const m = parseDemoManifest(manifestJson());
    const doc = reference();
    delete doc.corruptions.saturate;
    doc.cleanMatched = { n: 50, errors: 11 };
    const d = checkDemoResult(doc, m.reference).differences;
    expect(d.filter((x) => x.startsWith('saturate')).length).toBe(5);
    expect(d).toContain('clean: 11/50 errors, reference 10/50');
  });
});

it('a damaged manifest gets a clear message', () => {
  expect(() => parseDemoManifest(null)).toThrow(DemoManifestError);
  expect(() => parseDemoManifest({ schema: 'x' })).toThrow(/schema "x"/);
  const m = manifestJson();
  delete m.reference.cells.fog['4'];
  expect(() => parseDemoManifest(m)).toThrow(/no reference for fog 4/);
  const q = manifestJson();
  delete q.quick.reference.cells.snow['2'];
  expect(() => parseDemoManifest(q)).toThrow(/no quick demo reference for snow 2/);
  const foreign = manifestJson();
  foreign.quick.clean[0] = 'clean/n00000000/elsewhere.JPEG';
  expect(() => parseDemoManifest(foreign)).toThrow(/quick demo names images that are not among the originals/);
});

describe('the inspector image of the demo (Fig. 2)', () => {
  const p = (identity: string, corruption: string | null, severity: number | null, ok: boolean) => ({
    path: `${corruption ?? 'clean'}/${severity ?? ''}/${identity}`,
    identity,
    corruption,
    severity,
    label: 1,
    top: [ok ? 1 : 2],
  });
  const row = (id: string, clean: boolean, sev: boolean[]) => [p(id, null, null, clean), ...sev.map((ok, i) => p(id, 'glass_blur', i + 1, ok))];

  it('prefers a correct clean image that stays right longest, then fails', () => {
    const preds = [
      ...row('a', true, [false, false, false, false, false]),
      ...row('b', true, [true, true, false, true, false]),
      ...row('c', false, [true, true, true, true, false]),
      ...row('d', true, [true, true, true, true, true]),
      ...row('e', true, [true, true, false, false, false]),
      p('e', 'fog', 1, false),
    ];
    expect(pickIllustration(preds, 'glass_blur')).toEqual({ path: 'clean//e', corruption: 'glass_blur' });
  });

  it('none when no image qualifies', () => {
    expect(pickIllustration(row('d', true, [true, true, true, true, true]), 'glass_blur')).toBeNull();
    expect(pickIllustration(row('d', true, [true, false]), 'glass_blur')).toBeNull();
  });
});
