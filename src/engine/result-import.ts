import type { ImportedResultFile } from '../core/result-import';
import { inWorker } from './analysis-client';

/**
 * Imported result files read, JSON-parsed and validated in a fresh analysis worker (see importResultFile): one
 * result per file, in order. Rejects only when the worker fails or `signal` aborts (the worker is terminated then).
 */
export function importResultsInWorker(files: File[], signal?: AbortSignal): Promise<ImportedResultFile[]> {
  return inWorker(signal, (api) => api.importResultFiles(files));
}
