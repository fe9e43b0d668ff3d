/**
 * gaussian_noise, shot_noise, impulse_noise, speckle_noise against the reference statistics of all 50 DEV-C
 * images (stats.json), each run with its params.json seed. SPEC.md §5 paired test, plus near-exact per-image
 * agreement (the replay is bit-exact, so every image's statistics match to stats.json's 6 digits).
 */
import { afterAll, expect, it } from 'vitest';
import { RandomState } from '../../../src/core/corruptions/rng/numpy-random';
import { randomRgbCorruptors } from '../../../src/core/corruptions/random/index';
import { describeFixtures } from '../../support/fixtures';
import { type SeverityReport, formatReport, runSeverity } from './random-stats';

const NAMES = ['gaussian_noise', 'shot_noise', 'impulse_noise', 'speckle_noise'];

describeFixtures('random noise corruptions vs reference statistics (50 images × 5 severities)', () => {
  const rows: SeverityReport[] = [];
  for (const name of NAMES) {
    it(`${name}: paired test passes and every image replays exactly`, () => {
      const fn = randomRgbCorruptors[name];
      for (let s = 1; s <= 5; s++) {
        const r = runSeverity(name, s, (rgb, w, h, sev, seed) => fn(rgb, w, h, sev, new RandomState(seed)));
        rows.push(r);
        for (const c of r.checks) expect(c.pass, `${name} sev ${s} ${c.stat}: mean Δ ${c.meanDiff} (tol ${c.tolerance}, SE ${c.se})`).toBe(true);
        expect(r.nearExactImages, `${name} sev ${s}: images whose statistics match to 6 digits`).toBe(r.images);
      }
    }, 300_000);
  }
  // The statistics table, for reading (not a test: it asserts nothing).
  afterAll(() => {
    if (rows.length) console.log(`\n${formatReport(rows)}`);
  });
});
