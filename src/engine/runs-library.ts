import { createStore, del, get, set, update, type UseStore } from 'idb-keyval';
import type { ResultDocument } from '../core/result-document';
import { isQuotaError } from './prediction-cache';

/** What the runs list shows; the document itself (it may hold megabytes of per-image outcomes) is stored apart. */
export interface RunSummary {
  id: string;
  name: string;
  modelName: string;
  modelSha256: string;
  dataset: string;
  cleanDataset: string | null;
  /** Images with a prediction (unreadable ones included). */
  images: number;
  backend: ResultDocument['backend'];
  /** When the run was finished, imported or merged. */
  savedAt: string;
  origin: 'evaluated' | 'imported' | 'merged';
  /** Cancelled before every image was evaluated. */
  partial: boolean;
  mCE: number | null;
}

const INDEX_KEY = 'index';
let metaStore: UseStore | null = null;
let docStore: UseStore | null = null;
const meta = () => (metaStore ??= createStore('shiftlens-runs', 'runs'));
const docs = () => (docStore ??= createStore('shiftlens-run-docs', 'docs'));

export class RunsStorageError extends Error {}

function wrap(e: unknown, what: string): never {
  if (isQuotaError(e)) throw new RunsStorageError(`browser storage is full: the run could not be ${what}. Delete old runs or cached predictions below and try again.`);
  throw new RunsStorageError(`the run could not be ${what}: ${(e as Error)?.message ?? e}`);
}

function summaryOf(id: string, name: string, doc: ResultDocument, origin: RunSummary['origin'], partial: boolean): RunSummary {
  return {
    id,
    name,
    modelName: doc.model.name,
    modelSha256: doc.model.sha256,
    dataset: doc.dataset.name,
    cleanDataset: doc.clean?.dataset || null,
    images: doc.counts.images,
    backend: doc.backend,
    savedAt: new Date().toISOString(),
    origin,
    partial,
    mCE: doc.metrics.mCE,
  };
}

export async function listRuns(): Promise<RunSummary[]> {
  const index = (await get<RunSummary[]>(INDEX_KEY, meta())) ?? [];
  return [...index].sort((a, b) => (a.savedAt < b.savedAt ? 1 : -1));
}

/** Stores a run and returns its summary. The document goes in first, so the index never names a missing one. */
export async function saveRun(doc: ResultDocument, opts: { name?: string; origin: RunSummary['origin']; partial?: boolean; id?: string }): Promise<RunSummary> {
  const id = opts.id ?? crypto.randomUUID();
  const summary = summaryOf(id, opts.name ?? doc.model.name, doc, opts.origin, opts.partial ?? false);
  try {
    await set(id, doc, docs());
    await update<RunSummary[]>(INDEX_KEY, (index = []) => [...index.filter((r) => r.id !== id), summary], meta());
  } catch (e) {
    wrap(e, 'saved');
  }
  return summary;
}

export async function loadRun(id: string): Promise<ResultDocument | undefined> {
  return get<ResultDocument>(id, docs());
}

export async function renameRun(id: string, name: string): Promise<void> {
  const clean = name.trim().slice(0, 200);
  if (!clean) return;
  await update<RunSummary[]>(INDEX_KEY, (index = []) => index.map((r) => (r.id === id ? { ...r, name: clean } : r)), meta()).catch((e) => wrap(e, 'renamed'));
}

export async function deleteRun(id: string): Promise<void> {
  await update<RunSummary[]>(INDEX_KEY, (index = []) => index.filter((r) => r.id !== id), meta());
  await del(id, docs());
}

/** Replaces a stored run's document (after an addition such as SSIM), keeping its name. */
export async function updateRunDoc(id: string, doc: ResultDocument): Promise<void> {
  try {
    await set(id, doc, docs());
    await update<RunSummary[]>(INDEX_KEY, (index = []) => index.map((r) => (r.id === id ? { ...r, mCE: doc.metrics.mCE, images: doc.counts.images } : r)), meta());
  } catch (e) {
    wrap(e, 'updated');
  }
}
