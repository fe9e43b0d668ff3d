import { IMAGENET_MEAN, IMAGENET_STD, type Triple } from './normalize';
import { readInterpolation, type Interpolation } from './interpolation';

/** What the ONNX file does not say: preprocessing, class order, output roles. */
export interface ModelCard {
  name: string;
  mean: Triple;
  std: Triple;
  /** Square input side the model expects (ImageNet-C images are 224×224 already). */
  inputSize: number;
  /** Clean images: shorter side resized to this before the centre crop. */
  resizeTo: number;
  /** Filter of the clean resize; bilinear when absent. */
  interpolation?: Interpolation;
  inputName?: string;
  /** Output holding the class logits; found by shape when absent. */
  logitsOutput?: string;
  /** Output holding the last feature map (for CAM). */
  featureOutput?: string;
  /** wnids in output order, when the card carries the class list. */
  labels?: string[];
  /** Clean top-1 accuracy the authors report, in percent. */
  reportedTop1?: number;
  [extra: string]: unknown;
}

export const DEFAULT_CARD: ModelCard = {
  name: 'model',
  mean: IMAGENET_MEAN,
  std: IMAGENET_STD,
  inputSize: 224,
  resizeTo: 256,
};

export class ModelCardError extends Error {}

function triple(v: unknown, key: string): Triple {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new ModelCardError(`model card: "${key}" must be three numbers (R, G, B)`);
  }
  return [v[0], v[1], v[2]];
}

/** Parses a model card JSON; missing fields take the ImageNet defaults. Mean/std are on the 0–1 scale. */
export function parseModelCard(text: string, fallbackName = 'model'): { card: ModelCard; notes: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ModelCardError(`model card: not valid JSON (${(e as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ModelCardError('model card: expected a JSON object');
  const o = raw as Record<string, unknown>;
  const notes: string[] = [];
  const card: ModelCard = { ...DEFAULT_CARD, ...o, name: typeof o.name === 'string' && o.name ? o.name : fallbackName } as ModelCard;
  card.mean = o.mean === undefined ? IMAGENET_MEAN : triple(o.mean, 'mean');
  card.std = o.std === undefined ? IMAGENET_STD : triple(o.std, 'std');
  if (card.mean.some((m) => m > 1)) {
    // A 0–255 card (Caffe style) would silently wreck every number downstream. Its std, when given, is on the
    // same scale; a missing std stays the (0–1 scale) default.
    card.mean = card.mean.map((m) => m / 255) as unknown as Triple;
    if (o.std !== undefined) card.std = card.std.map((s) => s / 255) as unknown as Triple;
    notes.push(`mean${o.std !== undefined ? '/std' : ''} looked like 0–255 values and ${o.std !== undefined ? 'were' : 'was'} divided by 255`);
  }
  if (card.std.some((s) => s <= 0)) throw new ModelCardError('model card: std must be positive');
  for (const key of ['inputSize', 'resizeTo'] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)) {
      throw new ModelCardError(`model card: "${key}" must be a positive integer`);
    }
  }
  if (o.labels !== undefined && (!Array.isArray(o.labels) || !o.labels.every((l) => typeof l === 'string'))) {
    throw new ModelCardError('model card: "labels" must be a list of wnids in output order');
  }
  if (o.reportedTop1 !== undefined && (typeof o.reportedTop1 !== 'number' || o.reportedTop1 < 0 || o.reportedTop1 > 100)) {
    throw new ModelCardError('model card: "reportedTop1" must be a percentage 0–100');
  }
  if (o.interpolation !== undefined) {
    const read = readInterpolation(o.interpolation);
    if (!read) throw new ModelCardError('model card: "interpolation" must be "bilinear" or "bicubic" (or a PIL code: 2, 3)');
    if (!read.ok) {
      // Only Pillow's bilinear and bicubic are implemented; the card is corrected so results say what was done.
      card.interpolation = 'bilinear';
      notes.push(`interpolation "${read.name}" is not implemented here: clean images are resized bilinearly, so clean numbers may differ from the authors'`);
    } else {
      card.interpolation = read.interpolation;
      if (read.from) notes.push(`interpolation ${read.from} read as ${read.interpolation}`);
    }
  }
  for (const key of ['inputName', 'logitsOutput', 'featureOutput'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'string') throw new ModelCardError(`model card: "${key}" must be a string`);
  }
  return { card, notes };
}
