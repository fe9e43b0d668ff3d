import * as Comlink from 'comlink';
import { bootstrapResult, pairedMceDifference, type BootstrapOptions, type BootstrapResult, type PairedDifference } from '../src/core/bootstrap';
import type { ResultDocument } from '../src/core/result-document';

/** The bootstrap takes seconds on a full ImageNet-C run: off the main thread. */
const api = {
  bootstrap(doc: ResultDocument, opts: BootstrapOptions): BootstrapResult {
    return bootstrapResult(doc, opts);
  },
  paired(a: ResultDocument, b: ResultDocument, opts: BootstrapOptions): PairedDifference | null {
    return pairedMceDifference(a, b, opts);
  },
};

export type AnalysisWorkerApi = typeof api;
Comlink.expose(api);
