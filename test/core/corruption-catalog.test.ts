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

// AlexNet top-1 errors averaged over severities (Hendrycks & Dietterich 2019), typed in from the paper's table.
const ALEXNET: Record<string, number> = {
  gaussian_noise: 0.886428,
  shot_noise: 0.894468,
  impulse_noise: 0.92264,
  defocus_blur: 0.81988,
  glass_blur: 0.826268,
  motion_blur: 0.785948,
  zoom_blur: 0.79836,
  snow: 0.866816,
  frost: 0.826572,
  fog: 0.819324,
  brightness: 0.564592,
  contrast: 0.853204,
  elastic_transform: 0.646056,
  pixelate: 0.71784,
  jpeg_compression: 0.6065,
  speckle_noise: 0.845388,
  gaussian_blur: 0.787108,
  spatter: 0.717512,
  saturate: 0.658248,
};

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

  it.each(Object.entries(ALEXNET))('AlexNet error of %s is %f', (name, err) => {
    const info = corruptionInfo(name);
    expect(info).toBeDefined();
    expect(info!.alexNetError).toBe(err);
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
