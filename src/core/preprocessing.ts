import type { Interpolation } from './interpolation';
import type { ModelCard } from './model-card';
import type { Triple } from './normalize';

/**
 * How an image becomes the model's input: normalisation, input size and (clean images) the resize before the
 * centre crop with its filter. The one structure every consumer (run, SSIM, inspector) gets from the card, so
 * none can drop a field: build it with {@link preprocessingOf}.
 */
export interface CardPreprocessing {
  readonly mean: Triple;
  readonly std: Triple;
  readonly inputSize: number;
  /** Clean images: shorter side to this, then centre crop `inputSize`. */
  readonly resizeTo: number;
  /** Filter of that resize: always set (a card without one means bilinear). */
  readonly interpolation: Interpolation;
}

export type PreprocessingFields = Pick<ModelCard, 'mean' | 'std' | 'inputSize' | 'resizeTo' | 'interpolation'>;

/**
 * The preprocessing a card (or any object with its preprocessing fields) prescribes, as a plain object that can
 * be posted to a worker (a card may carry fields a structured clone refuses). A missing filter is bilinear.
 */
export function preprocessingOf(card: PreprocessingFields): CardPreprocessing {
  return {
    mean: [card.mean[0], card.mean[1], card.mean[2]],
    std: [card.std[0], card.std[1], card.std[2]],
    inputSize: card.inputSize,
    resizeTo: card.resizeTo,
    interpolation: card.interpolation === 'bicubic' ? 'bicubic' : 'bilinear',
  };
}
