import type { Adaptation } from '../core/tta/adaptation';
import { SHIFT_TITLES, type ShiftKind } from '../core/shift-datasets';
import type { ShiftInput } from './shift-run';
import { createStore, del, get, set, type UseStore } from 'idb-keyval';

/** A shift dataset of the run: its folder's name, the kind it was evaluated as and, where kept, its folder handle. */
export interface SavedShift {
  name: string;
  kind: ShiftKind;
  handle?: FileSystemDirectoryHandle;
}

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
  /** The shift datasets (ImageNet-R, -A, -V2, -Sketch, …) of the run; absent in inputs saved before they existed. */
  shifts?: SavedShift[];
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

/** What to keep of a run's shift datasets: name, kind and the folder handle where there is one. */
export function savedShifts(shifts: readonly ShiftInput[]): SavedShift[] {
  return shifts.map((s) => ({ name: s.source.name, kind: s.kind, ...(s.source.handle ? { handle: s.source.handle } : {}) }));
}

/** The inputs without any folder handle (for a store that cannot keep them: the folders are then picked again). */
export function withoutHandles(s: SavedInputs): SavedInputs {
  return {
    ...s,
    datasetHandle: undefined,
    cleanHandle: undefined,
    ...(s.shifts ? { shifts: s.shifts.map(({ name, kind }) => ({ name, kind })) } : {}),
  };
}

/** The folders of a saved run, for the resume banner: ImageNet-C, clean, then each shift dataset with its kind. */
export function savedFolderNames(s: Pick<SavedInputs, 'datasetName' | 'cleanName' | 'shifts'>): string[] {
  return [s.datasetName, s.cleanName, ...(s.shifts ?? []).map((x) => `${x.name} (${SHIFT_TITLES[x.kind]})`)].filter((x): x is string => !!x);
}

/**
 * Which saved shift datasets a resume still needs, given those already picked (same kind and folder name): the ones
 * with a handle are reopened (one permission click), the others must be picked again.
 */
export function shiftsToRestore(saved: readonly SavedShift[] | undefined, current: readonly ShiftInput[]): { reopen: SavedShift[]; pickAgain: SavedShift[] } {
  const missing = (saved ?? []).filter((s) => !current.some((c) => c.kind === s.kind && c.source.name === s.name));
  return { reopen: missing.filter((s) => s.handle), pickAgain: missing.filter((s) => !s.handle) };
}

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
