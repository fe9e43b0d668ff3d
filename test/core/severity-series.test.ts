import { describe, expect, it } from 'vitest';
import { groupErrorSeries } from '../../src/core/severity-series';

describe('groupErrorSeries', () => {
  const doc = {
    clean: { n: 10, errors: 2, dataset: 'val' },
    corruptions: {
      gaussian_noise: { group: 'noise', severities: { '1': { n: 10, errors: 3 }, '2': { n: 10, errors: 6 } } },
      shot_noise: { group: 'noise', severities: { '1': { n: 4, errors: 2 } } },
      fog: { group: 'weather', severities: { '5': { n: 2, errors: 2 } } },
    },
  };

  it('clean error, then the mean over the group’s corruptions present at each severity (%)', () => {
    expect(groupErrorSeries(doc, 'noise')).toEqual([20, 40, 60, null, null, null]);
    expect(groupErrorSeries(doc, 'weather')).toEqual([20, null, null, null, null, 100]);
    expect(groupErrorSeries({ corruptions: {} }, 'blur')).toEqual([null, null, null, null, null, null]);
  });
});
