/**
 * A model prepared for one adaptation setting, and the per-batch loop that runs it, independent of the runtime:
 * the inference worker gives it onnxruntime-web's session as a `RunFn`, Node tests give onnxruntime-node or a fake.
 *
 *  - none: the source model as it is;
 *  - bn: the graph rewritten by `adaptBatchNorm` (no state: each batch is normalised with its own statistics);
 *  - entropy / pseudo-label: the training graph of `buildTrainingGraph` and a `SelfLearningState`; per batch, as
 *    TENT's forward_and_adapt, the logits are taken before the SGD step, then the step is applied. `reset()` at the
 *    start of every cell restores the source parameters and forgets the momentum.
 */
import { readOnnx } from '../onnx/onnx-model';
import { AdaptationError, isSelfLearning, type Adaptation } from './adaptation';
import { buildTrainingGraph, type TrainingGraph } from './autodiff';
import { BN_FOLDED_MESSAGE, adaptBatchNorm, countBatchNorms } from './bn-adapt';
import { SelfLearningState } from './self-learning';

export interface RunTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}
/** Runs the loaded graph: float32 feeds by name → the requested outputs' float32 data. */
export type RunFn = (feeds: Record<string, RunTensor>, outputs: readonly string[]) => Promise<Record<string, Float32Array>>;

export interface PreparedModel {
  readonly adaptation: Adaptation;
  /** What to load into the runtime. */
  readonly bytes: Uint8Array;
  /** Graph inputs and outputs that belong to the adaptation (BN parameters, gradients, loss), not to the model. */
  readonly internalInputs: ReadonlySet<string>;
  readonly internalOutputs: ReadonlySet<string>;
  readonly training: TrainingGraph | null;
  /** BatchNormalization nodes of the source model (null when not counted: no adaptation). */
  readonly batchNorms: number | null;
}

/**
 * The model bytes for a setting. A model without BatchNormalization nodes (folded at export) cannot be adapted:
 * AdaptationError with BN_FOLDED_MESSAGE. `logits`: the output the loss is taken of (self-learning).
 */
export function prepareModel(bytes: Uint8Array, adaptation: Adaptation, logits?: string): PreparedModel {
  if (adaptation.method === 'none') return { adaptation, bytes, internalInputs: new Set(), internalOutputs: new Set(), training: null, batchNorms: null };
  const batchNorms = countBatchNorms(readOnnx(bytes));
  if (batchNorms === 0) throw new AdaptationError(BN_FOLDED_MESSAGE);
  if (adaptation.method === 'bn') {
    return { adaptation, bytes: adaptBatchNorm(bytes, { prior: adaptation.prior }), internalInputs: new Set(), internalOutputs: new Set(), training: null, batchNorms };
  }
  let training: TrainingGraph;
  try {
    training = buildTrainingGraph(bytes, { loss: adaptation.method === 'entropy' ? { kind: 'entropy' } : { kind: 'gce', q: adaptation.q }, logits });
  } catch (e) {
    throw new AdaptationError(`${adaptation.method === 'entropy' ? 'entropy minimisation' : 'pseudo-labelling'} cannot run on this model: ${(e as Error).message}`);
  }
  return {
    adaptation,
    bytes: training.bytes,
    internalInputs: new Set(training.params.map((p) => p.input)),
    internalOutputs: new Set([training.loss, ...training.params.map((p) => p.grad)]),
    training,
    batchNorms,
  };
}

/** One loaded setting: logits per batch, with self-learning's state carried from batch to batch within a cell. */
export class AdaptedPredictor {
  readonly state: SelfLearningState | null;
  /** Batches run since the last reset (the self-learning steps taken in this cell). */
  steps = 0;

  constructor(
    readonly prepared: PreparedModel,
    private readonly run: RunFn,
    private readonly io: { inputName: string; logitsOutput: string },
  ) {
    const a = prepared.adaptation;
    if (isSelfLearning(a)) {
      if (!prepared.training) throw new AdaptationError('self-learning needs the training graph');
      if (prepared.training.logits !== io.logitsOutput) {
        throw new AdaptationError(`the training graph takes its loss of "${prepared.training.logits}" but the run reads logits from "${io.logitsOutput}"`);
      }
      this.state = new SelfLearningState(prepared.training, { batch: a.batch, lr: a.lr, momentum: a.momentum, nesterov: a.nesterov ?? false });
    } else this.state = null;
  }

  /** A new target domain (a cell) begins. */
  reset(): void {
    this.state?.reset();
    this.steps = 0;
  }

  /** The logits of one batch (batch-major); self-learning then takes its step. */
  async logits(tensor: Float32Array, dims: readonly number[]): Promise<Float32Array> {
    const feeds: Record<string, RunTensor> = { [this.io.inputName]: { data: tensor, dims } };
    if (!this.state) return (await this.run(feeds, [this.io.logitsOutput]))[this.io.logitsOutput];
    for (const f of this.state.feeds()) feeds[f.name] = { data: f.data, dims: f.dims };
    const out = await this.run(feeds, [this.io.logitsOutput, ...this.state.params.map((p) => p.grad)]);
    // The predictions are the logits before the update (TENT's forward_and_adapt); copied, as the step reuses nothing.
    const logits = Float32Array.from(out[this.io.logitsOutput]);
    this.state.step(Object.fromEntries(this.state.params.map((p) => [p.grad, { data: out[p.grad] }])));
    this.steps++;
    return logits;
  }
}
