import * as Comlink from 'comlink';
import { bootstrapResult, pairedMceDifference, type BootstrapOptions, type BootstrapResult, type PairedDifference } from '../src/core/bootstrap';
import type { ResultDocument } from '../src/core/result-document';
import { importResultFile, type ImportedResultFile } from '../src/core/result-import';
import { modelFileFactsOf, type ModelFileFacts } from '../src/core/card-proposal';
import { planCam, type CamPlan } from '../src/core/cam/cam-model';
import type { ModelCard } from '../src/core/model-card';

/** The bootstrap takes seconds on a full ImageNet-C run: off the main thread. */
const api = {
  bootstrap(doc: ResultDocument, opts: BootstrapOptions): BootstrapResult {
    return bootstrapResult(doc, opts);
  },
  paired(a: ResultDocument, b: ResultDocument, opts: BootstrapOptions): PairedDifference | null {
    return pairedMceDifference(a, b, opts);
  },
  /** A picked model's sha256 and proposed card: reading and parsing up to hundreds of MB of protobuf. */
  async modelFileFacts(file: File): Promise<ModelFileFacts> {
    return modelFileFactsOf(new Uint8Array(await file.arrayBuffer()), file.name);
  },
  /**
   * The inspector's CAM plan (graph parsed, the head's feature map added by surgery where needed), from the model file
   * itself: hundreds of MB read and parsed here, not on the page; the plan's bytes come back transferred.
   */
  async camPlan(file: Blob, card: ModelCard, logitsOutput: string): Promise<CamPlan> {
    const plan = planCam(new Uint8Array(await file.arrayBuffer()), card, logitsOutput);
    const whole = plan.bytes.byteOffset === 0 && plan.bytes.byteLength === plan.bytes.buffer.byteLength;
    const bytes = whole ? plan.bytes : plan.bytes.slice();
    return Comlink.transfer({ ...plan, bytes }, [bytes.buffer]);
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
