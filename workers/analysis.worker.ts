import * as Comlink from 'comlink';
import { bootstrapResult, pairedMceDifference, type BootstrapOptions, type BootstrapResult, type PairedDifference } from '../src/core/bootstrap';
import type { ResultDocument } from '../src/core/result-document';
import { importResultFile, type ImportedResultFile } from '../src/core/result-import';

/** The bootstrap takes seconds on a full ImageNet-C run: off the main thread. */
const api = {
  bootstrap(doc: ResultDocument, opts: BootstrapOptions): BootstrapResult {
    return bootstrapResult(doc, opts);
  },
  paired(a: ResultDocument, b: ResultDocument, opts: BootstrapOptions): PairedDifference | null {
    return pairedMceDifference(a, b, opts);
  },
  /** Imported result files read, parsed and validated here, one after another (a hostile 100 MB file must not freeze the tab). */
  async importResultFiles(files: File[]): Promise<ImportedResultFile[]> {
    const out: ImportedResultFile[] = [];
    for (const file of files) out.push(await importResultFile(file));
    return out;
  },
};

export type AnalysisWorkerApi = typeof api;
Comlink.expose(api);
