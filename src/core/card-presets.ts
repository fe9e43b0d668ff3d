import { IMAGENET_MEAN, IMAGENET_STD } from './normalize';
import type { ModelCard } from './model-card';

/** The card fields a preset decides: preprocessing, what the model is, and what its authors report. */
export type PresetFields = Pick<ModelCard, 'mean' | 'std' | 'inputSize' | 'resizeTo' | 'interpolation'> & {
  method?: string;
  backbone?: string;
  reportedTop1?: number;
  reportedTop1Source?: string;
};

export interface CardPreset {
  readonly id: string;
  readonly label: string;
  readonly fields: Readonly<PresetFields>;
}

// mmselfsup 1.x linear-probe evaluation (configs/benchmarks/classification/_base_/datasets/imagenet.py):
// ResizeEdge(256, short edge, pillow backend, bilinear) → CenterCrop(224); ImageNet mean/std in the
// data preprocessor (given there on the 0–255 scale: 123.675/116.28/103.53, 58.395/57.12/57.375).
const MMSELFSUP = { mean: IMAGENET_MEAN, std: IMAGENET_STD, inputSize: 224, resizeTo: 256, interpolation: 'bilinear' } as const;
const MM_ZOO = (method: string, model: string) =>
  `mmselfsup/mmpretrain model zoo, configs/${method}/README.md, "Image Classification on ImageNet-1k": ${model}`;

// DINO eval_linear.py: Resize(256, interpolation=3 = bicubic) → CenterCrop(224), ImageNet mean/std.
const DINO = { mean: IMAGENET_MEAN, std: IMAGENET_STD, inputSize: 224, resizeTo: 256, interpolation: 'bicubic', method: 'dino' } as const;
const DINO_README = 'facebookresearch/dino README, "Pretrained models" table, linear column';

/**
 * Presets for the six methods of the paper and for torchvision's standard evaluation. Each reported top-1 is the
 * linear-probe number published with that exact checkpoint (source in `reportedTop1Source`); where a method has
 * several checkpoints, each gets its own preset, since the numbers differ by several points.
 */
export const CARD_PRESETS: readonly CardPreset[] = [
  {
    id: 'torchvision',
    label: 'torchvision standard (Resize 256 bilinear → CenterCrop 224, ImageNet mean/std)',
    fields: { mean: IMAGENET_MEAN, std: IMAGENET_STD, inputSize: 224, resizeTo: 256, interpolation: 'bilinear' },
  },
  {
    id: 'simclr-200e',
    label: 'SimCLR ResNet-50, mmselfsup 200 epochs (linear 66.9 %)',
    fields: { ...MMSELFSUP, method: 'simclr', backbone: 'resnet50', reportedTop1: 66.9, reportedTop1Source: MM_ZOO('simclr', 'resnet50_simclr-200e-pre_8xb512-linear-coslr-90e_in1k') },
  },
  {
    id: 'simclr-800e',
    label: 'SimCLR ResNet-50, mmselfsup 800 epochs (linear 69.2 %)',
    fields: { ...MMSELFSUP, method: 'simclr', backbone: 'resnet50', reportedTop1: 69.2, reportedTop1Source: MM_ZOO('simclr', 'resnet50_simclr-800e-pre_8xb512-linear-coslr-90e_in1k') },
  },
  {
    id: 'simsiam-100e',
    label: 'SimSiam ResNet-50, mmselfsup 100 epochs (linear 68.3 %)',
    fields: { ...MMSELFSUP, method: 'simsiam', backbone: 'resnet50', reportedTop1: 68.3, reportedTop1Source: MM_ZOO('simsiam', 'resnet50_simsiam-100e-pre_8xb512-linear-coslr-90e_in1k') },
  },
  {
    id: 'simsiam-200e',
    label: 'SimSiam ResNet-50, mmselfsup 200 epochs (linear 69.8 %)',
    fields: { ...MMSELFSUP, method: 'simsiam', backbone: 'resnet50', reportedTop1: 69.8, reportedTop1Source: MM_ZOO('simsiam', 'resnet50_simsiam-200e-pre_8xb512-linear-coslr-90e_in1k') },
  },
  {
    id: 'byol',
    label: 'BYOL ResNet-50, mmselfsup 200 epochs (linear 71.8 %)',
    fields: { ...MMSELFSUP, method: 'byol', backbone: 'resnet50', reportedTop1: 71.8, reportedTop1Source: MM_ZOO('byol', 'resnet50_byol-pre_8xb512-linear-coslr-90e_in1k') },
  },
  {
    id: 'barlowtwins',
    label: 'Barlow Twins ResNet-50, mmselfsup 300 epochs (linear 71.8 %)',
    fields: { ...MMSELFSUP, method: 'barlowtwins', backbone: 'resnet50', reportedTop1: 71.8, reportedTop1Source: MM_ZOO('barlowtwins', 'resnet50_barlowtwins-pre_8xb32-linear-coslr-100e_in1k') },
  },
  {
    id: 'swav',
    label: 'SwAV ResNet-50, mmselfsup 200 epochs multi-crop (linear 70.5 %)',
    fields: { ...MMSELFSUP, method: 'swav', backbone: 'resnet50', reportedTop1: 70.5, reportedTop1Source: MM_ZOO('swav', 'resnet50_swav-pre_8xb32-linear-coslr-100e_in1k') },
  },
  {
    id: 'dino-resnet50',
    label: 'DINO ResNet-50 (bicubic resize; linear 75.3 %)',
    fields: { ...DINO, backbone: 'resnet50', reportedTop1: 75.3, reportedTop1Source: `${DINO_README}, ResNet-50` },
  },
  {
    id: 'dino-vits16',
    label: 'DINO ViT-S/16 (bicubic resize; linear 77.0 %)',
    fields: { ...DINO, backbone: 'vit_small_patch16', reportedTop1: 77.0, reportedTop1Source: `${DINO_README}, DeiT-S/16` },
  },
];

const PRESET_KEYS = ['mean', 'std', 'inputSize', 'resizeTo', 'interpolation', 'method', 'backbone', 'reportedTop1', 'reportedTop1Source'] as const;

/** The card with a preset's fields; what the preset leaves out (method, reported top-1…) is cleared, not kept. */
export function applyPreset(card: ModelCard, preset: CardPreset): ModelCard {
  const out: ModelCard = { ...card };
  for (const k of PRESET_KEYS) delete out[k];
  return { ...out, ...preset.fields, interpolation: preset.fields.interpolation ?? 'bilinear' };
}

const same = (a: unknown, b: unknown): boolean =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => same(x, b[i])) : a === b;

/** The preset a card follows exactly (every preset field equal, bilinear when unset), or undefined. */
export function matchPreset(card: ModelCard): CardPreset | undefined {
  const value = (c: Record<string, unknown>, k: string) => (k === 'interpolation' ? (c[k] ?? 'bilinear') : c[k]);
  return CARD_PRESETS.find((p) => PRESET_KEYS.every((k) => same(value(card, k), value(p.fields, k))));
}
