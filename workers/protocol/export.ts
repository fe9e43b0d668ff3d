import type { ExportSnapshot } from '../../src/engine/predictions-export';

/** The export worker (workers/export.worker.ts): the per-image JSON lines of a finished run, written off the page. */
export interface ExportWorkerApi {
  /**
   * Writes the run's JSON lines (its cached records read from IndexedDB here) to the OPFS export file, or to Blob parts
   * where that cannot be written, and returns the Blob. `onProgress`: cells done of cells (a comlink proxy).
   */
  predictionsJsonl(snapshot: ExportSnapshot, onProgress?: (done: number, total: number) => void): Promise<Blob>;
}
