import { describe, expect, it } from 'vitest';
import { ROBUSTBENCH_IMAGENET_IDS } from '../../src/core/data/robustbench-imagenet-ids';
import { describeSubset, parseSubsetSpec, selectInClass, type SubsetSpec } from '../../src/core/subsets';

const valName = (i: number, ext = 'JPEG') => `ILSVRC2012_val_${String(i).padStart(8, '0')}.${ext}`;
const names = (count: number, ext = 'JPEG', start = 1) => Array.from({ length: count }, (_, i) => valName(start + i, ext));
const stem = (name: string) => name.replace(/\.[^.]*$/, '');
const strat = (perClass: number, seed: number): SubsetSpec => ({ kind: 'stratified', perClass, seed });

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('selectInClass: stratified', () => {
  const folder = names(50);

  it('picks exactly min(k, n), sorted, from the given names', () => {
    for (const [k, n] of [[5, 50], [1, 50], [49, 50], [50, 50], [60, 50], [5, 3], [5, 0]]) {
      const picked = selectInClass(strat(k, 0), 'n01440764', folder.slice(0, n));
      expect(picked).toHaveLength(Math.min(k, n));
      expect(new Set(picked).size).toBe(picked.length);
      expect(picked).toEqual([...picked].sort());
      for (const p of picked) expect(folder).toContain(p);
    }
  });

  it('is deterministic and independent of listing order', () => {
    const a = selectInClass(strat(5, 7), 'n01440764', folder);
    expect(selectInClass(strat(5, 7), 'n01440764', folder)).toEqual(a);
    for (const s of [1, 2, 3]) expect(selectInClass(strat(5, 7), 'n01440764', shuffled(folder, s))).toEqual(a);
    expect(selectInClass(strat(5, 7), 'n01440764', [...folder].reverse())).toEqual(a);
  });

  it('picks the same images whatever the extension (clean .JPEG vs generated .png)', () => {
    for (const seed of [0, 1, 123456, 0xffffffff]) {
      const jpeg = selectInClass(strat(5, seed), 'n01443537', folder).map(stem);
      const png = selectInClass(strat(5, seed), 'n01443537', shuffled(names(50, 'png'), seed)).map(stem);
      expect(png).toEqual(jpeg);
    }
  });

  it('a folder missing some images keeps the choices among those still there', () => {
    // rank-based: removing unchosen images does not change the chosen ones
    const full = selectInClass(strat(5, 3), 'n01440764', folder);
    const without = folder.filter((n) => full.includes(n) || n.endsWith('1.JPEG'));
    expect(selectInClass(strat(5, 3), 'n01440764', without)).toEqual(full);
  });

  it('differs between seeds and between classes', () => {
    const picks = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((seed) => selectInClass(strat(5, seed), 'n01440764', folder).join()));
    expect(picks.size).toBeGreaterThanOrEqual(7);
    const perClass = new Set(['n01440764', 'n01443537', 'n01484850', 'n01491361'].map((c) => selectInClass(strat(5, 0), c, folder).join()));
    expect(perClass.size).toBe(4);
  });

  it('is close to uniform: over seeds 0…999, each of 50 names is picked 100 ± 40 times when taking 5', () => {
    // Binomial(1000, 0.1): sd ≈ 9.5, so ±40 is > 4 sd (and the seeds are fixed: the test cannot flake).
    // A biased pick ("first 5 sorted", "every 10th") puts some names at 1000 and others at 0.
    const hits = new Map(folder.map((n) => [n, 0]));
    for (let seed = 0; seed < 1000; seed++) {
      for (const p of selectInClass(strat(5, seed), 'n01440764', folder)) hits.set(p, hits.get(p)! + 1);
    }
    for (const [, h] of hits) {
      expect(h).toBeGreaterThanOrEqual(60);
      expect(h).toBeLessThanOrEqual(140);
    }
    const chi2 = [...hits.values()].reduce((s, h) => s + (h - 100) ** 2 / 100, 0);
    expect(chi2).toBeLessThan(85.4); // p = 0.001 at 49 degrees of freedom
  });

  it('one image present under two extensions counts once and yields both names', () => {
    const dup = [...folder, valName(1, 'png')];
    const picked = selectInClass(strat(50, 0), 'n01440764', dup);
    expect(picked).toHaveLength(51);
    const few = selectInClass(strat(5, 0), 'n01440764', dup);
    expect(new Set(few.map(stem)).size).toBe(5);
  });
});

describe('selectInClass: all and robustbench', () => {
  it('all: every name, sorted', () => {
    const folder = shuffled(names(20), 9);
    expect(selectInClass({ kind: 'all' }, 'n01440764', folder)).toEqual(names(20));
  });

  it('robustbench: exactly the subset ids of the class, whatever the extension', () => {
    const ids = ROBUSTBENCH_IMAGENET_IDS.split('\n');
    for (const wnid of ['n09468604', 'n01440764', 'n13133613']) {
      const expected = ids.filter((id) => id.startsWith(`${wnid}/`)).map((id) => id.slice(wnid.length + 1)).sort();
      expect(expected.length).toBeGreaterThan(0);
      // the class's real subset files among 50 others (including subset files of other classes)
      const others = ids.filter((id) => !id.startsWith(`${wnid}/`)).slice(0, 20).map((id) => id.split('/')[1]);
      const folder = shuffled([...expected, ...others, ...names(30, 'JPEG', 60_000)], 4);
      expect(selectInClass({ kind: 'robustbench' }, wnid, folder)).toEqual(expected);
      const png = folder.map((n) => n.replace(/\.JPEG$/, '.png'));
      expect(selectInClass({ kind: 'robustbench' }, wnid, png)).toEqual(expected.map((n) => n.replace(/\.JPEG$/, '.png')));
    }
    // a class with no subset image (n02066245 is one of the 3 classes without any)
    expect(selectInClass({ kind: 'robustbench' }, 'n02066245', names(50))).toEqual([]);
  });
});

describe('describeSubset / parseSubsetSpec', () => {
  it('describes each kind', () => {
    expect(describeSubset({ kind: 'all' })).toBe('all images');
    expect(describeSubset({ kind: 'robustbench' })).toBe('RobustBench 5,000-image subset');
    expect(describeSubset(strat(5, 0))).toBe('stratified sample: 5 per class, seed 0');
    expect(describeSubset(strat(10, 42))).toBe('stratified sample: 10 per class, seed 42');
  });

  it('accepts valid specs (a copy, without unknown fields)', () => {
    expect(parseSubsetSpec({ kind: 'all' })).toEqual({ kind: 'all' });
    expect(parseSubsetSpec({ kind: 'robustbench', extra: 1 })).toEqual({ kind: 'robustbench' });
    expect(parseSubsetSpec({ kind: 'stratified', perClass: 1, seed: 0 })).toEqual(strat(1, 0));
    expect(parseSubsetSpec({ kind: 'stratified', perClass: 100_000, seed: 4294967295 })).toEqual(strat(100_000, 4294967295));
    expect(parseSubsetSpec(JSON.parse('{"kind":"stratified","perClass":5,"seed":7,"note":"x"}'))).toEqual(strat(5, 7));
  });

  it('rejects bad input', () => {
    const bad: unknown[] = [
      null,
      undefined,
      'all',
      5,
      [],
      [{ kind: 'all' }],
      {},
      { kind: 'ALL' },
      { kind: 'random' },
      { kind: 'stratified' },
      { kind: 'stratified', perClass: 5 },
      { kind: 'stratified', seed: 0 },
      { kind: 'stratified', perClass: 0, seed: 0 },
      { kind: 'stratified', perClass: -1, seed: 0 },
      { kind: 'stratified', perClass: 100_001, seed: 0 },
      { kind: 'stratified', perClass: 2.5, seed: 0 },
      { kind: 'stratified', perClass: '5', seed: 0 },
      { kind: 'stratified', perClass: Number.NaN, seed: 0 },
      { kind: 'stratified', perClass: Infinity, seed: 0 },
      { kind: 'stratified', perClass: 5, seed: -1 },
      { kind: 'stratified', perClass: 5, seed: 4294967296 },
      { kind: 'stratified', perClass: 5, seed: 0.5 },
      { kind: 'stratified', perClass: 5, seed: '0' },
      { kind: 'stratified', perClass: 5, seed: null },
    ];
    for (const raw of bad) expect(parseSubsetSpec(raw), JSON.stringify(raw)).toBeNull();
  });
});
