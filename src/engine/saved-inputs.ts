import type { Adaptation } from '../core/tta/adaptation';
import { createStore, del, get, set, type UseStore } from 'idb-keyval';

/**
 * What a reloaded tab needs to resume a run without asking again: the model bytes, the card, the labels and,
 * where the File System Access API exists, the folder handles (IndexedDB can store them).
 */
export interface SavedInputs {
  /** A Blob, not an ArrayBuffer: IndexedDB stores a blob without serialising its bytes on the main thread. */
  model: { name: string; blob: Blob; sha256: string };
  cardJson: string;
  labels: { text: string; name: string } | null;
  datasetName: string | null;
  cleanName: string | null;
  datasetHandle?: FileSystemDirectoryHandle;
  cleanHandle?: FileSystemDirectoryHandle;
  backend: string;
  batchSize: number;
  runKey: string;
  /** The run's test-time adaptation (absent: the source model) and whether it compared source and adapted. */
  adaptation?: Adaptation;
  compare?: boolean;
}

let storeInstance: UseStore | null = null;
const store = () => (storeInstance ??= createStore('shiftlens-inputs', 'inputs'));
const KEY = 'last-run';

export const saveInputs = (s: SavedInputs) => set(KEY, s, store());
export const loadInputs = () => get<SavedInputs>(KEY, store());
export const forgetInputs = () => del(KEY, store());

type PermissionHandle = FileSystemDirectoryHandle & {
  queryPermission(o: { mode: 'read' }): Promise<PermissionState>;
  requestPermission(o: { mode: 'read' }): Promise<PermissionState>;
};

/** One click: the browser asks the user to let the page read the folder again. */
export async function regainAccess(h: FileSystemDirectoryHandle): Promise<boolean> {
  const p = h as PermissionHandle;
  if ((await p.queryPermission?.({ mode: 'read' })) === 'granted') return true;
  return (await p.requestPermission?.({ mode: 'read' })) === 'granted';
}
