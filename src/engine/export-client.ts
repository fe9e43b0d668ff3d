import * as Comlink from 'comlink';
import type { CompletedRun } from './evaluation-session';
import type { ExportWorkerApi } from '../../workers/protocol/export';
import { spawnWorker } from './worker-supervisor';

/**
 * The per-image export of a finished run, written in a worker of its own (workers/export.worker.ts): at 4.75 M
 * images the export's garbage collections took 0.7–1 s each on the page. The run's index goes over with its
 * per-image arrays transferred (copies cut to length; its names and Maps cloned); the worker reads the cache and
 * writes the OPFS file itself. Where the worker cannot do it (it fails to start, dies, or this browser gives workers no IndexedDB), the
 * page writes the export as before.
 */
export async function predictionsJsonlOffPage(done: CompletedRun, onProgress?: (done: number, total: number) => void): Promise<Blob> {
  const worker = spawnWorker<ExportWorkerApi>(() => new Worker(new URL('../../workers/export.worker.ts', import.meta.url), { type: 'module', name: 'export' }));
  try {
    const snapshot = done.exportSnapshot();
    // The per-image arrays are transferred, not cloned on the page (ImageIndex.forTransfer).
    const { index, buffers } = snapshot.index.forTransfer();
    return await worker.call(worker.api.predictionsJsonl(Comlink.transfer({ ...snapshot, index }, buffers), onProgress ? Comlink.proxy(onProgress) : undefined));
  } catch (e) {
    console.warn(`the export worker failed (${(e as Error).message}); writing the export on the page`);
    return done.predictionsJsonl(onProgress);
  } finally {
    worker.terminate();
  }
}
