/**
 * Every corruption folder name ShiftLens reads, in one place: ImageNet-C's 19 (15 common + 4 extra, with the AlexNet
 * errors that mCE divides by), and the corruptions of two benchmarks in the ImageNet-C folder layout
 * (`<corruption>/<severity 1–5>/<wnid>/<image>`): ImageNet-C-bar's 10 and ImageNet-3DCC's 12. These have no AlexNet
 * table of Hendrycks & Dietterich, so they get error per severity and mean error only, and never enter mCE.
 */
export type ImageNetCGroup = 'noise' | 'blur' | 'weather' | 'digital' | 'extra';
export type CorruptionGroup = ImageNetCGroup | 'c-bar' | '3dcc';
export type CorruptionBenchmark = 'imagenet-c' | 'imagenet-c-bar' | 'imagenet-3dcc';

export interface CorruptionInfo {
  readonly name: string;
  readonly group: CorruptionGroup;
  readonly benchmark: CorruptionBenchmark;
  /** True for the 15 corruptions that enter mCE. */
  readonly common: boolean;
  /** AlexNet top-1 error averaged over severities 1–5 (Hendrycks & Dietterich 2019); null outside ImageNet-C. */
  readonly alexNetError: number | null;
}

/** One of ImageNet-C's 19 corruptions. */
export interface ImageNetCCorruption extends CorruptionInfo {
  readonly group: ImageNetCGroup;
  readonly benchmark: 'imagenet-c';
  readonly alexNetError: number;
}

export const ALEXNET_CLEAN_ERROR = 0.4348;
export const SEVERITIES = [1, 2, 3, 4, 5] as const;
export type Severity = (typeof SEVERITIES)[number];

/** ImageNet-C's groups. */
export const GROUPS: readonly ImageNetCGroup[] = ['noise', 'blur', 'weather', 'digital', 'extra'];
/** Every group, ImageNet-C's then ImageNet-C-bar and 3DCC (one group each). */
export const ALL_GROUPS: readonly CorruptionGroup[] = [...GROUPS, 'c-bar', '3dcc'];

const table: ReadonlyArray<[string, ImageNetCGroup, number]> = [
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
export const CORRUPTIONS: readonly ImageNetCCorruption[] = table.map(([name, group, alexNetError]) => ({
  name,
  group,
  benchmark: 'imagenet-c',
  common: group !== 'extra',
  alexNetError,
}));

export const COMMON_CORRUPTIONS = CORRUPTIONS.filter((c) => c.common);

/**
 * ImageNet-C-bar (Mintun, Kirillov & Xie, NeurIPS 2021): the 10 corruption folder names of the published dataset, as
 * listed in the README of https://github.com/facebookresearch/augmentation-corruption at commit
 * ba4d5a5e9132fe98fcd4be1ac90abedbbb188794 (also `imagenet_c_bar/imagenet_c_bar.csv` there; MIT licence).
 * "cocentric" is the dataset's own spelling.
 */
export const CBAR_CORRUPTION_NAMES: readonly string[] = [
  'blue_noise_sample',
  'brownish_noise',
  'caustic_refraction',
  'checkerboard_cutout',
  'cocentric_sine_waves',
  'inverse_sparkles',
  'perlin_noise',
  'plasma_noise',
  'single_frequency_greyscale',
  'sparkles',
];

/**
 * ImageNet-3DCC (Kar et al., CVPR 2022): the 12 corruption folder names, in the order of `tools/download_imagenet_3dcc.sh`
 * of https://github.com/EPFL-VILAB/3DCommonCorruptions at commit 4fc007b022b91774c9d671afe3d29005812d5745 (the same
 * 12 as `CORRUPTIONS_3DCC` of robustbench/data.py).
 */
export const THREEDCC_CORRUPTION_NAMES: readonly string[] = [
  'near_focus',
  'far_focus',
  'fog_3d',
  'flash',
  'color_quant',
  'low_light',
  'xy_motion_blur',
  'z_motion_blur',
  'iso_noise',
  'bit_error',
  'h265_abr',
  'h265_crf',
];

const other = (names: readonly string[], group: CorruptionGroup, benchmark: CorruptionBenchmark): CorruptionInfo[] =>
  names.map((name) => ({ name, group, benchmark, common: false, alexNetError: null }));

/** Every corruption, in catalogue order: ImageNet-C's 19, then ImageNet-C-bar's 10, then 3DCC's 12. */
export const ALL_CORRUPTIONS: readonly CorruptionInfo[] = [
  ...CORRUPTIONS,
  ...other(CBAR_CORRUPTION_NAMES, 'c-bar', 'imagenet-c-bar'),
  ...other(THREEDCC_CORRUPTION_NAMES, '3dcc', 'imagenet-3dcc'),
];

/** The benchmarks, their display names and the group that holds each one's corruptions. */
export const BENCHMARKS: readonly { id: CorruptionBenchmark; name: string }[] = [
  { id: 'imagenet-c', name: 'ImageNet-C' },
  { id: 'imagenet-c-bar', name: 'ImageNet-C-bar' },
  { id: 'imagenet-3dcc', name: 'ImageNet-3DCC' },
];

export const GROUP_TITLES: Readonly<Record<CorruptionGroup, string>> = {
  noise: 'noise',
  blur: 'blur',
  weather: 'weather',
  digital: 'digital',
  extra: 'extra',
  'c-bar': 'ImageNet-C-bar',
  '3dcc': 'ImageNet-3DCC',
};

const byName = new Map(ALL_CORRUPTIONS.map((c) => [c.name, c]));
const rankOf = new Map(ALL_CORRUPTIONS.map((c, i) => [c.name, i]));

/** Position in the catalogue (for sorting folders); unknown names after every known one. */
export function corruptionRank(name: string): number {
  return rankOf.get(name) ?? ALL_CORRUPTIONS.length;
}

export function corruptionInfo(name: string): CorruptionInfo | undefined {
  return byName.get(name);
}

export function isCorruptionName(name: string): boolean {
  return byName.has(name);
}

/** An ImageNet-C group folder name (`<group>/<corruption>/…` layouts). */
export function isGroupName(name: string): name is ImageNetCGroup {
  return (GROUPS as readonly string[]).includes(name);
}
