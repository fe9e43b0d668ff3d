import * as Comlink from 'comlink';
import type { CompletedRun } from './evaluation-session';
import type { ExportWorkerApi } from '../../workers/protocol/export';
import { spawnWorker } from './worker-supervisor';

/**
 * The per-image export of a finished run, written in a worker of its own (workers/export.worker.ts): at 4.75 M
 * images the export's garbage collections took 0.7–1 s each on the page. The run's index goes over by structured
 * clone (its typed arrays and names: tens of MB at full size); the worker reads the cache and writes the OPFS file
 * itself. Where the worker cannot do it (it fails to start, dies, or this browser gives workers no IndexedDB), the
 * page writes the export as before.
 */
export async function predictionsJsonlOffPage(done: CompletedRun, onProgress?: (done: number, total: number) => void): Promise<Blob> {
  const worker = spawnWorker<ExportWorkerApi>(() => new Worker(new URL('../../workers/export.worker.ts', import.meta.url), { type: 'module', name: 'export' }));
  try {
    return await worker.call(worker.api.predictionsJsonl(done.exportSnapshot(), onProgress ? Comlink.proxy(onProgress) : undefined));
  } catch (e) {
    console.warn(`the export worker failed (${(e as Error).message}); writing the export on the page`);
    return done.predictionsJsonl(onProgress);
  } finally {
    worker.terminate();
  }
}
