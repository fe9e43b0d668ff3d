import type { ModelCard } from '../core/model-card';
import type { BackendChoice, LoadedModel } from '../../workers/protocol/inference';
import { InferenceEngine } from './inference-engine';

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
  return Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency || 1));
}

// v2: choices remembered before the warm-up let a fresh engine settle (InferenceEngine.settle) favoured one thread
// wrongly on 2 cores; they are not reused.
/** Where the choice for a model (by SHA-256), backend and core count is remembered (localStorage). */
export const tuningMemoKey = (sha: string, backend: BackendChoice, cores = globalThis.navigator?.hardwareConcurrency) => `shiftlens:tuning:v2:${sha}:${backend}:${cores}`;
const memoKey = (sha: string, backend: BackendChoice) => tuningMemoKey(sha, backend);

/** What startTuned needs of an engine (InferenceEngine; tests give fakes). */
export interface TunableEngine {
  readonly loaded: LoadedModel;
  readonly notes: string[];
  tuneBatch(): Promise<{ batch: number; msPerImage: Record<number, number> }>;
  dispose(): void;
}

/** Where startTuned starts engines and keeps its memo; the defaults are InferenceEngine.start and localStorage. */
export interface TuneDeps<E extends TunableEngine> {
  readonly start?: (model: Blob, card: ModelCard, backend: BackendChoice, threads: number) => Promise<E>;
  /** null: remember nothing. */
  readonly storage?: Pick<Storage, 'getItem' | 'setItem'> | null;
  readonly maxThreads?: number;
}

/** localStorage where there is one and it can be used (not in Node, not when the browser blocks it). */
function defaultStorage(): Pick<Storage, 'getItem' | 'setItem'> | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function readMemo(storage: Pick<Storage, 'getItem'> | null, key: string): Tuning | null {
  try {
    const memo = storage?.getItem(key);
    return memo ? (JSON.parse(memo) as Tuning) : null;
  } catch {
    return null; // unreadable storage or a corrupt memo: warm up again
  }
}

/**
 * Whether warm-up `a` should be kept over `b`. An inference thread is a core the decoders do not get, and the
 * warm-up times inference alone: the setting with more threads must be at least 25 % faster to be kept. Why: the
 * tiny decode-bound model of `npm run bench:scale` warmed up a few per cent faster on two threads than on one, and
 * its 250 k-image run then went at 112 images/s instead of 155 on one (MobileNetV2-int8: 2.2× faster on two, kept).
 */
export function better(a: Pick<Tuning, 'threads' | 'imagesPerSec'>, b: Pick<Tuning, 'threads' | 'imagesPerSec'>): boolean {
  if (a.threads > b.threads) return a.imagesPerSec >= b.imagesPerSec * EXTRA_THREADS_GAIN;
  if (a.threads < b.threads) return a.imagesPerSec * EXTRA_THREADS_GAIN > b.imagesPerSec;
  return a.imagesPerSec > b.imagesPerSec * 1.03;
}
const EXTRA_THREADS_GAIN = 1.25;

/**
 * Starts the inference engine with the thread count and batch size that a short warm-up finds fastest. Fewer
 * threads than cores can win on small machines: the decode workers need a core too. The choice is remembered
 * per model and machine, so the warm-up runs once. If the first engine cannot start or warm up at all, every
 * engine started here is disposed before the error is rethrown; an alternative thread count that fails is
 * dropped (and noted) and the first engine kept.
 */
export async function startTuned<E extends TunableEngine = InferenceEngine>(
  model: Blob,
  sha256: string,
  card: ModelCard,
  backend: BackendChoice,
  fixed: { threads?: number; batch?: number },
  onStatus?: (s: string) => void,
  deps: TuneDeps<E> = {},
): Promise<{ engine: E; tuning: Tuning }> {
  const start = deps.start ?? (InferenceEngine.start as unknown as NonNullable<TuneDeps<E>['start']>);
  const storage = deps.storage === undefined ? defaultStorage() : deps.storage;
  const top = deps.maxThreads ?? maxThreads();
  const key = memoKey(sha256, backend);
  const remembered = readMemo(storage, key);
  const tried: Record<string, number> = {};
  const live = new Set<E>();
  const startEngine = async (threads: number): Promise<E> => {
    const engine = await start(model, card, backend, threads);
    live.add(engine);
    return engine;
  };
  const dispose = (engine: E) => {
    live.delete(engine);
    engine.dispose();
  };
  const measure = async (engine: E): Promise<Tuning> => {
    const threads = engine.loaded.threads;
    if (fixed.batch) return { threads, batch: fixed.batch, imagesPerSec: 0, tried };
    onStatus?.(`warming up (${engine.loaded.backend}${engine.loaded.backend === 'wasm' ? `, ${threads} thread(s)` : ''})…`);
    const t = await engine.tuneBatch();
    for (const [b, ms] of Object.entries(t.msPerImage)) tried[`${threads}×${b}`] = 1000 / ms;
    return { threads, batch: t.batch, imagesPerSec: 1000 / t.msPerImage[t.batch], tried };
  };
  try {
    const firstThreads = fixed.threads ?? remembered?.threads ?? top;
    const first = await startEngine(firstThreads);
    if (remembered && !fixed.threads && !fixed.batch) return { engine: first, tuning: remembered };
    let best: { engine: E; tuning: Tuning } = { engine: first, tuning: await measure(first) };
    // Threads only matter to WASM, and only when neither the user nor the batch size is fixed.
    const others = first.loaded.backend === 'wasm' && !fixed.threads && !fixed.batch ? [Math.max(1, top - 1)].filter((t) => t !== firstThreads) : [];
    for (const threads of others) {
      let engine: E | undefined;
      let tuning: Tuning;
      try {
        engine = await startEngine(threads);
        tuning = await measure(engine);
      } catch (e) {
        if (engine) dispose(engine);
        best.engine.notes.push(`warm-up with ${threads} thread(s) failed (${e instanceof Error ? e.message : String(e)}); kept ${best.tuning.threads}`);
        continue;
      }
      if (better(tuning, best.tuning)) {
        dispose(best.engine);
        best = { engine, tuning };
      } else dispose(engine);
    }
    if (!fixed.threads && !fixed.batch) {
      try {
        storage?.setItem(key, JSON.stringify(best.tuning));
      } catch {
        // storage full or blocked: the warm-up simply runs again next time
      }
    }
    return best;
  } catch (e) {
    // Whatever failed, no worker (and the model it holds) outlives this call.
    for (const engine of [...live]) {
      try {
        dispose(engine);
      } catch {
        // disposing the others matters more
      }
    }
    throw e;
  }
}
