export type CorruptionGroup = 'noise' | 'blur' | 'weather' | 'digital' | 'extra';

export interface CorruptionInfo {
  readonly name: string;
  readonly group: CorruptionGroup;
  /** True for the 15 corruptions that enter mCE. */
  readonly common: boolean;
  /** AlexNet top-1 error averaged over severities 1–5 (Hendrycks & Dietterich 2019). */
  readonly alexNetError: number;
}

export const ALEXNET_CLEAN_ERROR = 0.4348;
export const SEVERITIES = [1, 2, 3, 4, 5] as const;
export type Severity = (typeof SEVERITIES)[number];

export const GROUPS: readonly CorruptionGroup[] = ['noise', 'blur', 'weather', 'digital', 'extra'];

const table: ReadonlyArray<[string, CorruptionGroup, number]> = [
  ['gaussian_noise', 'noise', 0.886428],
  ['shot_noise', 'noise', 0.894468],
  ['impulse_noise', 'noise', 0.92264],
  ['defocus_blur', 'blur', 0.81988],
  ['glass_blur', 'blur', 0.826268],
  ['motion_blur', 'blur', 0.785948],
  ['zoom_blur', 'blur', 0.79836],
  ['snow', 'weather', 0.866816],
  ['frost', 'weather', 0.826572],
  ['fog', 'weather', 0.819324],
  ['brightness', 'weather', 0.564592],
  ['contrast', 'digital', 0.853204],
  ['elastic_transform', 'digital', 0.646056],
  ['pixelate', 'digital', 0.71784],
  ['jpeg_compression', 'digital', 0.6065],
  ['speckle_noise', 'extra', 0.845388],
  ['gaussian_blur', 'extra', 0.787108],
  ['spatter', 'extra', 0.717512],
  ['saturate', 'extra', 0.658248],
];

/** All 19 corruptions, in the canonical order: the 15 common ones by group, then the 4 extra. */
export const CORRUPTIONS: readonly CorruptionInfo[] = table.map(([name, group, alexNetError]) => ({
  name,
  group,
  common: group !== 'extra',
  alexNetError,
}));

export const COMMON_CORRUPTIONS = CORRUPTIONS.filter((c) => c.common);

const byName = new Map(CORRUPTIONS.map((c) => [c.name, c]));

export function corruptionInfo(name: string): CorruptionInfo | undefined {
  return byName.get(name);
}

export function isCorruptionName(name: string): boolean {
  return byName.has(name);
}

export function isGroupName(name: string): name is CorruptionGroup {
  return (GROUPS as readonly string[]).includes(name);
}
