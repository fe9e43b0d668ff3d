import { createStore, del, get, set, values, type UseStore } from 'idb-keyval';
import { isQuotaError, requestPersistence, storageInfo } from './prediction-cache';

/**
 * Imported models, kept on this machine so they are there after a reload, offline: the bytes in the Origin
 * Private File System (no copy through the JS heap, no structured-clone of 100 MB), or as a Blob in IndexedDB
 * where OPFS cannot be written from a page; the metadata and card always in IndexedDB. Keyed by sha256, so
 * importing the same file twice stores it once.
 */
export interface LibraryEntry {
  readonly sha256: string;
  /** File name as imported. */
  readonly name: string;
  readonly size: number;
  /** The confirmed card JSON, when there is one. */
  readonly cardJson: string | null;
  readonly cardName: string | null;
  /** ISO date of the first import. */
  readonly addedAt: string;
  readonly storage: 'opfs' | 'idb';
}

export class LibraryStorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LibraryStorageError';
  }
}

const OPFS_DIR = 'shiftlens-models';
let metaStore: UseStore | null = null;
let blobStore: UseStore | null = null;
// Two databases: idb-keyval's createStore opens one object store per database.
const meta = () => (metaStore ??= createStore('shiftlens-model-library', 'models'));
const blobs = () => (blobStore ??= createStore('shiftlens-model-blobs', 'blobs'));
const fileName = (sha256: string) => `${sha256}.onnx`;

type WritableHandle = FileSystemFileHandle & { createWritable?: () => Promise<FileSystemWritableFileStream> };

/** The OPFS folder, when this browser lets a page write files there (Safari only allows it from workers). */
async function opfsDir(): Promise<FileSystemDirectoryHandle | null> {
  try {
    const root = await navigator.storage?.getDirectory?.();
    if (!root) return null;
    const dir = await root.getDirectoryHandle(OPFS_DIR, { create: true });
    return dir;
  } catch {
    return null;
  }
}

function cardName(cardJson: string | null): string | null {
  if (!cardJson) return null;
  try {
    const name = (JSON.parse(cardJson) as { name?: unknown }).name;
    return typeof name === 'string' && name ? name : null;
  } catch {
    return null;
  }
}

async function quotaMessage(size: number, cause: unknown): Promise<string> {
  const info = await storageInfo().catch(() => null);
  const mb = (b: number | null | undefined) => (b == null ? '?' : `${(b / 1e6).toFixed(1)} MB`);
  return (
    `not enough browser storage to keep this ${mb(size)} model in the library (${(cause as Error)?.message ?? 'quota exceeded'}; ` +
    `used ${mb(info?.usage)} of ${mb(info?.quota)}). The model can still be used for this session; to keep it, ` +
    `delete other models or cached predictions, then pick it again.`
  );
}

async function writeOpfs(dir: FileSystemDirectoryHandle, sha256: string, file: Blob): Promise<boolean> {
  const handle = (await dir.getFileHandle(fileName(sha256), { create: true })) as WritableHandle;
  if (!handle.createWritable) {
    await dir.removeEntry(fileName(sha256)).catch(() => {});
    return false;
  }
  try {
    // pipeTo aborts the writable when the copy fails (a full disk), so no partial file is committed.
    await file.stream().pipeTo(await handle.createWritable());
  } catch (e) {
    await dir.removeEntry(fileName(sha256)).catch(() => {});
    throw e;
  }
  return true;
}

export async function listModels(): Promise<LibraryEntry[]> {
  const all = await values<LibraryEntry>(meta());
  return all.sort((a, b) => b.addedAt.localeCompare(a.addedAt) || a.name.localeCompare(b.name));
}

export const getModel = (sha256: string): Promise<LibraryEntry | undefined> => get<LibraryEntry>(sha256, meta());

/**
 * Stores a model (once per sha256) with its card. An existing entry keeps its bytes and date; a given card
 * replaces the stored one. Throws LibraryStorageError with a readable message when storage is full.
 */
export async function importModel(file: Blob, name: string, sha256: string, cardJson: string | null = null): Promise<{ entry: LibraryEntry; added: boolean }> {
  const existing = await getModel(sha256);
  if (existing) {
    const entry = cardJson !== null && cardJson !== existing.cardJson ? { ...existing, cardJson, cardName: cardName(cardJson) } : existing;
    if (entry !== existing) await set(sha256, entry, meta());
    return { entry, added: false };
  }
  void requestPersistence();
  let storage: LibraryEntry['storage'] = 'idb';
  try {
    const dir = await opfsDir();
    if (dir && (await writeOpfs(dir, sha256, file))) storage = 'opfs';
    else await set(sha256, file, blobs());
    const entry: LibraryEntry = { sha256, name, size: file.size, cardJson, cardName: cardName(cardJson), addedAt: new Date().toISOString(), storage };
    await set(sha256, entry, meta());
    return { entry, added: true };
  } catch (e) {
    await removeBytes(sha256, storage).catch(() => {});
    if (isQuotaError(e)) throw new LibraryStorageError(await quotaMessage(file.size, e));
    throw new LibraryStorageError(`could not store the model in the library: ${(e as Error)?.message ?? e}`);
  }
}

/** Replaces the card kept with a model (no-op for a model not in the library). */
export async function setCard(sha256: string, cardJson: string): Promise<void> {
  const existing = await getModel(sha256);
  if (existing) await set(sha256, { ...existing, cardJson, cardName: cardName(cardJson) }, meta());
}

/** The model's bytes as a File (backed by disk for OPFS: nothing is read until the inference worker reads it). */
export async function openModel(entry: LibraryEntry): Promise<File> {
  if (entry.storage === 'opfs') {
    const dir = await opfsDir();
    const handle = await dir?.getFileHandle(fileName(entry.sha256)).catch(() => undefined);
    const f = await handle?.getFile();
    if (f) return new File([f], entry.name, { type: f.type });
  } else {
    const blob = await get<Blob>(entry.sha256, blobs());
    if (blob) return new File([blob], entry.name);
  }
  throw new LibraryStorageError(`the stored bytes of ${entry.name} are gone (the browser may have evicted them): delete the entry and import the file again`);
}

async function removeBytes(sha256: string, storage: LibraryEntry['storage']): Promise<void> {
  if (storage === 'opfs') await (await opfsDir())?.removeEntry(fileName(sha256));
  else await del(sha256, blobs());
}

export async function deleteModel(sha256: string): Promise<void> {
  const entry = await getModel(sha256);
  if (!entry) return;
  await removeBytes(sha256, entry.storage).catch(() => {});
  await del(sha256, meta());
}
