import { describe, expect, it } from 'vitest';
import { BootstrapError, bootstrapResult, pairedMceDifference, type Interval } from '../../src/core/bootstrap';
import { COMMON_CORRUPTIONS, CORRUPTIONS, SEVERITIES } from '../../src/core/corruption-catalog';
import { CLEAN_CELL, cellId } from '../../src/core/outcomes';
import { describeFixtures } from '../support/fixtures';
import { referenceResult } from '../support/reference-predictions';
import { resultFromStates, syntheticKeys, uniforms } from '../support/synthetic-result';

const bernoulli = (n: number, p: number, u: () => number) => Uint8Array.from({ length: n }, () => (u() < p ? 2 : 1));
const width = (i: Interval | null) => i!.hi - i!.lo;
/** ImageNet-C's 19 × 5 cells and clean (ALL_CELL_IDS also has C-bar, 3DCC and the shift datasets). */
const ALL_CELL_IDS = [...CORRUPTIONS.flatMap((c) => SEVERITIES.map((s) => cellId(c.name, s))), CLEAN_CELL];

describe('bootstrap: coverage on a synthetic sample of known error rate', () => {
  it('95 % intervals cover the true rate in 95 ± 2 % of 1000 samples (n = 301, p = 0.3: no sample rate equals it exactly)', () => {
    const keys = syntheticKeys(301);
    const u = uniforms(1);
    let covered = 0;
    for (let trial = 0; trial < 1000; trial++) {
      const doc = resultFromStates(keys, { 'fog/1': bernoulli(301, 0.3, u) });
      const i = bootstrapResult(doc, { seed: trial }).cells['fog/1'];
      if (i.lo <= 30 && 30 <= i.hi) covered++;
    }
    console.log(`bootstrap coverage: ${covered / 10} % of 1000 trials`);
    expect(Math.abs(covered / 10 - 95)).toBeLessThanOrEqual(2);
  }, 120_000);
});

describe('bootstrap: structure', () => {
  const u = uniforms(5);
  const n = 200;
  const keys = syntheticKeys(n);
  // Independent cells, error rate rising with severity.
  const cells: Record<string, Uint8Array> = {};
  for (const c of CORRUPTIONS) for (const s of SEVERITIES) cells[cellId(c.name, s)] = bernoulli(n, 0.1 + 0.15 * s, u);
  cells[CLEAN_CELL] = bernoulli(n, 0.2, u);
  const doc = resultFromStates(keys, cells);
  const boot = bootstrapResult(doc, { seed: 3 });

  it('estimates are the document metrics; every interval contains its estimate', () => {
    expect(boot.mCE!.estimate).toBe(doc.metrics.mCE);
    expect(boot.relativeMCE!.estimate).toBe(doc.metrics.relativeMCE);
    expect(boot.meanError19!.estimate).toBe(doc.metrics.meanError19);
    expect(boot.clean!.estimate).toBeCloseTo((100 * doc.clean!.errors) / doc.clean!.n, 12);
    expect(boot.ce.fog!.estimate).toBe(doc.metrics.ce.fog);
    expect(Object.keys(boot.cells)).toEqual(ALL_CELL_IDS);
    const all = [...Object.values(boot.cells), ...Object.values(boot.ce), ...Object.values(boot.relativeCe), ...Object.values(boot.meanError), boot.mCE, boot.relativeMCE, boot.meanError15, boot.meanError19];
    for (const i of all) expect(i!.lo <= i!.estimate && i!.estimate <= i!.hi, JSON.stringify(i)).toBe(true);
    expect(boot.images).toEqual({ corrupted: n, cleanOnly: 0 });
  });

  it('each cell interval has the binomial width 2·1.96·√(p(1−p)/n) within 20 %', () => {
    for (const id of ALL_CELL_IDS) {
      const p = boot.cells[id].estimate / 100;
      const expected = 2 * 1.96 * 100 * Math.sqrt((p * (1 - p)) / n);
      expect(width(boot.cells[id]) / expected, id).toBeGreaterThan(0.8);
      expect(width(boot.cells[id]) / expected, id).toBeLessThan(1.2);
    }
  });

  it('mCE interval of independent cells has the analytic width within 15 %', () => {
    // mCE = (1/15) Σ_c (1/5) Σ_s E(c,s) / A_c ⇒ Var = Σ_c Σ_s p(1−p)/n / (75 A_c)²
    let variance = 0;
    for (const c of COMMON_CORRUPTIONS) {
      for (const s of SEVERITIES) {
        const p = boot.cells[cellId(c.name, s)].estimate / 100;
        variance += (p * (1 - p)) / n / (75 * c.alexNetError) ** 2;
      }
    }
    const ratio = width(boot.mCE) / (2 * 1.96 * 100 * Math.sqrt(variance));
    expect(ratio).toBeGreaterThan(0.85);
    expect(ratio).toBeLessThan(1.15);
  });

  it('one draw of images per resample for every cell: identical cells give mCE = E · mean(1/A_c) in every resample', () => {
    const same = bernoulli(n, 0.4, uniforms(9));
    const copies: Record<string, Uint8Array> = {};
    for (const c of COMMON_CORRUPTIONS) for (const s of SEVERITIES) copies[cellId(c.name, s)] = same;
    const b = bootstrapResult(resultFromStates(keys, copies), { seed: 4 });
    const factor = COMMON_CORRUPTIONS.reduce((s, c) => s + 1 / c.alexNetError, 0) / 15;
    const cell = b.cells['fog/2'];
    expect(b.mCE!.lo).toBeCloseTo(cell.lo * factor, 9);
    expect(b.mCE!.hi).toBeCloseTo(cell.hi * factor, 9);
    expect(b.meanError15!.lo).toBeCloseTo(cell.lo, 9);
  });

  it('deterministic: the same seed gives the same result, another seed another', () => {
    expect(bootstrapResult(doc, { seed: 3 })).toEqual(boot);
    const other = bootstrapResult(doc, { seed: 4 });
    expect(other.mCE!.estimate).toBe(boot.mCE!.estimate);
    expect(other.mCE!.lo).not.toBe(boot.mCE!.lo);
  });

  it('options: at least 1000 resamples, level in (0, 1); more resamples and a lower level behave', () => {
    expect(() => bootstrapResult(doc, { resamples: 999 })).toThrow(BootstrapError);
    expect(() => bootstrapResult(doc, { level: 1 })).toThrow(/level/);
    const wide = bootstrapResult(doc, { seed: 3, level: 0.99, resamples: 2000 });
    const narrow = bootstrapResult(doc, { seed: 3, level: 0.5 });
    expect(width(wide.mCE)).toBeGreaterThan(width(boot.mCE));
    expect(width(narrow.mCE)).toBeLessThan(width(boot.mCE) / 2);
    expect(wide.resamples).toBe(2000);
  });

  it('a result without outcomes cannot be bootstrapped (clear message)', () => {
    const { outcomes: _, ...bare } = doc;
    expect(() => bootstrapResult(bare)).toThrow(/no per-image outcomes/);
  });

  it('clean-only images are a separate stratum: corrupted cells always resample their 50 images', () => {
    const k = syntheticKeys(150);
    const corrupted = new Uint8Array(150);
    const clean = bernoulli(150, 0.3, uniforms(2));
    for (let i = 0; i < 50; i++) corrupted[3 * i] = i % 2 ? 2 : 1;
    const b = bootstrapResult(resultFromStates(k, { 'fog/1': corrupted, clean }), { seed: 1 });
    expect(b.images).toEqual({ corrupted: 50, cleanOnly: 100 });
    // n is fixed at 50 per resample: the interval is that of a 50-image proportion of 0.5
    expect(width(b.cells['fog/1'])).toBeGreaterThan(20);
    expect(width(b.cells['fog/1'])).toBeLessThan(34);
    expect(b.relativeCe.fog).not.toBeNull();
  });
});

describe('paired bootstrap of the mCE difference', () => {
  const n = 300;
  const keys = syntheticKeys(n);
  const u = uniforms(11);
  const difficulty = Float64Array.from({ length: n }, u);
  // Two models that mostly fail on the same (hard) images; B slightly worse.
  const run = (shift: number, seed: number) => {
    const v = uniforms(seed);
    const cells: Record<string, Uint8Array> = {};
    for (const c of COMMON_CORRUPTIONS) {
      for (const s of SEVERITIES) cells[cellId(c.name, s)] = Uint8Array.from(difficulty, (d) => (0.8 * d + 0.2 * v() < 0.3 + 0.08 * s + shift ? 2 : 1));
    }
    return resultFromStates(keys, cells);
  };
  const a = run(0, 12);
  const b = run(0.03, 13);

  it('estimate = a.mCE − b.mCE; narrower than the unpaired combination of the two intervals', () => {
    const p = pairedMceDifference(a, b)!;
    expect(p.commonImages).toBe(n);
    expect(p.difference.estimate).toBeCloseTo(a.metrics.mCE! - b.metrics.mCE!, 10);
    const wa = width(bootstrapResult(a).mCE);
    const wb = width(bootstrapResult(b).mCE);
    const unpaired = Math.hypot(wa, wb);
    console.log(`paired width ${width(p.difference).toFixed(2)} vs unpaired ${unpaired.toFixed(2)} points`);
    expect(width(p.difference)).toBeLessThan(unpaired / 2);
    expect(p.difference.hi).toBeLessThan(0);
    expect(p.pBetter).toBe(1);
    expect(pairedMceDifference(b, a)!.pBetter).toBe(0);
  });

  it('a run against itself: 0 ± 0, pBetter ½', () => {
    const p = pairedMceDifference(a, a)!;
    expect(p.difference).toEqual({ estimate: 0, lo: 0, hi: 0 });
    expect(p.pBetter).toBe(0.5);
  });

  it('only shared images count; null without outcomes, shared images or mCE', () => {
    const half = resultFromStates(keys.slice(0, 100), Object.fromEntries(Object.entries(
      Object.fromEntries([...Object.keys(a.outcomes!.cells)].map((id) => [id, new Uint8Array(100).fill(1)])),
    )));
    expect(pairedMceDifference(a, half)!.commonImages).toBe(100);
    const { outcomes: _, ...bare } = a;
    expect(pairedMceDifference(a, bare)).toBeNull();
    const other = resultFromStates(['zz/other'], Object.fromEntries(Object.keys(a.outcomes!.cells).map((id) => [id, new Uint8Array([2])])));
    expect(pairedMceDifference(a, other)).toBeNull();
    const fogOnly = resultFromStates(keys, { 'fog/1': new Uint8Array(n).fill(2) });
    expect(pairedMceDifference(a, fogOnly)).toBeNull();
  });
});

describeFixtures('bootstrap of the fixture reference runs', () => {
  const mobilenet = referenceResult('mobilenetv2-12-int8');
  const squeezenet = referenceResult('squeezenet1.1-caffe2-fp32');

  it('mobilenetv2: 50 corrupted + 437 clean-only images, estimates = the reference metrics', () => {
    const b = bootstrapResult(mobilenet);
    expect(b.images).toEqual({ corrupted: 50, cleanOnly: 437 });
    expect(b.mCE!.estimate).toBeCloseTo(86.2, 1);
    expect(b.relativeMCE!.estimate).toBeCloseTo(141.36, 1);
    expect(b.clean!.estimate).toBeCloseTo(100 - 82.14, 1);
    expect(b.mCE!.lo).toBeLessThan(86.2);
    expect(b.mCE!.hi).toBeGreaterThan(86.2);
    console.log(`mobilenetv2 mCE ${b.mCE!.estimate.toFixed(2)} [${b.mCE!.lo.toFixed(2)}, ${b.mCE!.hi.toFixed(2)}], clean error ${b.clean!.estimate.toFixed(2)} [${b.clean!.lo.toFixed(2)}, ${b.clean!.hi.toFixed(2)}]`);
  });

  it('mobilenetv2 vs squeezenet, paired: −18.28 points, better in nearly every resample', () => {
    const p = pairedMceDifference(mobilenet, squeezenet)!;
    expect(p.commonImages).toBe(50);
    expect(p.difference.estimate).toBeCloseTo(86.2 - 104.48, 1);
    expect(p.difference.hi).toBeLessThan(0);
    expect(p.pBetter).toBeGreaterThan(0.99);
    console.log(`paired mCE difference ${p.difference.estimate.toFixed(2)} [${p.difference.lo.toFixed(2)}, ${p.difference.hi.toFixed(2)}], pBetter ${p.pBetter}`);
  });
});
