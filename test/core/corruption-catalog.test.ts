import { describe, it, expect } from 'vitest';
import {
  ALEXNET_CLEAN_ERROR,
  COMMON_CORRUPTIONS,
  CORRUPTIONS,
  GROUPS,
  SEVERITIES,
  corruptionInfo,
  isCorruptionName,
  isGroupName,
} from '../../src/core/corruption-catalog';
import { alexNetErrors, alexNetMean } from '../support/alexnet-errors';

const EXPECTED_GROUPS: Record<string, string[]> = {
  noise: ['gaussian_noise', 'shot_noise', 'impulse_noise'],
  blur: ['defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur'],
  weather: ['snow', 'frost', 'fog', 'brightness'],
  digital: ['contrast', 'elastic_transform', 'pixelate', 'jpeg_compression'],
  extra: ['speckle_noise', 'gaussian_blur', 'spatter', 'saturate'],
};

describe('corruption catalog', () => {
  it('has 19 corruptions, 15 common and 4 extra, with unique names', () => {
    expect(CORRUPTIONS).toHaveLength(19);
    expect(new Set(CORRUPTIONS.map((c) => c.name)).size).toBe(19);
    expect(COMMON_CORRUPTIONS).toHaveLength(15);
    expect(CORRUPTIONS.filter((c) => !c.common).map((c) => c.name)).toEqual(EXPECTED_GROUPS.extra);
  });

  it('lists the corruptions in canonical order: common ones by group, then extra', () => {
    const expectedOrder = [
      ...EXPECTED_GROUPS.noise,
      ...EXPECTED_GROUPS.blur,
      ...EXPECTED_GROUPS.weather,
      ...EXPECTED_GROUPS.digital,
      ...EXPECTED_GROUPS.extra,
    ];
    expect(CORRUPTIONS.map((c) => c.name)).toEqual(expectedOrder);
    expect(COMMON_CORRUPTIONS.map((c) => c.name)).toEqual(expectedOrder.slice(0, 15));
  });

  it('the AlexNet errors are the means over severities 1–5 of hendrycks/robustness (test/data/alexnet-errors.json)', () => {
    const data = alexNetErrors();
    expect(data.commit.startsWith('76d9393')).toBe(true);
    expect(Object.keys(data.corruptions).sort()).toEqual(CORRUPTIONS.map((c) => c.name).sort());
    for (const c of CORRUPTIONS) {
      const { severities, average } = data.corruptions[c.name];
      expect(severities, c.name).toHaveLength(5);
      // The catalogue holds the mean to the README's 6 decimals; the README's own average column says the same.
      expect(c.alexNetError, c.name).toBe(alexNetMean(c.name));
      expect(average, c.name).toBe(alexNetMean(c.name));
    }
  });

  it.each(Object.entries(EXPECTED_GROUPS))('group %s holds the right corruptions', (group, names) => {
    expect(CORRUPTIONS.filter((c) => c.group === group).map((c) => c.name)).toEqual(names);
    for (const n of names) expect(corruptionInfo(n)!.common).toBe(group !== 'extra');
  });

  it('AlexNet clean error is 0.4348 (43.48 %)', () => {
    expect(ALEXNET_CLEAN_ERROR).toBe(0.4348);
  });

  it('severities are 1..5 and groups are the five group names', () => {
    expect([...SEVERITIES]).toEqual([1, 2, 3, 4, 5]);
    expect([...GROUPS]).toEqual(['noise', 'blur', 'weather', 'digital', 'extra']);
  });

  it('name predicates', () => {
    expect(isCorruptionName('fog')).toBe(true);
    expect(isCorruptionName('Fog')).toBe(false);
    expect(isCorruptionName('gaussian')).toBe(false);
    expect(isCorruptionName('')).toBe(false);
    expect(isCorruptionName('__proto__')).toBe(false);
    expect(corruptionInfo('toString')).toBeUndefined();
    expect(isGroupName('weather')).toBe(true);
    expect(isGroupName('extra')).toBe(true);
    expect(isGroupName('fog')).toBe(false);
    expect(isGroupName('Noise')).toBe(false);
  });
});
