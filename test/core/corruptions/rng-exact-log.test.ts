/**
 * exactLog against correctly rounded logarithms (Python decimal, test/data/small/numpy-random/). It must be
 * correctly rounded on every sample; V8's Math.log is not (it differs in the last bit for a few percent).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exactLog } from '../../../src/core/corruptions/rng/exact-log';
import { PROJECT_ROOT } from '../../support/fixtures';

const ref: { x: number[]; log_correctly_rounded: number[]; glibc_log_differs: number[] } = JSON.parse(
  readFileSync(join(PROJECT_ROOT, 'test/data/small/numpy-random/exact-log-reference.json'), 'utf8'),
);

describe('exactLog', () => {
  it(`is correctly rounded on ${ref.x.length} samples (incl. near 1, subnormal, huge)`, () => {
    const bad: string[] = [];
    let mathLogDiffers = 0;
    ref.x.forEach((x, i) => {
      const want = ref.log_correctly_rounded[i];
      const got = exactLog(x);
      if (!Object.is(got, want)) bad.push(`log(${x}) = ${got}, want ${want}`);
      if (Math.log(x) !== want) mathLogDiffers++;
    });
    console.log(
      `exactLog: ${ref.x.length - bad.length}/${ref.x.length} correctly rounded; Math.log differs on ${mathLogDiffers}; ` +
        `glibc log (numpy's) differs on ${ref.glibc_log_differs.length}`,
    );
    expect(bad).toEqual([]);
  });

  it('handles special values like Math.log', () => {
    expect(exactLog(1)).toBe(0);
    expect(exactLog(0)).toBe(-Infinity);
    expect(exactLog(-1)).toBeNaN();
    expect(exactLog(Number.NaN)).toBeNaN();
    expect(exactLog(Infinity)).toBe(Infinity);
  });
});
