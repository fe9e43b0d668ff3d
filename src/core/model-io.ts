import type { ModelCard } from './model-card';

export type Dim = number | string | null;

export interface TensorInfo {
  readonly name: string;
  readonly type: string;
  /** Symbolic dims are strings (e.g. "batch"); unknown ones null. */
  readonly shape: readonly Dim[];
}

export interface ModelIO {
  readonly inputName: string;
  readonly logitsOutput: string;
  readonly numClasses: number;
  readonly inputSize: number;
  /** The batch size the model fixes, or null when the batch dimension is dynamic. */
  readonly fixedBatch: number | null;
  readonly featureOutput?: string;
}

export class ModelShapeError extends Error {}

const fixed = (d: Dim): d is number => typeof d === 'number' && d > 0;

/** Checks that the model is an NCHW RGB classifier that fits the card, and says which tensors to use. */
export function resolveModelIO(inputs: readonly TensorInfo[], outputs: readonly TensorInfo[], card: ModelCard): ModelIO {
  const describe = (t: TensorInfo) => `${t.name} ${t.type}[${t.shape.map((d) => d ?? '?').join(', ')}]`;
  if (inputs.length === 0) throw new ModelShapeError('the model has no inputs');
  const input = card.inputName ? inputs.find((i) => i.name === card.inputName) : inputs.length === 1 ? inputs[0] : undefined;
  if (!input) {
    throw new ModelShapeError(
      card.inputName
        ? `the model card names input "${card.inputName}", but the model's inputs are ${inputs.map(describe).join('; ')}`
        : `the model has ${inputs.length} inputs (${inputs.map(describe).join('; ')}); name the image input in the model card ("inputName")`,
    );
  }
  if (input.type !== 'float32') throw new ModelShapeError(`input ${describe(input)} must be float32`);
  const [n, c, h, w] = input.shape;
  if (input.shape.length !== 4 || (fixed(c) && c !== 3)) {
    throw new ModelShapeError(`input ${describe(input)} is not an image batch [N, 3, H, W] (NCHW RGB)`);
  }
  for (const [dim, label] of [[h, 'height'], [w, 'width']] as const) {
    if (fixed(dim) && dim !== card.inputSize) {
      throw new ModelShapeError(
        `input ${describe(input)} expects ${label} ${dim}, but images are ${card.inputSize}×${card.inputSize} (set "inputSize" in the model card if the model really takes ${dim})`,
      );
    }
  }
  const isLogits = (o: TensorInfo) =>
    o.type === 'float32' && o.shape.length === 2 && (!fixed(o.shape[1]) || o.shape[1] > 1);
  let logits: TensorInfo | undefined;
  if (card.logitsOutput) {
    logits = outputs.find((o) => o.name === card.logitsOutput);
    if (!logits) throw new ModelShapeError(`the model card names output "${card.logitsOutput}", but the model's outputs are ${outputs.map(describe).join('; ')}`);
    if (!isLogits(logits)) throw new ModelShapeError(`output ${describe(logits)} is not [N, classes] float32 logits`);
  } else {
    const candidates = outputs.filter(isLogits);
    if (candidates.length === 0) {
      throw new ModelShapeError(`no output has the shape [N, classes]: ${outputs.map(describe).join('; ')}`);
    }
    logits = candidates.find((o) => /logit|output|prob|fc|classifier/i.test(o.name)) ?? candidates[0];
  }
  const numClasses = fixed(logits.shape[1]) ? logits.shape[1] : (card.labels?.length ?? 1000);
  return {
    inputName: input.name,
    logitsOutput: logits.name,
    numClasses,
    inputSize: card.inputSize,
    fixedBatch: fixed(n) ? n : null,
    featureOutput: card.featureOutput ?? outputs.find((o) => o.shape.length === 4 && /feature/i.test(o.name))?.name,
  };
}
