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

describe('ImageNet-C-bar and 3DCC in the catalogue', () => {
  it('C-bar has 10 corruptions and 3DCC 12, each its own group, none common, none with an AlexNet error', async () => {
    const { ALL_CORRUPTIONS, ALL_GROUPS, CBAR_CORRUPTION_NAMES, THREEDCC_CORRUPTION_NAMES, corruptionRank } = await import('../../src/core/corruption-catalog');
    expect(CBAR_CORRUPTION_NAMES).toHaveLength(10);
    expect(THREEDCC_CORRUPTION_NAMES).toHaveLength(12);
    expect(ALL_CORRUPTIONS).toHaveLength(41);
    expect(new Set(ALL_CORRUPTIONS.map((c) => c.name)).size).toBe(41);
    expect(ALL_CORRUPTIONS.slice(0, 19)).toEqual(CORRUPTIONS);
    for (const n of CBAR_CORRUPTION_NAMES) expect(corruptionInfo(n)).toMatchObject({ group: 'c-bar', benchmark: 'imagenet-c-bar', common: false, alexNetError: null });
    for (const n of THREEDCC_CORRUPTION_NAMES) expect(corruptionInfo(n)).toMatchObject({ group: '3dcc', benchmark: 'imagenet-3dcc', common: false, alexNetError: null });
    expect(isCorruptionName('cocentric_sine_waves')).toBe(true);
    expect(isCorruptionName('h265_crf')).toBe(true);
    expect(isGroupName('3dcc')).toBe(false); // not an ImageNet-C <group>/ folder
    expect([...ALL_GROUPS]).toEqual(['noise', 'blur', 'weather', 'digital', 'extra', 'c-bar', '3dcc']);
    expect(corruptionRank('saturate')).toBeLessThan(corruptionRank('sparkles'));
    expect(corruptionRank('sparkles')).toBeLessThan(corruptionRank('near_focus'));
  });

  it('their cells get error per severity and mean error, never mCE; 3DCC also RobustBench\'s AlexNet-relative CE', async () => {
    const { computeMetrics } = await import('../../src/core/metrics');
    const { ROBUSTBENCH_3DCC_ALEXNET_ACCURACY } = await import('../../src/core/data/robustbench-3dcc-alexnet');
    const { THREEDCC_CORRUPTION_NAMES } = await import('../../src/core/corruption-catalog');
    // AlexNet's own accuracies as counts (n = 5000): its RobustBench 3DCC mCE is 100, its mean accuracy 28.47 %.
    const counts: Record<string, Record<number, { n: number; errors: number }>> = {};
    for (const c of THREEDCC_CORRUPTION_NAMES) counts[c] = Object.fromEntries(ROBUSTBENCH_3DCC_ALEXNET_ACCURACY[c].map((a, i) => [i + 1, { n: 5000, errors: Math.round(5000 * (1 - a)) }]));
    counts.sparkles = { 1: { n: 10, errors: 4 }, 3: { n: 10, errors: 6 } };
    const m = computeMetrics(counts, null);
    expect(m.mCE).toBeNull();
    expect(m.meanError19).toBeNull();
    const [cbar, threeD] = m.otherBenchmarks;
    expect(cbar.benchmark).toBe('imagenet-c-bar');
    expect(cbar.corruptions).toEqual([{ name: 'sparkles', errors: [0.4, null, 0.6, null, null], meanError: 0.5, complete: false }]);
    expect(cbar.mean).toBeNull();
    expect(threeD.complete).toBe(true);
    expect(100 - 100 * threeD.mean!).toBeCloseTo(28.47, 2);
    expect(threeD.robustbenchMce!).toBeCloseTo(100, 9);
    for (const c of THREEDCC_CORRUPTION_NAMES) expect(threeD.robustbenchCe![c]).toBeCloseTo(100, 9);
  });
});
