/**
 * The run settings' test-time adaptation choices (step 3), as view state: the method, N, B (remembered per kind of
 * method), the learning rate (scaled with B unless typed in), "compare with adaptation" and the seeded order. The
 * view binds to it and renders; `adaptation` is what the session gets.
 */
import {
  DEFAULT_BN_BATCH,
  DEFAULT_PRIOR,
  MAX_SELF_LEARNING_BATCH_WASM,
  SOURCE,
  adaptationLabel,
  isSelfLearning,
  type Adaptation,
  type AdaptationMethod,
} from '../core/tta/adaptation';
import { TTA_LR_AT_64, TTA_MOMENTUM, scaledLearningRate } from '../core/tta/sgd';

export class AdaptationSettings {
  method = $state<AdaptationMethod>('none');
  prior = $state(DEFAULT_PRIOR);
  /** B for BN adaptation (and for the BN side of "compare"). */
  bnBatch = $state(DEFAULT_BN_BATCH);
  /** B for entropy minimisation / pseudo-labelling (WASM memory bounds it: see MAX_SELF_LEARNING_BATCH_WASM). */
  selfBatch = $state(MAX_SELF_LEARNING_BATCH_WASM);
  /** A learning rate typed in; null: 0.00025 · B / 64. */
  lrOverride = $state<number | null>(null);
  momentum = $state(TTA_MOMENTUM);
  compare = $state(false);
  shuffle = $state(false);
  shuffleSeed = $state(0);

  get selfLearning(): boolean {
    return this.method === 'entropy' || this.method === 'pseudo-label';
  }

  /** Whether N and B of BN adaptation are in play (BN chosen, or "compare" with no method chosen). */
  get bnInPlay(): boolean {
    return this.method === 'bn' || (this.method === 'none' && this.compare);
  }

  get batch(): number {
    return this.selfLearning ? this.selfBatch : this.bnBatch;
  }

  set batch(b: number) {
    if (this.selfLearning) this.selfBatch = b;
    else this.bnBatch = b;
  }

  get scaledLr(): number {
    return scaledLearningRate(Math.max(1, this.selfBatch || 1));
  }

  get lr(): number {
    return this.lrOverride ?? this.scaledLr;
  }

  /** What the run evaluates with (checked by the session: a bad number ends in a clear error, not a throw here). */
  get adaptation(): Adaptation {
    const order = this.shuffle ? { shuffleSeed: this.shuffleSeed } : {};
    switch (this.method) {
      case 'none':
        return SOURCE;
      case 'bn':
        return { method: 'bn', prior: this.prior, batch: this.bnBatch, ...order };
      default:
        return { method: this.method, batch: this.selfBatch, lr: this.lr, momentum: this.momentum, ...order };
    }
  }

  get compareBn(): { prior: number; batch: number } {
    return { prior: this.prior, batch: this.bnBatch };
  }

  /** The labels of what the run shows side by side (or alone). */
  get summary(): string {
    if (this.compare) return `source vs ${adaptationLabel(this.method === 'none' ? { method: 'bn', ...this.compareBn } : this.adaptation)}`;
    return adaptationLabel(this.adaptation);
  }

  /** Why B has the default and the bound it has. */
  get batchNote(): string {
    if (this.selfLearning) {
      return `B ≤ ${MAX_SELF_LEARNING_BATCH_WASM} on WASM: the backward pass keeps every BN input and ReLU mask per image (≈ 83 MiB per image for a ResNet-50; B = 32 takes 2.9 of WebAssembly's 4 GiB, B = 48 fails). Smaller models allow more.`;
    }
    return `B defaults to ${DEFAULT_BN_BATCH} (Schneider et al.); each batch is normalised with its own statistics mixed with the source's (weight N / (N + n)), so predictions depend on B and are cached per B.`;
  }

  /** The learning rate explained: the reference value and its linear scaling with B. */
  get lrNote(): string {
    const scaled = `${TTA_LR_AT_64} · B/64 = ${+this.scaledLr.toPrecision(6)} at B = ${this.selfBatch}`;
    return this.lrOverride === null ? `scaled with B: ${scaled}` : `typed in (scaled default: ${scaled})`;
  }

  /** Back to the settings a saved run was made with (Resume). */
  restore(a: Adaptation | undefined, compare: boolean | undefined): void {
    this.compare = !!compare;
    if (!a || a.method === 'none') {
      this.method = 'none';
      return;
    }
    this.method = a.method;
    this.shuffle = a.shuffleSeed !== undefined;
    if (a.shuffleSeed !== undefined) this.shuffleSeed = a.shuffleSeed;
    if (a.method === 'bn') {
      this.prior = a.prior;
      this.bnBatch = a.batch;
    } else if (isSelfLearning(a)) {
      this.selfBatch = a.batch;
      this.momentum = a.momentum;
      this.lrOverride = Math.abs(a.lr - scaledLearningRate(a.batch)) < 1e-12 ? null : a.lr;
    }
  }
}
