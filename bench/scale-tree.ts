/**
 * The ImageNet-C trees of `npm run bench:scale`: `<corruption>/<severity>/<wnid>/<stem>.JPEG`, the 1000 real wnids
 * (sorted, as imagenet_class_index.json orders them) × 50 images per (corruption, severity) cell, cells in catalogue
 * order. File j of class w in a cell is that cell's fixture JPEG number (w + j) mod 50, under the stem
 * `ILSVRC2012_val_<w·50 + j + 1, 8 digits>` (unique per class, the same in every cell).
 *
 * On disk (the webkitdirectory path) the files are hard links to the fixture JPEGs, so a 250 k tree costs inodes'
 * worth of directory entries, not 5 GB.
 */
import { linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CORRUPTIONS, SEVERITIES } from '../src/core/corruption-catalog';
import { fixture } from '../test/support/fixtures';

export const PER_CLASS = 50;
export const CELL_FILES = 50_000;
export const STANDARD_SIZES = [50_000, 250_000, 1_250_000, 4_750_000] as const;

export interface Cell {
  corruption: string;
  severity: number;
}

export function cellsFor(size: number): Cell[] {
  if (size % CELL_FILES !== 0) throw new Error(`size ${size} is not a multiple of ${CELL_FILES} (one (corruption, severity) cell)`);
  const all = CORRUPTIONS.flatMap((c) => SEVERITIES.map((s) => ({ corruption: c.name, severity: s })));
  const n = size / CELL_FILES;
  if (n > all.length) throw new Error(`size ${size} exceeds ImageNet-C (${all.length * CELL_FILES} files)`);
  return all.slice(0, n);
}

let wnidCache: string[] | null = null;
/** The 1000 wnids in class-index order (= sorted). */
export function allWnids(): string[] {
  if (wnidCache) return wnidCache;
  const index = JSON.parse(readFileSync(fixture('labels', 'imagenet_class_index.json'), 'utf8')) as Record<string, [string, string]>;
  const wnids = Object.keys(index)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => index[k][0]);
  if (wnids.length !== 1000) throw new Error(`imagenet_class_index.json has ${wnids.length} classes, expected 1000`);
  wnidCache = [...wnids].sort();
  return wnidCache;
}

const fixtureCache = new Map<string, string[]>();
/** The fixture JPEGs of one cell, sorted by path (50 of them). */
export function cellFixtures(cell: Cell): string[] {
  const key = `${cell.corruption}/${cell.severity}`;
  let files = fixtureCache.get(key);
  if (!files) {
    const dir = fixture('imagenet-c-mini', cell.corruption, String(cell.severity));
    files = readdirSync(dir)
      .sort()
      .flatMap((w) =>
        readdirSync(join(dir, w))
          .sort()
          .map((f) => join(dir, w, f)),
      );
    if (!files.length) throw new Error(`no fixture JPEGs in ${dir}`);
    fixtureCache.set(key, files);
  }
  return files;
}

export const stemOf = (w: number, j: number) => `ILSVRC2012_val_${String(w * PER_CLASS + j + 1).padStart(8, '0')}`;

/** Builds the hard-linked tree `<parent>/<rootName>/…`; returns seconds taken. */
export function buildLinkedTree(parent: string, rootName: string, size: number, onProgress?: (files: number) => void): { root: string; seconds: number; files: number } {
  const t0 = performance.now();
  const root = join(parent, rootName);
  const fixturesDev = statSync(fixture('imagenet-c-mini')).dev;
  mkdirSync(root, { recursive: true });
  if (statSync(root).dev !== fixturesDev) throw new Error(`${root} is not on the fixtures' filesystem: hard links impossible`);
  const wnids = allWnids();
  let files = 0;
  for (const cell of cellsFor(size)) {
    const fx = cellFixtures(cell);
    const cellDir = join(root, cell.corruption, String(cell.severity));
    for (let w = 0; w < wnids.length; w++) {
      const d = join(cellDir, wnids[w]);
      mkdirSync(d, { recursive: true });
      for (let j = 0; j < PER_CLASS; j++) {
        linkSync(fx[(w + j) % fx.length], join(d, `${stemOf(w, j)}.JPEG`));
        files++;
      }
      if (w % 200 === 199) onProgress?.(files);
    }
  }
  return { root, seconds: (performance.now() - t0) / 1000, files };
}

export function removeTree(dir: string): number {
  const t0 = performance.now();
  rmSync(dir, { recursive: true, force: true });
  return (performance.now() - t0) / 1000;
}
