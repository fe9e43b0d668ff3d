import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMON_CORRUPTIONS } from '../../src/core/corruption-catalog';
import { ROBUSTBENCH_ALEXNET_ACCURACY } from '../../src/core/data/robustbench-alexnet';
import { ROBUSTBENCH_IMAGENET_IDS } from '../../src/core/data/robustbench-imagenet-ids';
import {
  ROBUSTBENCH_CORRUPTIONS,
  ROBUSTBENCH_SUBSET_SIZE,
  inRobustbenchSubset,
  robustbenchIdSet,
  robustbenchMce,
  robustbenchMissing,
} from '../../src/core/robustbench';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../data/robustbench');

/** `unaggregated_results.csv` (two header rows: corruption, severity) → model → corruption → [acc s1 … s5]. */
function readUnaggregated(): Map<string, Record<string, number[]>> {
  const lines = readFileSync(join(fixtures, 'unaggregated_results.csv'), 'utf8').trim().split(/\r?\n/);
  const corruptions = lines[0].split(',');
  const severities = lines[1].split(',').map(Number);
  const models = new Map<string, Record<string, number[]>>();
  for (const line of lines.slice(2)) {
    const cells = line.split(',');
    expect(cells).toHaveLength(corruptions.length);
    const row: Record<string, number[]> = {};
    for (let i = 1; i < cells.length; i++) {
      (row[corruptions[i]] ??= [])[severities[i] - 1] = Number(cells[i]);
    }
    models.set(cells[0], row);
  }
  return models;
}

type Counts = Record<string, Record<number, { n: number; errors: number }>>;

/** Counts of a 5,000-image evaluation with the given per-cell accuracies. */
function countsFromAccuracies(row: Record<string, number[]>): Counts {
  const counts: Counts = {};
  for (const [c, accs] of Object.entries(row)) {
    counts[c] = {};
    accs.forEach((acc, i) => (counts[c][i + 1] = { n: 5000, errors: Math.round((1 - acc) * 5000) }));
  }
  return counts;
}

describe('RobustBench ImageNet id list', () => {
  const lines = ROBUSTBENCH_IMAGENET_IDS.split('\n');

  it('holds 5,000 unique `<wnid>/ILSVRC2012_val_<8 digits>.JPEG` ids over 997 classes', () => {
    expect(lines).toHaveLength(ROBUSTBENCH_SUBSET_SIZE);
    expect(new Set(lines).size).toBe(5000);
    for (const id of lines) expect(id).toMatch(/^n\d{8}\/ILSVRC2012_val_\d{8}\.JPEG$/);
    const classes = new Set(lines.map((id) => id.split('/')[0]));
    expect(classes.size).toBe(997);
    // each val image belongs to one class: the file names alone are unique too
    expect(new Set(lines.map((id) => id.split('/')[1])).size).toBe(5000);
    // n02066245, n03482405 and n07875152 have no image in the subset
    for (const wnid of ['n02066245', 'n03482405', 'n07875152']) expect(classes.has(wnid)).toBe(false);
  });

  it('the id set has 5,000 `<wnid>/<stem>` keys and is cached', () => {
    const set = robustbenchIdSet();
    expect(set.size).toBe(5000);
    expect(set.has('n09468604/ILSVRC2012_val_00015253')).toBe(true);
    expect(set.has('n09468604/ILSVRC2012_val_00015253.JPEG')).toBe(false);
    expect(robustbenchIdSet()).toBe(set);
  });
});

describe('inRobustbenchSubset / robustbenchMissing', () => {
  it('matches real ids whatever the extension, and rejects a wrong class or a fake id', () => {
    expect(inRobustbenchSubset('n09468604', 'ILSVRC2012_val_00015253.JPEG')).toBe(true);
    expect(inRobustbenchSubset('n13133613', 'ILSVRC2012_val_00025432.JPEG')).toBe(true); // the last line
    expect(inRobustbenchSubset('n02823750', 'ILSVRC2012_val_00020685.png')).toBe(true);
    expect(inRobustbenchSubset('n02823750', 'ILSVRC2012_val_00020685.jpeg')).toBe(true);
    expect(inRobustbenchSubset('n02823750', 'ILSVRC2012_val_00020685')).toBe(true);
    expect(inRobustbenchSubset('n09468604', 'ILSVRC2012_val_00020685.JPEG')).toBe(false); // id of another class
    expect(inRobustbenchSubset('n01440764', 'ILSVRC2012_val_99999999.JPEG')).toBe(false);
    expect(inRobustbenchSubset('n09468604', 'ILSVRC2012_val_0001525.JPEG')).toBe(false);
  });

  it('lists the ids not seen, sorted', () => {
    const all = [...robustbenchIdSet()];
    expect(robustbenchMissing(all)).toEqual([]);
    const dropped = ['n09468604/ILSVRC2012_val_00015253', 'n02823750/ILSVRC2012_val_00020685'];
    const seen = all.filter((k) => !dropped.includes(k));
    seen.push('n01440764/ILSVRC2012_val_99999999'); // extra images in the dataset do not matter
    expect(robustbenchMissing(seen)).toEqual(['n02823750/ILSVRC2012_val_00020685', 'n09468604/ILSVRC2012_val_00015253']);
    const none = robustbenchMissing([]);
    expect(none).toHaveLength(5000);
    expect(none).toEqual([...none].sort());
    expect(none[0]).not.toBe(all[0]); // sorted, not file order (the file starts with n09468604)
  });
});

describe('robustbenchMce', () => {
  const table = readUnaggregated();
  const reference = JSON.parse(readFileSync(join(fixtures, 'corruptions_mce.json'), 'utf8')) as Record<string, string>;
  const models = Object.keys(reference).filter((k) => k !== '_source');

  it('fixtures: every model JSON has a CSV row; the CSV holds the 15 corruptions of the catalog, 5 severities each', () => {
    expect(models.filter((m) => !table.has(m))).toEqual([]);
    expect(models.length).toBe(12);
    const alex = table.get('AlexNet')!;
    expect(Object.keys(alex).sort()).toEqual([...ROBUSTBENCH_CORRUPTIONS].sort());
    expect([...ROBUSTBENCH_CORRUPTIONS].sort()).toEqual(COMMON_CORRUPTIONS.map((c) => c.name).sort());
    for (const c of ROBUSTBENCH_CORRUPTIONS) expect(alex[c].filter((a) => a >= 0 && a <= 1)).toHaveLength(5);
  });

  it('the embedded AlexNet accuracies are the CSV row', () => {
    const alex = table.get('AlexNet')!;
    expect(Object.keys(ROBUSTBENCH_ALEXNET_ACCURACY).sort()).toEqual(Object.keys(alex).sort());
    for (const c of Object.keys(alex)) expect([...ROBUSTBENCH_ALEXNET_ACCURACY[c]]).toEqual(alex[c]);
  });

  // The JSONs hold round(mCE × 100, 2) (percent, 2 decimals), so the exact value is within 0.005 of it.
  it.each(models)('%s: reproduces the JSON corruptions_mce (percent) within its rounding, 0.005 points', (model) => {
    const result = robustbenchMce(countsFromAccuracies(table.get(model)!));
    expect(result.complete).toBe(true);
    expect(result.mCE).not.toBeNull();
    expect(Math.abs(result.mCE! - Number(reference[model]))).toBeLessThanOrEqual(0.005 + 1e-9);
  });

  it('AlexNet itself scores exactly 100 per corruption and overall', () => {
    const result = robustbenchMce(countsFromAccuracies(table.get('AlexNet')!));
    expect(result.mCE).toBeCloseTo(100, 10);
    for (const c of ROBUSTBENCH_CORRUPTIONS) expect(result.perCorruption[c]).toBeCloseTo(100, 10);
  });

  it('per corruption: mean error over severities / AlexNet mean error, in percent', () => {
    const counts = countsFromAccuracies(table.get('AlexNet')!);
    // brightness, AlexNet errors 0.4496 0.486 0.536 0.6114 0.7094 (mean 0.55848); ours 0.1 0.2 0.3 0.4 0.5 (mean 0.3)
    counts.brightness = { 1: { n: 10, errors: 1 }, 2: { n: 10, errors: 2 }, 3: { n: 10, errors: 3 }, 4: { n: 10, errors: 4 }, 5: { n: 10, errors: 5 } };
    const result = robustbenchMce(counts);
    expect(result.perCorruption.brightness).toBeCloseTo((100 * 0.3) / 0.55848, 9);
    expect(result.mCE).toBeCloseTo((14 * 100 + (100 * 0.3) / 0.55848) / 15, 9);
  });

  it('incomplete counts: no mCE; a corruption only with its 5 severities; extras and empty cells ignored', () => {
    const counts = countsFromAccuracies(table.get('Standard_R50')!);
    const full = robustbenchMce(counts);
    delete counts.fog[3];
    counts.snow[5] = { n: 0, errors: 0 };
    counts.speckle_noise = { 1: { n: 10, errors: 5 } };
    const partial = robustbenchMce(counts);
    expect(partial.mCE).toBeNull();
    expect(partial.complete).toBe(false);
    expect(partial.perCorruption.fog).toBeNull();
    expect(partial.perCorruption.snow).toBeNull();
    expect(partial.perCorruption.contrast).toBe(full.perCorruption.contrast);
    expect(partial.perCorruption.contrast).toBeGreaterThan(0);
    expect(Object.keys(partial.perCorruption).sort()).toEqual([...ROBUSTBENCH_CORRUPTIONS].sort());

    const missingCorruption = countsFromAccuracies(table.get('Standard_R50')!);
    delete missingCorruption.pixelate;
    expect(robustbenchMce(missingCorruption)).toMatchObject({ mCE: null, complete: false, perCorruption: { pixelate: null } });
    expect(robustbenchMce({})).toMatchObject({ mCE: null, complete: false });
  });
});
