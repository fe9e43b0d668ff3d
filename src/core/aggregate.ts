import type { CellCounts, CorruptionCounts } from './metrics';
import { addToShiftCounts, emptyShiftCounts, scoreShiftImage, type ShiftCounts, type ShiftKind } from './shift-datasets';

/** One image to evaluate: where it is, which cell, its class index and the identity that ties it to its clean original. */
export interface PlannedImage {
  readonly path: string;
  /** null for a clean image. */
  readonly corruption: string | null;
  readonly severity: number | null;
  readonly label: number;
  /** Ties a corrupted image to its clean original (class folder + file stem); `<kind>:<class>/<stem>` for a shift image. */
  readonly identity: string;
  /** The shift dataset (ImageNet-R, -A, …) an image belongs to; corruption and severity are then null. */
  readonly shift?: ShiftKind;
}

export interface ImagePrediction extends PlannedImage {
  /** Top-k class indices, descending logit (ties to the lower index); empty when unreadable. */
  readonly top: readonly number[];
  readonly topLogits: readonly number[];
  /** ImageNet-R / -A: the argmax over the dataset's 200 classes (its outcome); the 1000-way one is `top[0]`. */
  readonly maskedTop1?: number;
  /** Why the image could not be evaluated; such images are left out of every count. */
  readonly unreadable?: string;
}

export interface Aggregate {
  readonly corruptions: CorruptionCounts;
  readonly clean: CellCounts | null;
  /** Clean images whose corrupted versions were evaluated too (same class folder and file stem). */
  readonly cleanMatched: CellCounts | null;
  readonly unreadable: { path: string; reason: string }[];
  /** Shift datasets (ImageNet-R, -A, -V2, -Sketch, …), by kind. */
  readonly shifts?: Partial<Record<ShiftKind, ShiftCounts>>;
}

export function isTop1Error(p: Pick<ImagePrediction, 'top' | 'label'>): boolean {
  return p.top[0] !== p.label;
}

export function aggregate(predictions: Iterable<ImagePrediction>): Aggregate {
  const corruptions: CorruptionCounts = {};
  const cleanByIdentity = new Map<string, boolean>();
  const corruptedIdentities = new Set<string>();
  const unreadable: { path: string; reason: string }[] = [];
  let clean: CellCounts | null = null;
  const shifts: Partial<Record<ShiftKind, ShiftCounts>> = {};
  for (const p of predictions) {
    if (p.unreadable !== undefined) {
      unreadable.push({ path: p.path, reason: p.unreadable });
      continue;
    }
    if (p.shift) {
      addToShiftCounts((shifts[p.shift] ??= emptyShiftCounts(p.shift)), p.shift, scoreShiftImage(p.shift, p.label, p.top, p.maskedTop1));
      continue;
    }
    const wrong = isTop1Error(p);
    if (p.corruption === null) {
      clean ??= { n: 0, errors: 0 };
      clean.n++;
      if (wrong) clean.errors++;
      cleanByIdentity.set(p.identity, wrong);
    } else {
      const cells = (corruptions[p.corruption] ??= {});
      const cell = (cells[p.severity as number] ??= { n: 0, errors: 0 });
      cell.n++;
      if (wrong) cell.errors++;
      corruptedIdentities.add(p.identity);
    }
  }
  let cleanMatched: CellCounts | null = null;
  for (const [identity, wrong] of cleanByIdentity) {
    if (!corruptedIdentities.has(identity)) continue;
    cleanMatched ??= { n: 0, errors: 0 };
    cleanMatched.n++;
    if (wrong) cleanMatched.errors++;
  }
  unreadable.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { corruptions, clean, cleanMatched, unreadable, ...(Object.keys(shifts).length ? { shifts } : {}) };
}
