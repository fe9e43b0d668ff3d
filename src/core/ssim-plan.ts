import type { PlannedImage } from './aggregate';

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
  for (const [cell, list] of byCell) pairs.push(...cellSsimPairs(cell, list, cleanOf, cap));
  return pairs;
}

/**
 * One cell's pairs: of its images whose clean original is known (`cleanOf`: identity → clean path), at most `cap`,
 * spread evenly over them sorted by identity. Sorts `list` in place.
 */
export function cellSsimPairs(cell: string, list: { identity: string; path: string }[], cleanOf: ReadonlyMap<string, string>, cap: number | null): SsimPair[] {
  list.sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
  const take = cap === null || list.length <= cap ? list : Array.from({ length: cap }, (_, i) => list[Math.floor((i * list.length) / cap)]);
  return take.map((im) => ({ cell, corruptedPath: im.path, cleanPath: cleanOf.get(im.identity)! }));
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

const CELL_ID = /^([a-z_]+)\/([1-5])$/;

/** Checks an imported `ssim` section; problems are reported, a valid section is returned as a fresh copy. */
export function checkSsimAnalysis(raw: unknown, isCorruption: (name: string) => boolean, problems: string[]): SsimAnalysis | undefined {
  const bad = (why: string) => (problems.push(`ssim: ${why}`), undefined);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return bad('expected an object');
  const o = raw as Record<string, unknown>;
  if (o.mode !== 'rgb' && o.mode !== 'gray') return bad('"mode" must be "rgb" or "gray"');
  const cap = o.perCellCap;
  if (cap !== null && !(typeof cap === 'number' && Number.isInteger(cap) && cap > 0 && cap <= 1e9)) return bad('"perCellCap" must be null or a positive integer');
  if (!o.cells || typeof o.cells !== 'object' || Array.isArray(o.cells)) return bad('"cells" must be an object');
  const cells: Record<string, SsimCell> = {};
  for (const [id, c] of Object.entries(o.cells as Record<string, unknown>)) {
    const m = CELL_ID.exec(id);
    if (!m || !isCorruption(m[1])) return bad(`unknown cell ${JSON.stringify(id.slice(0, 40))}`);
    const v = c as Record<string, unknown> | null;
    const finite = (x: unknown, lo: number, hi: number) => typeof x === 'number' && Number.isFinite(x) && x >= lo && x <= hi;
    if (!v || typeof v !== 'object' || !(Number.isInteger(v.n) && finite(v.n, 1, 1e9)) || !finite(v.mean, -1, 1) || !finite(v.sd, 0, 2)) {
      return bad(`cell ${id}: expected {"n" ≥ 1, "mean" in [-1, 1], "sd" in [0, 2]}`);
    }
    cells[id] = { n: v.n as number, mean: v.mean as number, sd: v.sd as number };
  }
  return { mode: o.mode, perCellCap: cap as number | null, cells };
}
