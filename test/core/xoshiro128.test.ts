import { describe, expect, it } from 'vitest';
import { xoshiro128, xoshiro128FromState } from '../../src/core/xoshiro128';

describe('xoshiro128**', () => {
  it('the reference implementation\'s first outputs from state {1, 2, 3, 4}', () => {
    const r = xoshiro128FromState(1, 2, 3, 4);
    expect(Array.from({ length: 10 }, r.next)).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
  });

  it('seeded: same seed, same numbers; another seed, others', () => {
    const a = Array.from({ length: 5 }, xoshiro128(42).next);
    expect(Array.from({ length: 5 }, xoshiro128(42).next)).toEqual(a);
    expect(Array.from({ length: 5 }, xoshiro128(43).next)).not.toEqual(a);
  });

  it('below(n) is uniform on 0…n−1 (χ² over 10 bins, 100 000 draws)', () => {
    const r = xoshiro128(7);
    const bins = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) bins[r.below(10)]++;
    const chi2 = bins.reduce((s, b) => s + (b - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(27.9); // p = 0.001 at 9 degrees of freedom
    expect(bins.every((b) => b > 0)).toBe(true);
  });
});
