import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { computeMetrics, errorRate, type CorruptionCounts } from '../../src/core/metrics';
import { describeFixtures, fixture } from '../support/fixtures';
import { alexNetMean } from '../support/alexnet-errors';

const NAMES_15 = [
  'gaussian_noise', 'shot_noise', 'impulse_noise',
  'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur',
  'snow', 'frost', 'fog', 'brightness',
  'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression',
];
const NAMES_19 = [...NAMES_15, 'speckle_noise', 'gaussian_blur', 'spatter', 'saturate'];
// Same order as NAMES_19: means over severities of the published per-severity table (test/data/alexnet-errors.json),
// not read from the catalog.
const ALEX = NAMES_19.map(alexNetMean);

const close = (a: number | null, b: number, digits = 12) => {
  expect(a).not.toBeNull();
  expect(a as number).toBeCloseTo(b, digits);
};

describe('errorRate', () => {
  it('is errors / n, null for missing or empty cells', () => {
    expect(errorRate({ n: 4, errors: 3 })).toBe(0.75);
    expect(errorRate({ n: 50, errors: 0 })).toBe(0);
    expect(errorRate({ n: 0, errors: 0 })).toBeNull();
    expect(errorRate(undefined)).toBeNull();
  });
});

describe('computeMetrics: one corruption', () => {
  // gaussian_noise, errors 10,20,30,40,50 of 100 → E = .1,.2,.3,.4,.5, mean 0.3.
  const counts: CorruptionCounts = {
    gaussian_noise: {
      1: { n: 100, errors: 10 },
      2: { n: 100, errors: 20 },
      3: { n: 100, errors: 30 },
      4: { n: 100, errors: 40 },
      5: { n: 100, errors: 50 },
    },
  };
  const m = computeMetrics(counts, 0.2);
  const g = m.corruptions.find((c) => c.name === 'gaussian_noise')!;

  it('per-severity errors and mean', () => {
    expect(g.errors).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    close(g.meanError, 0.3, 15);
    expect(g.complete).toBe(true);
  });

  it('CE = Σ_s E / Σ_s E_AlexNet = 1.5 / (5 × 0.886428)', () => {
    close(g.ce, 1.5 / (5 * 0.886428), 14);
    close(g.ce, 0.3 / 0.886428, 14); // ≈ 0.338437
    expect(g.ce!).toBeCloseTo(0.33843697, 7);
  });

  it('relative CE = Σ_s (E − 0.2) / Σ_s (0.886428 − 0.4348)', () => {
    // Σ_s (E − E_clean) = (0.1+0.2+0.3+0.4+0.5) − 5×0.2 = 0.5; Σ_s (0.886428 − 0.4348) = 5×0.451628 = 2.25814
    close(g.relativeCe, 0.5 / 2.25814, 14);
    expect(g.relativeCe!).toBeCloseTo(0.22142117, 7);
  });

  it('aggregates are null while common corruptions are missing', () => {
    expect(m.mCE).toBeNull();
    expect(m.relativeMCE).toBeNull();
    expect(m.meanError15).toBeNull();
    expect(m.meanError19).toBeNull();
    expect(m.completeCommon).toBe(false);
    expect(m.completeAll).toBe(false);
    expect(m.cleanErrorForRelative).toBe(0.2);
  });

  it('other corruptions have null rows, incomplete', () => {
    const fog = m.corruptions.find((c) => c.name === 'fog')!;
    expect(fog.errors).toEqual([null, null, null, null, null]);
    expect(fog.meanError).toBeNull();
    expect(fog.ce).toBeNull();
    expect(fog.relativeCe).toBeNull();
    expect(fog.complete).toBe(false);
  });

  it('returns all 19 rows in canonical order', () => {
    expect(m.corruptions.map((c) => c.name)).toEqual(NAMES_19);
  });

  it('relative CE is null without a clean error', () => {
    const m2 = computeMetrics(counts, null);
    const g2 = m2.corruptions[0];
    close(g2.ce, 0.3 / 0.886428, 14);
    expect(g2.relativeCe).toBeNull();
    expect(m2.cleanErrorForRelative).toBeNull();
  });
});

describe('computeMetrics: full synthetic table', () => {
  // Corruption i (0..18 in canonical order), severity s: errors = i + 5s of n = 100,
  // so E(i,s) = (i + 5s)/100 and mean_s E(i,s) = (i + 15)/100.
  const counts: CorruptionCounts = {};
  NAMES_19.forEach((name, i) => {
    counts[name] = {};
    for (let s = 1; s <= 5; s++) counts[name][s] = { n: 100, errors: i + 5 * s };
  });
  const clean = 0.1;
  const m = computeMetrics(counts, clean);

  it('per-corruption mean errors (i+15)/100', () => {
    NAMES_19.forEach((name, i) => {
      const row = m.corruptions.find((c) => c.name === name)!;
      close(row.meanError, (i + 15) / 100, 14);
      expect(row.complete).toBe(true);
    });
  });

  it('CE and relative CE per corruption', () => {
    NAMES_19.forEach((name, i) => {
      const row = m.corruptions.find((c) => c.name === name)!;
      close(row.ce, (i + 15) / 100 / ALEX[i], 13);
      close(row.relativeCe, ((i + 15) / 100 - clean) / (ALEX[i] - 0.4348), 12);
    });
    // spot-check two by hand: fog (i=9): 0.24/0.819324; saturate (i=18, extra): 0.33/0.658248
    close(m.corruptions[9].ce, 0.24 / 0.819324, 13);
    close(m.corruptions[18].ce, 0.33 / 0.658248, 13);
    // brightness (i=10): (0.25 − 0.1)/(0.564592 − 0.4348) = 0.15/0.129792
    close(m.corruptions[10].relativeCe, 0.15 / 0.129792, 12);
  });

  it('mCE = mean CE over the 15 common only (extra ones do not enter)', () => {
    const ces = ALEX.slice(0, 15).map((a, i) => (i + 15) / 100 / a);
    close(m.mCE, ces.reduce((a, b) => a + b) / 15, 12);
  });

  it('relative mCE = mean relative CE over the 15 common', () => {
    const rel = ALEX.slice(0, 15).map((a, i) => (i + 5) / 100 / (a - 0.4348));
    close(m.relativeMCE, rel.reduce((a, b) => a + b) / 15, 12);
  });

  it('meanError15 = 0.22 (mean of i over 0..14 is 7) and meanError19 = 0.24 (mean of i over 0..18 is 9)', () => {
    close(m.meanError15, 0.22, 14);
    close(m.meanError19, 0.24, 14);
    expect(m.completeCommon).toBe(true);
    expect(m.completeAll).toBe(true);
  });

  it('missing one extra corruption: mCE still defined, meanError19 null, completeAll false', () => {
    const c2: CorruptionCounts = { ...counts };
    delete c2.saturate;
    const m2 = computeMetrics(c2, clean);
    expect(m2.mCE).toBeCloseTo(m.mCE!, 14);
    close(m2.meanError15, 0.22, 14);
    expect(m2.meanError19).toBeNull();
    expect(m2.completeCommon).toBe(true);
    expect(m2.completeAll).toBe(false);
  });

  it('missing one common corruption: mCE, relative mCE and meanError15 null', () => {
    const c2: CorruptionCounts = { ...counts };
    delete c2.fog;
    const m2 = computeMetrics(c2, clean);
    expect(m2.mCE).toBeNull();
    expect(m2.relativeMCE).toBeNull();
    expect(m2.meanError15).toBeNull();
    expect(m2.meanError19).toBeNull();
    expect(m2.completeCommon).toBe(false);
    // the rows that are present still have their CE
    close(m2.corruptions[0].ce, 0.15 / 0.886428, 13);
  });

  it('a corruption whose cells all have n = 0 counts as missing', () => {
    const c2: CorruptionCounts = { ...counts, fog: { 1: { n: 0, errors: 0 }, 3: { n: 0, errors: 0 } } };
    const m2 = computeMetrics(c2, clean);
    expect(m2.corruptions[9].meanError).toBeNull();
    expect(m2.mCE).toBeNull();
  });
});

describe('computeMetrics: partial severities and unequal n', () => {
  it('missing severities → complete false, CE over the severities present', () => {
    // fog: severity 1: 1/4 = .25, severity 3: 3/4 = .75; 2, 4, 5 missing.
    const m = computeMetrics({ fog: { 1: { n: 4, errors: 1 }, 3: { n: 4, errors: 3 } } }, 0.25);
    const fog = m.corruptions.find((c) => c.name === 'fog')!;
    expect(fog.errors).toEqual([0.25, null, 0.75, null, null]);
    expect(fog.complete).toBe(false);
    close(fog.meanError, 0.5, 15);
    // Σ over present severities: (0.25 + 0.75) / (2 × 0.819324)
    close(fog.ce, 1.0 / (2 * 0.819324), 14);
    // ((0.25−0.25) + (0.75−0.25)) / (2 × (0.819324 − 0.4348))
    close(fog.relativeCe, 0.5 / (2 * 0.384524), 14);
  });

  it('each cell uses its own n', () => {
    // 1/2, 1/4, 3/8, 0/1, 5/5 → mean (0.5 + 0.25 + 0.375 + 0 + 1)/5 = 2.125/5 = 0.425
    const m = computeMetrics(
      {
        pixelate: {
          1: { n: 2, errors: 1 },
          2: { n: 4, errors: 1 },
          3: { n: 8, errors: 3 },
          4: { n: 1, errors: 0 },
          5: { n: 5, errors: 5 },
        },
      },
      null,
    );
    const p = m.corruptions.find((c) => c.name === 'pixelate')!;
    expect(p.errors).toEqual([0.5, 0.25, 0.375, 0, 1]);
    close(p.meanError, 0.425, 15);
    close(p.ce, 0.425 / 0.71784, 14);
    expect(p.complete).toBe(true);
  });

  it('meanError15 is a plain mean over the cells present when a severity is missing', () => {
    const counts: CorruptionCounts = {};
    for (const name of NAMES_15) counts[name] = { 1: { n: 10, errors: 2 }, 2: { n: 10, errors: 4 } };
    // all other cells missing; mean of 15×(0.2, 0.4) = 0.3
    const m = computeMetrics(counts, null);
    close(m.meanError15, 0.3, 14);
    expect(m.completeCommon).toBe(false);
    // CE of every common corruption is 0.3/alex; mCE their mean
    close(m.mCE, ALEX.slice(0, 15).reduce((a, x) => a + 0.3 / x, 0) / 15, 12);
    expect(m.relativeMCE).toBeNull();
  });

  it('ignores severities outside 1..5 and unknown corruption names', () => {
    const m = computeMetrics(
      {
        fog: { 0: { n: 10, errors: 10 }, 1: { n: 10, errors: 1 }, 6: { n: 10, errors: 10 } },
        not_a_corruption: { 1: { n: 10, errors: 10 } },
      },
      null,
    );
    const fog = m.corruptions.find((c) => c.name === 'fog')!;
    expect(fog.errors).toEqual([0.1, null, null, null, null]);
    expect(m.corruptions).toHaveLength(19);
  });
});

interface SummaryCell {
  n: number;
  top1_errors: number;
}
interface Summary {
  'imagenet-c-mini': Record<string, Record<string, SummaryCell | number>>;
  clean: Record<string, SummaryCell>;
  mCE: number;
  relative_mCE: number;
  mean_top1_error_19: number;
  mean_top1_error_15: number;
}

describeFixtures('computeMetrics reproduces the reference summaries', () => {
  for (const model of ['mobilenetv2-12-int8', 'squeezenet1.1-caffe2-fp32']) {
    it(model, () => {
      const summary = JSON.parse(readFileSync(fixture('reference', `${model}-summary.json`), 'utf8')) as Summary;
      const counts: CorruptionCounts = {};
      const mini = summary['imagenet-c-mini'];
      expect(Object.keys(mini).sort()).toEqual([...NAMES_19].sort());
      for (const [name, entry] of Object.entries(mini)) {
        counts[name] = {};
        for (const s of ['1', '2', '3', '4', '5']) {
          const cell = entry[s] as SummaryCell;
          counts[name][Number(s)] = { n: cell.n, errors: cell.top1_errors };
        }
      }
      const devKey = Object.keys(summary.clean).find((k) => k.includes('DEV-C'));
      expect(devKey).toBeDefined();
      const dev = summary.clean[devKey!];
      const m = computeMetrics(counts, dev.top1_errors / dev.n);
      expect(Math.abs(m.mCE! - summary.mCE)).toBeLessThan(1e-12);
      expect(Math.abs(m.relativeMCE! - summary.relative_mCE)).toBeLessThan(1e-12);
      expect(Math.abs(m.meanError19! - summary.mean_top1_error_19)).toBeLessThan(1e-12);
      expect(Math.abs(m.meanError15! - summary.mean_top1_error_15)).toBeLessThan(1e-12);
      expect(m.completeAll).toBe(true);
      for (const row of m.corruptions) {
        const ref = mini[row.name] as unknown as { CE: number; relative_CE: number; mean_top1_error: number; alexnet_error: number };
        expect(Math.abs(row.ce! - ref.CE)).toBeLessThan(1e-12);
        expect(Math.abs(row.relativeCe! - ref.relative_CE)).toBeLessThan(1e-12);
        expect(Math.abs(row.meanError! - ref.mean_top1_error)).toBeLessThan(1e-12);
        // the reference's AlexNet table agrees with ours (via CE = mean / alexnet)
        expect(Math.abs(row.meanError! / row.ce! - ref.alexnet_error)).toBeLessThan(1e-12);
      }
    });
  }
  it('the README headline numbers (percent, 2 decimals)', () => {
    const mob = JSON.parse(readFileSync(fixture('reference', 'mobilenetv2-12-int8-summary.json'), 'utf8')) as Summary;
    const sq = JSON.parse(readFileSync(fixture('reference', 'squeezenet1.1-caffe2-fp32-summary.json'), 'utf8')) as Summary;
    expect((mob.mCE * 100).toFixed(2)).toBe('86.20');
    expect((mob.relative_mCE * 100).toFixed(2)).toBe('141.36');
    expect((sq.mCE * 100).toFixed(2)).toBe('104.48');
    expect((sq.mean_top1_error_19 * 100).toFixed(2)).toBe('80.63');
  });
});
