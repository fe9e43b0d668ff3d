import * as Comlink from 'comlink';
import type { BootstrapOptions, BootstrapResult, PairedDifference } from '../core/bootstrap';
import type { ResultDocument } from '../core/result-document';
import type { AnalysisWorkerApi } from '../../workers/analysis.worker';
import type { CamPlan } from '../core/cam/cam-model';
import type { ModelCard } from '../core/model-card';

export interface WorkerBootstrapOptions extends BootstrapOptions {
  /** Aborting terminates the worker and rejects with an AbortError. */
  signal?: AbortSignal;
}

/** Runs one call in a fresh analysis worker and terminates it afterwards, whatever happens. */
export async function inWorker<T>(signal: AbortSignal | undefined, call: (api: Comlink.Remote<AnalysisWorkerApi>) => Promise<T>): Promise<T> {
  signal?.throwIfAborted();
  const worker = new Worker(new URL('../../workers/analysis.worker.ts', import.meta.url), { type: 'module', name: 'analysis' });
  let onAbort = () => {};
  // A worker that fails to load or dies never answers the call: its error event rejects instead.
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => reject(new Error(`analysis worker failed: ${e.message || 'could not start'}`)));
    onAbort = () => reject(signal?.reason ?? new DOMException('cancelled', 'AbortError'));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([call(Comlink.wrap<AnalysisWorkerApi>(worker)), failed]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    worker.terminate();
  }
}

const plain = (o: WorkerBootstrapOptions): BootstrapOptions => ({ resamples: o.resamples, seed: o.seed, level: o.level });

/** bootstrapResult in a worker (throws the worker's BootstrapError message, e.g. for a result without outcomes). */
export function bootstrapInWorker(doc: ResultDocument, opts: WorkerBootstrapOptions = {}): Promise<BootstrapResult> {
  return inWorker(opts.signal, (api) => api.bootstrap(doc, plain(opts)));
}

/** pairedMceDifference in a worker: a.mCE − b.mCE on the shared images, or null (see there). */
export function pairedInWorker(a: ResultDocument, b: ResultDocument, opts: WorkerBootstrapOptions = {}): Promise<PairedDifference | null> {
  return inWorker(opts.signal, (api) => api.paired(a, b, plain(opts)));
}

/** planCam on the model file, in a worker (see AnalysisWorkerApi.camPlan). */
export function camPlanInWorker(file: Blob, card: ModelCard, logitsOutput: string): Promise<CamPlan> {
  return inWorker(undefined, (api) => api.camPlan(file, card, logitsOutput));
}
