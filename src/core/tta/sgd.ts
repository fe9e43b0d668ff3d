/**
 * Stochastic gradient descent with momentum on Float32Arrays, with PyTorch's torch.optim.SGD semantics (1.x):
 *
 *   g ← grad + weight_decay · p
 *   b ← g (first step), else momentum · b + (1 − dampening) · g
 *   d ← g + momentum · b (nesterov), else b
 *   p ← p − lr · d
 *
 * Self-learning defaults for ImageNet (TENT, Wang et al. 2021; Rusak, Schneider et al. 2022): lr 0.00025 at
 * batch size 64 scaled linearly with the batch size, momentum 0.9, no dampening, no weight decay. (tent's
 * conf.py turns Nesterov on for SGD; the papers say "SGD with momentum": off by default here, an option.)
 */

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** The reference learning rate and the batch size it belongs to. */
export const TTA_LR_AT_64 = 0.00025;
export const TTA_LR_REFERENCE_BATCH = 64;
export const TTA_MOMENTUM = 0.9;

/** The learning rate for batch size `batch`: lrAt64 · batch / 64 (linear scaling). */
export function scaledLearningRate(batch: number, lrAt64 = TTA_LR_AT_64): number {
  if (!(batch >= 1)) throw new RangeError(`batch size must be ≥ 1, got ${batch}`);
  return (lrAt64 * batch) / TTA_LR_REFERENCE_BATCH;
}

/** SGD with momentum over a fixed list of parameter arrays, updated in place. */
export class Sgd {
  readonly options: Required<SgdOptions>;
  private buffers: (Float32Array | null)[];

  constructor(
    readonly params: Float32Array[],
    options: SgdOptions,
  ) {
    this.options = { momentum: TTA_MOMENTUM, dampening: 0, weightDecay: 0, nesterov: false, ...options };
    const { lr, momentum, dampening, nesterov } = this.options;
    if (!(lr >= 0)) throw new RangeError(`learning rate must be ≥ 0, got ${lr}`);
    if (!(momentum >= 0)) throw new RangeError(`momentum must be ≥ 0, got ${momentum}`);
    if (nesterov && (momentum <= 0 || dampening !== 0)) throw new RangeError('Nesterov momentum requires a momentum and zero dampening');
    this.buffers = params.map(() => null);
  }

  /** One update with the gradients of the loss w.r.t. each parameter (same order and sizes). */
  step(grads: readonly Float32Array[]): void {
    const { lr, momentum, dampening, weightDecay, nesterov } = this.options;
    if (grads.length !== this.params.length) throw new RangeError(`${grads.length} gradients for ${this.params.length} parameters`);
    const d = new Float32Array(1);
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k];
      const g = grads[k];
      if (g.length !== p.length) throw new RangeError(`gradient ${k} has ${g.length} values for a parameter of ${p.length}`);
      let buf = this.buffers[k];
      const first = buf === null;
      if (momentum !== 0 && buf === null) buf = this.buffers[k] = new Float32Array(p.length);
      for (let i = 0; i < p.length; i++) {
        // Every intermediate rounded to float32, as PyTorch's in-place float32 ops do.
        d[0] = weightDecay !== 0 ? g[i] + weightDecay * p[i] : g[i];
        if (buf) {
          buf[i] = first ? d[0] : Math.fround(momentum * buf[i]) + Math.fround((1 - dampening) * d[0]);
          d[0] = nesterov ? d[0] + Math.fround(momentum * buf[i]) : buf[i];
        }
        p[i] = p[i] - Math.fround(lr * d[0]);
      }
    }
  }

  /** Forgets the momentum (a new target domain starts). The parameters are the caller's to restore. */
  resetMomentum(): void {
    this.buffers = this.params.map(() => null);
  }
}
