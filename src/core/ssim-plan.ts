import type { PlannedImage } from './evaluation-plan';

/** A corrupted image and the clean original it is compared with. */
export interface SsimPair {
  readonly cell: string;
  readonly corruptedPath: string;
  readonly cleanPath: string;
}

/** Mean SSIM of one corruption × severity over the pairs measured. */
export interface SsimCell {
  n: number;
  mean: number;
  sd: number;
}

export interface SsimAnalysis {
  /** 'rgb': SSIM per channel, averaged over R, G, B (scikit-image `channel_axis=-1`). */
  mode: 'rgb' | 'gray';
  /** At most this many images per cell were measured (null: all of them). */
  perCellCap: number | null;
  cells: Record<string, SsimCell>;
}

export const cellId = (corruption: string, severity: number): string => `${corruption}/${severity}`;

/**
 * The pairs to measure: corrupted images whose clean original is in the plan, at most `cap` per cell, spread
 * evenly over the cell's images sorted by identity (so every class range is represented, and the same images
 * are chosen for every cell and every model).
 */
export function planSsimPairs(images: readonly PlannedImage[], cap: number | null): SsimPair[] {
  const cleanOf = new Map<string, string>();
  for (const im of images) if (im.corruption === null) cleanOf.set(im.identity, im.path);
  const byCell = new Map<string, PlannedImage[]>();
  for (const im of images) {
    if (im.corruption === null || im.severity === null || !cleanOf.has(im.identity)) continue;
    const id = cellId(im.corruption, im.severity);
    const list = byCell.get(id) ?? [];
    list.push(im);
    byCell.set(id, list);
  }
  const pairs: SsimPair[] = [];
  for (const [cell, list] of byCell) {
    list.sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
    const take = cap === null || list.length <= cap ? list : Array.from({ length: cap }, (_, i) => list[Math.floor((i * list.length) / cap)]);
    for (const im of take) pairs.push({ cell, corruptedPath: im.path, cleanPath: cleanOf.get(im.identity)! });
  }
  return pairs;
}

/** Per-cell mean and (population) standard deviation; pairs whose SSIM could not be computed are left out. */
export function summarizeSsim(pairs: readonly SsimPair[], values: readonly (number | null)[], mode: SsimAnalysis['mode'], cap: number | null): SsimAnalysis {
  const acc = new Map<string, { n: number; sum: number; sumSq: number }>();
  pairs.forEach((p, i) => {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) return;
    const a = acc.get(p.cell) ?? { n: 0, sum: 0, sumSq: 0 };
    a.n++;
    a.sum += v;
    a.sumSq += v * v;
    acc.set(p.cell, a);
  });
  const cells: Record<string, SsimCell> = {};
  for (const [cell, a] of acc) {
    const mean = a.sum / a.n;
    cells[cell] = { n: a.n, mean, sd: Math.sqrt(Math.max(0, a.sumSq / a.n - mean * mean)) };
  }
  return { mode, perCellCap: cap, cells };
}
