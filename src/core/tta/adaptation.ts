/**
 * The test-time adaptation setting of a run (issue 15), its label, its canonical string (cache keys, merge checks)
 * and the batch protocol the engine follows:
 *
 *  - each (corruption, severity) cell, the clean folder and each shift dataset is its own target domain: the
 *    adaptation state is reset at its start (BN adaptation has none);
 *  - within a cell, images in path order (or, with `shuffleSeed`, ordered by a seeded hash of `<class>/<file>`),
 *    consecutive batches of B, the last one smaller; a batch never straddles two cells.
 *
 * Adapted predictions depend on which images share a batch, so the canonical string names the method, every
 * parameter and B: two settings share cached predictions only when they would compute the same numbers.
 */
import { seededHash32 } from '../hash';
import { GCE_Q } from './autodiff';
import { TTA_MOMENTUM, scaledLearningRate } from './sgd';

export type AdaptationMethod = 'none' | 'bn' | 'entropy' | 'pseudo-label';
export const ADAPTATION_METHODS: readonly AdaptationMethod[] = ['none', 'bn', 'entropy', 'pseudo-label'];

/** Optional seeded order of the images within each cell (absent: path order). */
interface Ordered {
  readonly shuffleSeed?: number;
}

export type Adaptation =
  | { readonly method: 'none' }
  /** robusta's BayesianBatchNorm with prior strength N (pseudo-samples) on batches of B. */
  | ({ readonly method: 'bn'; readonly prior: number; readonly batch: number } & Ordered)
  /** TENT (entropy) or robust pseudo-labelling (GCE, q): one SGD step on BN scale/shift per batch of B. */
  | ({
      readonly method: 'entropy' | 'pseudo-label';
      readonly batch: number;
      readonly lr: number;
      readonly momentum: number;
      readonly nesterov?: boolean;
      /** GCE's q (pseudo-label only; default 0.8). */
      readonly q?: number;
    } & Ordered);

export type SelfLearningAdaptation = Extract<Adaptation, { method: 'entropy' | 'pseudo-label' }>;

export const SOURCE: Adaptation = { method: 'none' };
export const DEFAULT_PRIOR = 16;
export const DEFAULT_BN_BATCH = 64;
/**
 * The largest self-learning batch offered on WASM: the training graph keeps every BN input and ReLU mask per image
 * for the backward pass (≈ 83 MiB per image for a ResNet-50, src/core/tta/README.md), so B = 32 takes 2.9 GiB of
 * WebAssembly's 4 GiB and B = 48 fails.
 */
export const MAX_SELF_LEARNING_BATCH_WASM = 32;

export const isAdapted = (a: Adaptation | undefined): a is Exclude<Adaptation, { method: 'none' }> => !!a && a.method !== 'none';
export const isSelfLearning = (a: Adaptation | undefined): a is SelfLearningAdaptation => a?.method === 'entropy' || a?.method === 'pseudo-label';

/** The defaults of a method: N = 16, B = 64 for BN; B = 32, lr = 0.00025·B/64, momentum 0.9 for self-learning. */
export function defaultAdaptation(method: AdaptationMethod, batch?: number): Adaptation {
  switch (method) {
    case 'none':
      return SOURCE;
    case 'bn':
      return { method, prior: DEFAULT_PRIOR, batch: batch ?? DEFAULT_BN_BATCH };
    default: {
      const b = batch ?? MAX_SELF_LEARNING_BATCH_WASM;
      return { method, batch: b, lr: scaledLearningRate(b), momentum: TTA_MOMENTUM, ...(method === 'pseudo-label' ? { q: GCE_Q } : {}) };
    }
  }
}

/** Numbers in labels and keys: up to 6 significant digits, no float noise (0.000125, 1e-7). */
const num = (x: number): string => String(+x.toPrecision(6));

/** What a result, a table column or a chart series calls the setting: "source", "BN-adapted (N=16)", … */
export function adaptationLabel(a: Adaptation | undefined, opts: { batch?: boolean } = {}): string {
  if (!a || a.method === 'none') return 'source';
  const b = opts.batch ? `, B=${a.batch}` : '';
  const shuffled = a.shuffleSeed !== undefined ? `, shuffled (seed ${a.shuffleSeed})` : '';
  if (a.method === 'bn') return `BN-adapted (N=${num(a.prior)}${b}${shuffled})`;
  const opt = `lr ${num(a.lr)}, momentum ${num(a.momentum)}${a.nesterov ? ' Nesterov' : ''}`;
  if (a.method === 'entropy') return `entropy-adapted (TENT, B=${a.batch}, ${opt}${shuffled})`;
  return `pseudo-label-adapted (GCE q=${num(a.q ?? GCE_Q)}, B=${a.batch}, ${opt}${shuffled})`;
}

/**
 * The canonical string of a setting: `none`, `bn;N=16;B=64`, `entropy;B=32;lr=0.000125;m=0.9;nesterov=0`,
 * `pseudo-label;B=32;lr=…;m=0.9;nesterov=0;q=0.8`, plus `;shuffle=<seed>` for a seeded order. Equal strings ⇔
 * equal predictions (cache keys include it; merge compares it).
 */
export function adaptationId(a: Adaptation | undefined): string {
  if (!a || a.method === 'none') return 'none';
  const shuffle = a.shuffleSeed !== undefined ? `;shuffle=${a.shuffleSeed >>> 0}` : '';
  if (a.method === 'bn') return `bn;N=${num(a.prior)};B=${a.batch}${shuffle}`;
  const q = a.method === 'pseudo-label' ? `;q=${num(a.q ?? GCE_Q)}` : '';
  return `${a.method};B=${a.batch};lr=${num(a.lr)};m=${num(a.momentum)};nesterov=${a.nesterov ? 1 : 0}${q}${shuffle}`;
}

export class AdaptationError extends Error {}

/** Throws AdaptationError naming what is out of range; returns the setting with its defaults filled in. */
export function checkAdaptation(a: Adaptation): Adaptation {
  if (a.method === 'none') return SOURCE;
  if (!Number.isInteger(a.batch) || a.batch < 1 || a.batch > 1024) throw new AdaptationError(`adaptation batch size B must be a whole number from 1 to 1024, got ${a.batch}`);
  if (a.shuffleSeed !== undefined && !(Number.isInteger(a.shuffleSeed) && a.shuffleSeed >= 0 && a.shuffleSeed <= 0xffffffff)) {
    throw new AdaptationError(`shuffle seed must be a whole number from 0 to 2³²−1, got ${a.shuffleSeed}`);
  }
  const order = a.shuffleSeed !== undefined ? { shuffleSeed: a.shuffleSeed } : {};
  if (a.method === 'bn') {
    if (!(a.prior >= 0) || !Number.isFinite(a.prior)) throw new AdaptationError(`BN adaptation prior N must be a number ≥ 0, got ${a.prior}`);
    return { method: 'bn', prior: a.prior, batch: a.batch, ...order };
  }
  if (a.method !== 'entropy' && a.method !== 'pseudo-label') throw new AdaptationError(`unknown adaptation method ${JSON.stringify((a as { method: unknown }).method)}`);
  if (!(a.lr >= 0) || !Number.isFinite(a.lr)) throw new AdaptationError(`learning rate must be a number ≥ 0, got ${a.lr}`);
  if (!(a.momentum >= 0 && a.momentum < 1)) throw new AdaptationError(`momentum must be in [0, 1), got ${a.momentum}`);
  if (a.nesterov && a.momentum <= 0) throw new AdaptationError('Nesterov momentum needs a momentum > 0');
  const q = a.method === 'pseudo-label' ? (a.q ?? GCE_Q) : undefined;
  if (q !== undefined && !(q > 0 && q <= 1)) throw new AdaptationError(`GCE q must be in (0, 1], got ${q}`);
  return { method: a.method, batch: a.batch, lr: a.lr, momentum: a.momentum, ...(a.nesterov ? { nesterov: true } : {}), ...(q !== undefined ? { q } : {}), ...order };
}

/** An adaptation read from an untrusted result file: the setting, or null (with a problem pushed) when malformed. */
export function parseAdaptation(raw: unknown, problems: string[]): Adaptation | null {
  if (raw === undefined || raw === null) return SOURCE;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push('"adaptation": expected {"method", …}');
    return null;
  }
  const r = raw as Record<string, unknown>;
  const n = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : NaN);
  const seed = r.shuffleSeed === undefined ? {} : { shuffleSeed: n('shuffleSeed') };
  try {
    switch (r.method) {
      case 'none':
        return SOURCE;
      case 'bn':
        return checkAdaptation({ method: 'bn', prior: n('prior'), batch: n('batch'), ...seed });
      case 'entropy':
      case 'pseudo-label':
        return checkAdaptation({
          method: r.method,
          batch: n('batch'),
          lr: n('lr'),
          momentum: n('momentum'),
          nesterov: r.nesterov === true,
          ...(r.method === 'pseudo-label' && r.q !== undefined ? { q: n('q') } : {}),
          ...seed,
        });
      default:
        problems.push(`adaptation.method: expected one of ${ADAPTATION_METHODS.join(', ')}, got ${JSON.stringify(r.method)?.slice(0, 40)}`);
        return null;
    }
  } catch (e) {
    problems.push(`adaptation: ${(e as Error).message}`);
    return null;
  }
}

/**
 * The order in which a cell's images are adapted on, as indices into `paths` (relative `<class>/<file>`, in the
 * order the folder listed them): path order (UTF-16 code units, as Python's sorted() on ASCII names) without a
 * seed, else sorted by seededHash32(path, seed) (ties by path). The same image keeps its rank relation to every
 * other in every cell, so a corruption's severities see the same order.
 */
export function cellOrder(paths: readonly string[], shuffleSeed: number | undefined): number[] {
  const byPath = (a: number, b: number) => (paths[a] < paths[b] ? -1 : paths[a] > paths[b] ? 1 : a - b);
  const order = paths.map((_, i) => i);
  if (shuffleSeed === undefined) return order.sort(byPath);
  const keys = paths.map((p) => seededHash32(p, shuffleSeed));
  return order.sort((a, b) => keys[a] - keys[b] || byPath(a, b));
}

/** Consecutive batches of `batch` over one cell's images (the last one smaller). */
export function cellBatches<T>(images: readonly T[], batch: number): T[][] {
  if (!(batch >= 1)) throw new RangeError(`batch size must be ≥ 1, got ${batch}`);
  const out: T[][] = [];
  for (let j = 0; j < images.length; j += batch) out.push(images.slice(j, j + batch));
  return out;
}

/**
 * The settings evaluated by one run: the chosen one alone, or with "compare with adaptation" the source model and the
 * adapted one side by side (BN adaptation with `prior`, `batch` when the choice is "none").
 */
export function runVariants(chosen: Adaptation, compare: boolean, fallbackBn: { prior: number; batch: number } = { prior: DEFAULT_PRIOR, batch: DEFAULT_BN_BATCH }): Adaptation[] {
  if (!compare) return [chosen];
  return [SOURCE, isAdapted(chosen) ? chosen : { method: 'bn', ...fallbackBn }];
}
