import type { ModelCard } from '../core/model-card';
import type { BackendChoice } from '../../workers/inference.worker';
import { InferenceEngine } from './evaluation-run';

export interface Tuning {
  readonly threads: number;
  readonly batch: number;
  readonly imagesPerSec: number;
  /** Every configuration tried: "threads×batch" → images/s. */
  readonly tried: Record<string, number>;
}

/** The most inference threads worth asking for: threaded WASM needs cross-origin isolation. */
export function maxThreads(): number {
  if (!globalThis.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

const memoKey = (sha: string, backend: string) => `shiftlens:tuning:${sha}:${backend}:${navigator.hardwareConcurrency}`;

/**
 * Starts the inference engine with the thread count and batch size that a short warm-up finds fastest. Fewer
 * threads than cores can win on small machines: the decode workers need a core too. The choice is remembered
 * per model and machine, so the warm-up runs once.
 */
export async function startTuned(
  model: Blob,
  sha256: string,
  card: ModelCard,
  backend: BackendChoice,
  fixed: { threads?: number; batch?: number },
  onStatus?: (s: string) => void,
): Promise<{ engine: InferenceEngine; tuning: Tuning }> {
  const top = maxThreads();
  const memo = localStorage.getItem(memoKey(sha256, backend));
  const remembered = memo ? (JSON.parse(memo) as Tuning) : null;
  const tried: Record<string, number> = {};
  const measure = async (engine: InferenceEngine): Promise<Tuning> => {
    const threads = engine.loaded.threads;
    if (fixed.batch) return { threads, batch: fixed.batch, imagesPerSec: 0, tried };
    onStatus?.(`warming up (${engine.loaded.backend}${engine.loaded.backend === 'wasm' ? `, ${threads} thread(s)` : ''})…`);
    const t = await engine.tuneBatch();
    for (const [b, ms] of Object.entries(t.msPerImage)) tried[`${threads}×${b}`] = 1000 / ms;
    return { threads, batch: t.batch, imagesPerSec: 1000 / t.msPerImage[t.batch], tried };
  };
  const firstThreads = fixed.threads ?? remembered?.threads ?? top;
  const first = await InferenceEngine.start(model, card, backend, firstThreads);
  if (remembered && !fixed.threads && !fixed.batch) return { engine: first, tuning: remembered };
  let best: { engine: InferenceEngine; tuning: Tuning } = { engine: first, tuning: await measure(first) };
  // Threads only matter to WASM, and only when neither the user nor the batch size is fixed.
  const others = first.loaded.backend === 'wasm' && !fixed.threads && !fixed.batch ? [Math.max(1, top - 1)].filter((t) => t !== firstThreads) : [];
  for (const threads of others) {
    const engine = await InferenceEngine.start(model, card, backend, threads);
    const tuning = await measure(engine);
    if (tuning.imagesPerSec > best.tuning.imagesPerSec * 1.03) {
      best.engine.dispose();
      best = { engine, tuning };
    } else engine.dispose();
  }
  if (!fixed.threads && !fixed.batch) localStorage.setItem(memoKey(sha256, backend), JSON.stringify(best.tuning));
  return best;
}
