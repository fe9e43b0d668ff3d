/**
 * The evaluation session's share of shift datasets (ImageNet-R, -A, -V2, -Sketch, other `<wnid>/` folders): their
 * cells, the check of each folder's layout against its kind, and how an image's outcome is recorded. Every shift
 * image goes through the clean protocol (shorter side to the card's resize, centre crop), whatever its size.
 */
import type { CachedPrediction } from '../core/cache-keys';
import type { CellSpec, ImageIndex } from '../core/image-index';
import { SHIFT_TITLES, isMaskedKind, layoutProblem, type ShiftKind } from '../core/shift-datasets';
import type { BatchPrediction } from '../../workers/protocol/inference';
import { IgnoredFiles, type ClassListing, type DatasetScan, type DatasetSource } from './dataset-source';

/** One shift dataset of a run: a picked folder and the kind it is evaluated as (recognised, or chosen by hand). */
export interface ShiftInput {
  readonly source: DatasetSource;
  readonly kind: ShiftKind;
}

/** A cached prediction of an ImageNet-R / -A image also keeps `r`, the argmax over the 200 classes. */
export type ShiftCachedPrediction = CachedPrediction & { readonly r?: number };

export class ShiftLayoutError extends Error {}

/** The cells of the shift datasets: each folder's `<class>/<image>` folders, tagged with its kind. */
export async function shiftCells(shifts: readonly ShiftInput[], ignored: IgnoredFiles): Promise<{ spec: CellSpec; source: DatasetSource }[]> {
  const seen = new Map<ShiftKind, string>();
  const out: { spec: CellSpec; source: DatasetSource }[] = [];
  for (const s of shifts) {
    const other = seen.get(s.kind);
    if (other !== undefined) throw new ShiftLayoutError(`${s.source.name} and ${other} are both ${SHIFT_TITLES[s.kind]}: one folder per dataset kind`);
    seen.set(s.kind, s.source.name);
    const scan = await s.source.scan('clean', ignored);
    if (!scan.cells.length) throw new ShiftLayoutError(`no images found in ${s.source.name} (${SHIFT_TITLES[s.kind]}): expected <class>/<image>`);
    for (const spec of scan.cells) out.push({ spec: { ...spec, shift: s.kind }, source: s.source });
  }
  return out;
}

/** Throws ShiftLayoutError naming the folder and the problem when its class folders do not fit its kind. */
export function checkShiftListing(spec: CellSpec, listing: readonly ClassListing[], labels: readonly string[]): void {
  if (!spec.shift) return;
  const problem = layoutProblem(spec.shift, listing.filter((c) => c.files.length).map((c) => c.folder), labels);
  if (problem) throw new ShiftLayoutError(`${spec.dir} (as ${SHIFT_TITLES[spec.shift]}): ${problem}`);
}

/** A cached prediction is reused for an ImageNet-R / -A image only when it kept the masked argmax. */
export function reusableFor(spec: CellSpec, c: ShiftCachedPrediction): boolean {
  return !spec.shift || !isMaskedKind(spec.shift) || c.u !== undefined || c.r !== undefined;
}

/** The masked argmax of image j of a batch of a cell, when the cell is ImageNet-R or -A. */
export function maskedTop1Of(spec: CellSpec, pred: Pick<BatchPrediction, 'subsetTop1'>, j: number): number | undefined {
  if (!spec.shift || !isMaskedKind(spec.shift)) return undefined;
  if (!pred.subsetTop1) throw new Error(`the inference worker gave no argmax over ${SHIFT_TITLES[spec.shift]}'s 200 classes`);
  return pred.subsetTop1[j];
}

/** Records an image's outcome: its scored top-1 (the masked one for R and A) and, for a shift image, the rest. */
export function recordOutcome(index: ImageIndex, i: number, spec: CellSpec, top5: readonly number[], maskedTop1: number | undefined): void {
  index.setPrediction(i, maskedTop1 ?? top5[0]);
  if (spec.shift) index.setShiftOutcomes(i, top5);
}

/**
 * Appends the shift datasets' cells to a run's cells and lists each one now (its class folders are checked against
 * its kind once the labels are known). Returns one digest per shift dataset, for the run's identity.
 */
export async function addShiftCells(
  shifts: readonly ShiftInput[],
  cells: { spec: CellSpec; source: DatasetSource }[],
  listed: Map<number, ClassListing[]>,
  ignored: IgnoredFiles,
  digest: (name: string, scan: DatasetScan, firstCell: readonly ClassListing[]) => string,
): Promise<string[]> {
  const start = cells.length;
  cells.push(...(await shiftCells(shifts, ignored)));
  for (let k = start; k < cells.length; k++) listed.set(k, await cells[k].source.listCell(cells[k].spec, ignored));
  const digests: string[] = [];
  for (const s of shifts) {
    const k = cells.findIndex((c, j) => j >= start && c.source === s.source);
    digests.push(digest(s.source.name, await s.source.scan('clean', new IgnoredFiles(0)), listed.get(k) ?? []));
  }
  return digests;
}
