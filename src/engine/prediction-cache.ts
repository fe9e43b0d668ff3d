import { yieldToBrowser } from './main-thread';
import { createStore, get, getMany, promisifyRequest, type UseStore } from 'idb-keyval';
import { EVALUATION_COUNTER_KEY, RUN_PREFIX, evaluationIdKey, type CachedPrediction, type CellSummary, type EvaluationKey, type RunRecord } from '../core/cache-keys';

const DB_NAME = 'shiftlens';
const STORE_NAME = 'cache';

let storeInstance: UseStore | null = null;
function store(): UseStore {
  return (storeInstance ??= createStore(DB_NAME, STORE_NAME));
}

export class StorageFullError extends Error {
  constructor(cause: unknown) {
    super(
      `browser storage is full (${(cause as Error)?.message ?? 'quota exceeded'}). Nothing computed so far is lost: ` +
        'free space (clear cached predictions of other models below, or disk space), then press Continue.',
    );
    this.name = 'StorageFullError';
  }
}

export function isQuotaError(e: unknown): boolean {
  const name = (e as DOMException | null)?.name;
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || /quota/i.test((e as Error)?.message ?? '');
}

/**
 * Writes predictions and the run record in one transaction: either both land or neither does, so the run's
 * count of stored predictions never disagrees with the predictions themselves. Cell summaries go after the
 * predictions (a summary is only ever stored with or after its cell's predictions).
 */
export async function storePredictions(entries: readonly [string, CachedPrediction][], run: RunRecord, summaries: readonly [string, CellSummary][] = []): Promise<void> {
  try {
    await store()('readwrite', (s) => {
      try {
        for (const [k, v] of entries) s.put(v, k);
        for (const [k, v] of summaries) s.put(v, k);
        s.put(run, run.key);
      } catch (e) {
        s.transaction.abort();
        throw e;
      }
      return promisifyRequest(s.transaction);
    });
  } catch (e) {
    if (isQuotaError(e)) throw new StorageFullError(e);
    throw e;
  }
}

/** The evaluation's number (allocated on first use, in one transaction so two tabs cannot take the same). */
export async function evaluationId(e: EvaluationKey): Promise<number> {
  const key = evaluationIdKey(e);
  try {
    return await store()('readwrite', async (s) => {
      const known = await promisifyRequest(s.get(key));
      if (typeof known === 'number') return known;
      const next = ((await promisifyRequest(s.get(EVALUATION_COUNTER_KEY))) as number | undefined) ?? 1;
      s.put(next + 1, EVALUATION_COUNTER_KEY);
      s.put(next, key);
      await promisifyRequest(s.transaction);
      return next;
    });
  } catch (e) {
    if (isQuotaError(e)) throw new StorageFullError(e);
    throw e;
  }
}

/** Existing evaluation number, without allocating one. */
export function findEvaluationId(e: EvaluationKey): Promise<number | undefined> {
  return get<number>(evaluationIdKey(e), store());
}

/** Records per read in readPrefix (~25 ms to deserialise): 50,000 at once would be one long main-thread task. */
const READ_CHUNK = 5000;

/**
 * Every cached prediction under a key prefix (one cell's folder), as (key suffix → value): key-range reads of
 * READ_CHUNK records instead of one get per image, each in its own task.
 */
export async function readPrefix(prefix: string): Promise<Map<string, CachedPrediction>> {
  const out = new Map<string, CachedPrediction>();
  for await (const [keys, values] of prefixChunks(prefix)) for (let i = 0; i < keys.length; i++) out.set(keys[i], values[i]);
  return out;
}

/**
 * The cached predictions under a key prefix in key order, `size` records at a time as (key suffixes, values), the
 * next chunk read while the caller handles this one when `readAhead`. For a caller that handles each record once
 * (the per-image export): it holds one or two chunks instead of a whole cell's Map.
 */
export async function* prefixChunks(prefix: string, size = READ_CHUNK, readAhead = true): AsyncGenerator<[string[], CachedPrediction[]]> {
  const upper = `${prefix}\uffff`;
  const read = (r: IDBKeyRange) =>
    store()('readonly', (s) => Promise.all([promisifyRequest(s.getAllKeys(r, size)), promisifyRequest(s.getAll(r, size)) as Promise<CachedPrediction[]>]));
  let next: Promise<[IDBValidKey[], CachedPrediction[]]> | null = read(IDBKeyRange.bound(prefix, upper));
  try {
    while (next) {
      const [keys, values]: [IDBValidKey[], CachedPrediction[]] = await next;
      const more: IDBKeyRange | null = keys.length < size ? null : IDBKeyRange.bound(keys[keys.length - 1], upper, true);
      next = more && readAhead ? read(more) : null;
      next?.catch(() => {}); // awaited next round; not unhandled if the caller stops first
      yield [keys.map((k) => (k as string).slice(prefix.length)), values];
      if (more && !next) next = read(more);
      await yieldToBrowser();
    }
  } finally {
    await next?.catch(() => {});
  }
}

/** A cell's summary (cache-keys.ts), if stored. */
export function readSummary(key: string): Promise<CellSummary | undefined> {
  return get<CellSummary>(key, store());
}

/** Predictions by key (the spot checks of a cell read from its summary). */
export function readRecords(keys: readonly string[]): Promise<(CachedPrediction | undefined)[]> {
  return getMany<CachedPrediction>([...keys], store());
}

export function getRun(key: string): Promise<RunRecord | undefined> {
  return get<RunRecord>(key, store());
}

export async function putRun(run: RunRecord): Promise<void> {
  try {
    await store()('readwrite', (s) => {
      s.put(run, run.key);
      return promisifyRequest(s.transaction);
    });
  } catch (e) {
    if (isQuotaError(e)) throw new StorageFullError(e);
    throw e;
  }
}

const range = (prefix: string) => IDBKeyRange.bound(prefix, `${prefix}\uffff`);

export function countWithPrefix(prefix: string): Promise<number> {
  return store()('readonly', (s) => promisifyRequest(s.count(range(prefix))));
}

export function deleteWithPrefix(prefix: string): Promise<void> {
  return store()('readwrite', (s) => {
    s.delete(range(prefix));
    return promisifyRequest(s.transaction);
  });
}

export function listRuns(): Promise<RunRecord[]> {
  return store()('readonly', (s) => promisifyRequest(s.getAll(range(RUN_PREFIX))) as Promise<RunRecord[]>);
}

export async function clearAll(): Promise<void> {
  await store()('readwrite', (s) => {
    s.clear();
    return promisifyRequest(s.transaction);
  });
}

export interface StorageInfo {
  usage: number | null;
  quota: number | null;
  persisted: boolean;
}

export async function storageInfo(): Promise<StorageInfo> {
  const est = await navigator.storage?.estimate?.().catch(() => undefined);
  const persisted = (await navigator.storage?.persisted?.().catch(() => false)) ?? false;
  return { usage: est?.usage ?? null, quota: est?.quota ?? null, persisted };
}

/** Asks the browser not to evict our data under storage pressure (it may say no). */
export async function requestPersistence(): Promise<boolean> {
  return (await navigator.storage?.persist?.().catch(() => false)) ?? false;
}
