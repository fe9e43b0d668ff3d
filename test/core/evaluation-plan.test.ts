import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PlanError, planEvaluation } from '../../src/core/evaluation-plan';
import { parseLabels, type LabelSet } from '../../src/core/labels';
import type { FileRef } from '../../src/core/dataset-discovery';
import { describeFixtures, fixture } from '../support/fixtures';

const refs = (...paths: string[]): FileRef[] => paths.map((path) => ({ path, size: 100 }));

/** 1000 wnids: n01440764 first, n15075141 last, made-up unique ones between. */
const WNIDS_1000 = Array.from({ length: 1000 }, (_, i) =>
  i === 0 ? 'n01440764' : i === 999 ? 'n15075141' : `n09${String(i).padStart(6, '0')}`,
);
const labels1000: LabelSet = parseLabels(JSON.stringify(WNIDS_1000), 'test labels');

describe('planEvaluation with a label list', () => {
  const plan = planEvaluation(
    refs(
      'c/fog/3/n15075141/n15075141_toilet_paper.JPEG',
      'c/fog/3/n01440764/n01440764_tench.JPEG',
      'c/snow/1/n01440764/n01440764_tench.JPEG',
    ),
    null,
    labels1000,
    1000,
  );

  it('class index comes from the label list, not from the order of the folders present', () => {
    // ImageFolder numbering of the two folders would give 0 and 1; the label list gives 0 and 999
    const byPath = Object.fromEntries(plan.images.map((i) => [i.path, i]));
    expect(byPath['c/fog/3/n01440764/n01440764_tench.JPEG'].label).toBe(0);
    expect(byPath['c/fog/3/n15075141/n15075141_toilet_paper.JPEG'].label).toBe(999);
    expect(byPath['c/snow/1/n01440764/n01440764_tench.JPEG'].label).toBe(0);
  });

  it('carries corruption, severity, identity and counts', () => {
    expect(plan.images).toHaveLength(3);
    expect(plan.corruptedCount).toBe(3);
    expect(plan.cleanCount).toBe(0);
    const tench = plan.images.find((i) => i.path === 'c/fog/3/n01440764/n01440764_tench.JPEG')!;
    expect(tench).toEqual({
      path: 'c/fog/3/n01440764/n01440764_tench.JPEG',
      corruption: 'fog',
      severity: 3,
      label: 0,
      identity: 'n01440764/n01440764_tench',
    });
    expect(plan.labels).toBe(labels1000);
    expect(plan.layout).toBe('flat');
    expect(plan.found.get('fog')).toEqual([3]);
  });

  it('warns about missing severities and missing corruptions', () => {
    expect(plan.warnings.some((w) => /missing severities/.test(w) && w.includes('fog/1') && w.includes('snow/5'))).toBe(true);
    expect(plan.warnings.some((w) => /corruptions not in the folder/.test(w) && w.includes('gaussian_noise'))).toBe(true);
  });

  it('a class folder not in the label list is ignored with a reason and a warning', () => {
    const p = planEvaluation(
      refs('fog/1/n01440764/a.JPEG', 'fog/1/n99999999/b.JPEG'),
      refs('val/n99999999/b.JPEG', 'val/n15075141/c.JPEG'),
      labels1000,
      1000,
    );
    expect(p.images.map((i) => i.path)).toEqual(['fog/1/n01440764/a.JPEG', 'val/n15075141/c.JPEG']);
    expect(p.ignored.filter((i) => /class folder "n99999999" is not in the label list/.test(i.reason)).map((i) => i.path)).toEqual([
      'fog/1/n99999999/b.JPEG',
      'val/n99999999/b.JPEG',
    ]);
    expect(p.warnings.some((w) => /2 images skipped/.test(w))).toBe(true);
    expect(p.corruptedCount).toBe(1);
    expect(p.cleanCount).toBe(1);
  });

  it('clean images come after the corrupted ones, with null corruption and severity', () => {
    const p = planEvaluation(
      refs('fog/1/n01440764/x.JPEG'),
      refs('val/n01440764/x.JPEG', 'val/n15075141/y.JPEG'),
      labels1000,
      1000,
    );
    expect(p.images.map((i) => [i.path, i.corruption, i.severity, i.label, i.identity])).toEqual([
      ['fog/1/n01440764/x.JPEG', 'fog', 1, 0, 'n01440764/x'],
      ['val/n01440764/x.JPEG', null, null, 0, 'n01440764/x'],
      ['val/n15075141/y.JPEG', null, null, 999, 'n15075141/y'],
    ]);
    expect(p.corruptedCount).toBe(1);
    expect(p.cleanCount).toBe(2);
  });

  it('clean only (no ImageNet-C files) is allowed', () => {
    const p = planEvaluation([], refs('val/n01440764/x.JPEG'), labels1000, 1000);
    expect(p.images).toHaveLength(1);
    expect(p.layout).toBe('empty');
    expect(p.warnings.some((w) => /corruptions not in the folder/.test(w))).toBe(false);
  });

  it('junk files are passed on in ignored', () => {
    const p = planEvaluation(refs('fog/1/n01440764/x.JPEG', '.DS_Store', 'fog/9/n01440764/x.JPEG'), null, labels1000, 1000);
    expect(p.images).toHaveLength(1);
    expect(p.ignored.map((i) => i.path).sort()).toEqual(['.DS_Store', 'fog/9/n01440764/x.JPEG']);
  });

  it('label list length different from the model outputs → PlanError', () => {
    expect(() => planEvaluation(refs('fog/1/n01440764/x.JPEG'), null, labels1000, 1001)).toThrow(PlanError);
    expect(() => planEvaluation(refs('fog/1/n01440764/x.JPEG'), null, labels1000, 10)).toThrow(/1000 classes.*10/);
  });
});

describe('planEvaluation without a label list', () => {
  it('fewer class folders than classes → PlanError asking for a labels file', () => {
    const files = refs('fog/1/n01440764/a.JPEG', 'fog/1/n15075141/b.JPEG');
    expect(() => planEvaluation(files, null, null, 1000)).toThrow(PlanError);
    expect(() => planEvaluation(files, null, null, 1000)).toThrow(/labels file is needed.*2 class folders.*1000 classes/);
  });

  it('exactly numClasses folders → sorted-folder numbering with a warning', () => {
    const p = planEvaluation(refs('fog/1/zebra/a.JPEG', 'fog/1/apple/b.JPEG'), refs('val/mango/c.JPEG'), null, 3);
    const label = (path: string) => p.images.find((i) => i.path === path)!.label;
    expect(label('fog/1/apple/b.JPEG')).toBe(0);
    expect(label('val/mango/c.JPEG')).toBe(1);
    expect(label('fog/1/zebra/a.JPEG')).toBe(2);
    expect(p.labels.wnids).toEqual(['apple', 'mango', 'zebra']);
    expect(p.warnings.some((w) => /no labels file.*sorted class folders/.test(w))).toBe(true);
  });

  it('more folders than classes → PlanError', () => {
    expect(() => planEvaluation(refs('fog/1/a/x.JPEG', 'fog/1/b/x.JPEG', 'fog/1/c/x.JPEG'), null, null, 2)).toThrow(PlanError);
  });
});

describe('planEvaluation with nothing to evaluate', () => {
  it('only junk in the ImageNet-C folder → PlanError naming the expected layout and the first problem', () => {
    const files = refs('README.txt', 'images/a.JPEG');
    expect(() => planEvaluation(files, null, labels1000, 1000)).toThrow(PlanError);
    expect(() => planEvaluation(files, null, labels1000, 1000)).toThrow(/no ImageNet-C images found among 2 files.*<corruption>\/<severity 1–5>\/<class>\/<image>/);
    expect(() => planEvaluation(files, null, labels1000, 1000)).toThrow(/README\.txt/);
  });

  it('only junk in the clean folder → PlanError naming the clean layout', () => {
    expect(() => planEvaluation([], refs('notes.txt'), labels1000, 1000)).toThrow(/no clean images found.*<class>\/<image>/);
  });

  it('no files at all → PlanError naming the expected layout (with or without labels)', () => {
    expect(() => planEvaluation([], null, labels1000, 1000)).toThrow(PlanError);
    expect(() => planEvaluation([], null, labels1000, 1000)).toThrow(/<corruption>\/<severity 1–5>\/<class>\/<image>/);
    expect(() => planEvaluation([], [], null, 1000)).toThrow(/<corruption>\/<severity 1–5>\/<class>\/<image>/);
  });

  it('every image in a class folder outside the label list → PlanError, not an empty run', () => {
    expect(() => planEvaluation(refs('fog/1/tench/a.JPEG', 'fog/2/goldfish/b.JPEG'), null, labels1000, 1000)).toThrow(PlanError);
    expect(() => planEvaluation(refs('fog/1/tench/a.JPEG', 'fog/2/goldfish/b.JPEG'), null, labels1000, 1000)).toThrow(
      /not in the label list/,
    );
  });
});

function walk(dir: string, rel: string, out: FileRef[]) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) walk(join(dir, e.name), `${rel}/${e.name}`, out);
    else out.push({ path: `${rel}/${e.name}`, size: 1 });
  }
  return out;
}

describeFixtures('planEvaluation on the real fixtures matches the reference labels', () => {
  it('all 5237 images get the label of the reference predictions', () => {
    const labels = parseLabels(readFileSync(fixture('labels', 'imagenet_class_index.json'), 'utf8'));
    const plan = planEvaluation(
      walk(fixture('imagenet-c-mini'), 'imagenet-c-mini', []),
      walk(fixture('imagenet-val-sample'), 'imagenet-val-sample', []),
      labels,
      1000,
    );
    expect(plan.corruptedCount).toBe(4750);
    expect(plan.cleanCount).toBe(487);
    const ref = new Map<string, number>();
    for (const line of readFileSync(fixture('reference', 'mobilenetv2-12-int8-predictions.jsonl'), 'utf8').split('\n')) {
      if (!line) continue;
      const r = JSON.parse(line) as { path: string; label: number };
      ref.set(r.path, r.label);
    }
    expect(ref.size).toBe(5237);
    for (const im of plan.images) expect(im.label, im.path).toBe(ref.get(im.path));
    // without labels the 50 + 487 folders cannot be numbered
    expect(() => planEvaluation(walk(fixture('imagenet-c-mini'), 'imagenet-c-mini', []), null, null, 1000)).toThrow(/labels file is needed/);
  });
});
