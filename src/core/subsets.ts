/**
 * Which images of a dataset to evaluate: all, RobustBench's fixed 5,000-image subset, or a seeded stratified sample
 * of k images per class. Selection works per class folder on file *stems* (names without extension), so the same
 * images are chosen in the clean folder and in every corruption/severity folder, whatever the extension (`.JPEG`,
 * `.png`, …) or the order in which the folder was listed. Pure, no DOM.
 */
import { imageStem, inRobustbenchSubset } from './robustbench';
import { seededHash32 } from './hash';

export { seededHash32 };

export type SubsetSpec = { kind: 'all' } | { kind: 'robustbench' } | { kind: 'stratified'; perClass: number; seed: number };

export const MAX_PER_CLASS = 100_000;
export const MAX_SEED = 0xffffffff;

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);


/**
 * The file names of one class folder to evaluate, sorted (by UTF-16 code unit, as dataset discovery sorts paths).
 * - `all`: every name.
 * - `robustbench`: the names whose `<classFolder>/<stem>` is one of RobustBench's 5,000 ids.
 * - `stratified`: the `perClass` stems (all if fewer) ranked first by `seededHash32("<classFolder>/<stem>", seed)`
 *   (ties by stem); every name with a chosen stem is returned, so a folder holding one image twice under two
 *   extensions yields both names.
 */
export function selectInClass(spec: SubsetSpec, classFolder: string, fileNames: readonly string[]): string[] {
  switch (spec.kind) {
    case 'all':
      return [...fileNames].sort(byCodeUnit);
    case 'robustbench':
      return fileNames.filter((name) => inRobustbenchSubset(classFolder, name)).sort(byCodeUnit);
    case 'stratified': {
      const stems = [...new Set(fileNames.map(imageStem))];
      let chosen: Set<string>;
      if (stems.length <= spec.perClass) {
        chosen = new Set(stems);
      } else {
        const ranked = stems
          .map((stem) => ({ stem, rank: seededHash32(`${classFolder}/${stem}`, spec.seed) }))
          .sort((a, b) => a.rank - b.rank || byCodeUnit(a.stem, b.stem));
        chosen = new Set(ranked.slice(0, spec.perClass).map((r) => r.stem));
      }
      return fileNames.filter((name) => chosen.has(imageStem(name))).sort(byCodeUnit);
    }
  }
}

export function describeSubset(spec: SubsetSpec): string {
  switch (spec.kind) {
    case 'all':
      return 'all images';
    case 'robustbench':
      return 'RobustBench 5,000-image subset';
    case 'stratified':
      return `stratified sample: ${spec.perClass} per class, seed ${spec.seed}`;
  }
}

const isIntegerIn = (x: unknown, lo: number, hi: number): x is number =>
  typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;

/** A spec read back from a result file, validated and copied (unknown fields dropped); null when not valid. */
export function parseSubsetSpec(raw: unknown): SubsetSpec | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  switch (r.kind) {
    case 'all':
      return { kind: 'all' };
    case 'robustbench':
      return { kind: 'robustbench' };
    case 'stratified':
      if (!isIntegerIn(r.perClass, 1, MAX_PER_CLASS) || !isIntegerIn(r.seed, 0, MAX_SEED)) return null;
      return { kind: 'stratified', perClass: r.perClass, seed: r.seed };
    default:
      return null;
  }
}
