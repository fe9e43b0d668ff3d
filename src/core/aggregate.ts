import type { CellCounts, CorruptionCounts } from './metrics';

/** One image to evaluate: where it is, which cell, its class index and the identity that ties it to its clean original. */
export interface PlannedImage {
  readonly path: string;
  /** null for a clean image. */
  readonly corruption: string | null;
  readonly severity: number | null;
  readonly label: number;
  /** Ties a corrupted image to its clean original (class folder + file stem). */
  readonly identity: string;
}

export interface ImagePrediction extends PlannedImage {
  /** Top-k class indices, descending logit (ties to the lower index); empty when unreadable. */
  readonly top: readonly number[];
  readonly topLogits: readonly number[];
  /** Why the image could not be evaluated; such images are left out of every count. */
  readonly unreadable?: string;
}

export interface Aggregate {
  readonly corruptions: CorruptionCounts;
  readonly clean: CellCounts | null;
  /** Clean images whose corrupted versions were evaluated too (same class folder and file stem). */
  readonly cleanMatched: CellCounts | null;
  readonly unreadable: { path: string; reason: string }[];
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
  for (const p of predictions) {
    if (p.unreadable !== undefined) {
      unreadable.push({ path: p.path, reason: p.unreadable });
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
  return { corruptions, clean, cleanMatched, unreadable };
}
