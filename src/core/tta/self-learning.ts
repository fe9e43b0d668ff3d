/**
 * The state of self-learning (entropy minimisation / robust pseudo-labelling) across the batches of one target
 * domain: the current BN scale and shift values fed to the training graph, and the optimiser's momentum.
 *
 * Per batch, as TENT's forward_and_adapt: run the training graph with `feeds()`, take its logits as the
 * predictions of that batch (before the update), then `step(outputs)` with the graph's outputs to apply one SGD
 * update. `reset()` at the start of every (corruption, severity) cell restores the source parameters and
 * forgets the momentum: each cell is its own target domain.
 */
import type { TrainableParam, TrainingGraph } from './autodiff';
import { Sgd, scaledLearningRate, type SgdOptions } from './sgd';

export interface SelfLearningOptions extends Partial<SgdOptions> {
  /** The batch size B; sets the default learning rate (0.00025 · B / 64) when `lr` is not given. */
  batch: number;
}

export class SelfLearningState {
  readonly values: Float32Array[];
  readonly sgd: Sgd;

  constructor(
    readonly graph: Pick<TrainingGraph, 'params'>,
    options: SelfLearningOptions,
  ) {
    this.values = graph.params.map((p) => Float32Array.from(p.initial));
    const { batch, ...sgd } = options;
    this.sgd = new Sgd(this.values, { ...sgd, lr: sgd.lr ?? scaledLearningRate(batch) });
  }

  get params(): readonly TrainableParam[] {
    return this.graph.params;
  }

  /** The parameter inputs of the training graph at their current values (the arrays are live: pass them
   *  to the runtime for one run, and do not keep them across `step`). */
  feeds(): { name: string; data: Float32Array; dims: number[] }[] {
    return this.graph.params.map((p, k) => ({ name: p.input, data: this.values[k], dims: [p.size] }));
  }

  /** One SGD update with the gradients the training graph output (keyed by output name). */
  step(outputs: Readonly<Record<string, { data: unknown }>>): void {
    this.sgd.step(
      this.graph.params.map((p) => {
        const g = outputs[p.grad]?.data;
        if (!(g instanceof Float32Array)) throw new TypeError(`no float32 gradient output "${p.grad}"`);
        return g;
      }),
    );
  }

  /** Back to the source parameters, momentum forgotten (a new target domain). */
  reset(): void {
    this.graph.params.forEach((p, k) => this.values[k].set(p.initial));
    this.sgd.resetMomentum();
  }
}
