/**
 * Natural distribution shifts read next to ImageNet-C: ImageNet-R, ImageNet-A, ImageNet-Sketch, ImageNet-V2 and any
 * other `<wnid>/<image>` folder. Pure logic: which kind a folder is (from its class folder names alone), the label of
 * an image of each kind, and how each kind is scored.
 *
 * - ImageNet-R and -A hold 200 of the 1000 classes and are scored by an argmax over those 200 classes' logits only
 *   (hendrycks/imagenet-r eval.py `output[:, imagenet_r_mask]`; natural-adv-examples `net(x)[:, indices_in_1k]`);
 *   the 1000-way error is reported beside it, labelled.
 * - ImageNet-V2's class folders are named `0 … 999`: the class index itself (in the model's label order).
 * - ImageNet-Sketch (and `wnid-folders`) are `<wnid>/<image>`, scored 1000-way (top-1 and top-5).
 */
import { IMAGENET_A_WNIDS } from './data/imagenet-a-wnids';
import { IMAGENET_R_WNIDS } from './data/imagenet-r-wnids';

export const SHIFT_KINDS = ['imagenet-r', 'imagenet-a', 'imagenet-v2', 'imagenet-sketch', 'wnid-folders'] as const;
export type ShiftKind = (typeof SHIFT_KINDS)[number];

export const SHIFT_TITLES: Readonly<Record<ShiftKind, string>> = {
  'imagenet-r': 'ImageNet-R',
  'imagenet-a': 'ImageNet-A',
  'imagenet-v2': 'ImageNet-V2',
  'imagenet-sketch': 'ImageNet-Sketch',
  'wnid-folders': 'other <wnid>/ folders',
};

export function isShiftKind(v: unknown): v is ShiftKind {
  return typeof v === 'string' && (SHIFT_KINDS as readonly string[]).includes(v);
}

/** The 200-class subset a kind is scored over (ImageNet-R, -A), or null (scored over every class). */
export function subsetWnids(kind: ShiftKind): readonly string[] | null {
  return kind === 'imagenet-r' ? IMAGENET_R_WNIDS : kind === 'imagenet-a' ? IMAGENET_A_WNIDS : null;
}

/** Whether a kind is scored by the masked (200-class) argmax, with the 1000-way error beside it. */
export function isMaskedKind(kind: ShiftKind): boolean {
  return kind === 'imagenet-r' || kind === 'imagenet-a';
}

/** Whether a kind's class folders are class indices (ImageNet-V2) rather than wnids. */
export function isNumericKind(kind: ShiftKind): boolean {
  return kind === 'imagenet-v2';
}

const NUMERIC = /^\d+$/;
const WNID = /^n\d{8}$/;

export interface Recognition {
  /** The kind recognised; null when the layout fits none (see `problem`). */
  readonly kind: ShiftKind | null;
  /** What was seen, in words ("200 wnid folders, all among ImageNet-R's 200 classes"). */
  readonly reason: string;
  /** A layout that cannot be evaluated, named (numeric folders beyond the label count, unknown wnids, a mix). */
  readonly problem: string | null;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
const examples = (xs: readonly string[]) => xs.slice(0, 3).map((x) => `"${x}"`).join(', ') + (xs.length > 3 ? ', …' : '');

/**
 * Recognises a folder's kind from the names of its class folders (those that hold images).
 *
 * @param folders the class folder names
 * @param labels the model's class list (wnids in output order)
 * @param hint a name that may say which dataset this is (the picked folder's name): `imagenet-sketch` or `sketch`
 *   tells a Sketch folder from other wnid folders, which the class folders alone cannot
 */
export function recogniseShift(folders: readonly string[], labels: readonly string[], hint = ''): Recognition {
  const names = [...new Set(folders)];
  if (!names.length) return { kind: null, reason: 'no class folders with images', problem: 'no <class>/<image> folders found' };
  const numeric = names.filter((f) => NUMERIC.test(f));
  const other = names.filter((f) => !NUMERIC.test(f));
  if (numeric.length && other.length) {
    return {
      kind: null,
      reason: `${plural(numeric.length, 'numeric folder')} and ${plural(other.length, 'named folder')}`,
      problem:
        `a mix of numeric class folders (${examples(numeric)}: ImageNet-V2 class indices) and named ones (${examples(other)}: wnids); ` +
        'a dataset uses one or the other — pick one dataset per folder',
    };
  }
  if (numeric.length) {
    const beyond = numeric.filter((f) => Number(f) >= labels.length || (f.length > 1 && f.startsWith('0')));
    const reason = `${plural(numeric.length, 'numeric class folder')} (ImageNet-V2 layout: the folder name is the class index)`;
    if (beyond.length) {
      return {
        kind: 'imagenet-v2',
        reason,
        problem: `numeric class folders beyond the ${labels.length} classes of the label list: ${examples(beyond.sort((a, b) => Number(a) - Number(b)))} (ImageNet-V2 folders are 0 … ${labels.length - 1})`,
      };
    }
    return { kind: 'imagenet-v2', reason, problem: null };
  }
  const labelSet = new Set(labels);
  const unknown = names.filter((f) => !labelSet.has(f));
  if (unknown.length) {
    const notWnid = unknown.filter((f) => !WNID.test(f));
    return {
      kind: null,
      reason: `${plural(names.length, 'class folder')}`,
      problem:
        `${plural(unknown.length, 'class folder')} not in the model's label list: ${examples(unknown.sort())}` +
        (notWnid.length ? ' (expected wnids such as n01440764, or class indices 0 … 999 for ImageNet-V2)' : ''),
    };
  }
  const inR = new Set(IMAGENET_R_WNIDS);
  const inA = new Set(IMAGENET_A_WNIDS);
  const allR = names.every((f) => inR.has(f));
  const allA = names.every((f) => inA.has(f));
  const folderHint = hint.toLowerCase();
  const saysA = /imagenet[-_ ]?a(?![a-z])|natural[-_ ]?adv/.test(folderHint);
  const saysR = /imagenet[-_ ]?r(?![a-z])|rendition/.test(folderHint);
  const folders200 = (list: string) => `${plural(names.length, 'wnid folder')}, all among ${list}'s 200 classes`;
  if (allR && allA) {
    // Classes in both lists: the folder's name decides, else ImageNet-R (the override select is there).
    const kind = saysA && !saysR ? 'imagenet-a' : 'imagenet-r';
    const named = saysA || saysR;
    return { kind, reason: `${plural(names.length, 'wnid folder')}, all among both ImageNet-R's and ImageNet-A's 200 classes; ${named ? 'the folder name' : 'no name to go by,'} says ${SHIFT_TITLES[kind]}`, problem: null };
  }
  if (allR) return { kind: 'imagenet-r', reason: folders200('ImageNet-R'), problem: null };
  if (allA) return { kind: 'imagenet-a', reason: folders200('ImageNet-A'), problem: null };
  if (/sketch/.test(folderHint)) return { kind: 'imagenet-sketch', reason: `${plural(names.length, 'wnid folder')} in a folder named like ImageNet-Sketch`, problem: null };
  return { kind: 'wnid-folders', reason: `${plural(names.length, 'wnid folder')} (scored over all ${labels.length} classes)`, problem: null };
}

/**
 * Whether a folder of class folders fits a kind (an override chosen by hand, or the recognised kind): null when it
 * does, else the problem, named.
 */
export function layoutProblem(kind: ShiftKind, folders: readonly string[], labels: readonly string[]): string | null {
  const names = [...new Set(folders)];
  if (!names.length) return 'no <class>/<image> folders found';
  const numeric = names.filter((f) => NUMERIC.test(f));
  const other = names.filter((f) => !NUMERIC.test(f));
  if (numeric.length && other.length) return recogniseShift(names, labels).problem;
  if (isNumericKind(kind)) {
    if (other.length) return `ImageNet-V2 class folders are class indices 0 … ${labels.length - 1}, but this folder has named ones: ${examples(other.sort())}`;
    return recogniseShift(names, labels).problem;
  }
  if (numeric.length) {
    return `numeric class folders (${examples(numeric.sort((a, b) => Number(a) - Number(b)))}) are ImageNet-V2's layout; ${SHIFT_TITLES[kind]} needs <wnid>/ folders`;
  }
  const labelSet = new Set(labels);
  const unknown = names.filter((f) => !labelSet.has(f)).sort();
  if (unknown.length) return `${plural(unknown.length, 'class folder')} not in the model's label list: ${examples(unknown)}`;
  const subset = subsetWnids(kind);
  if (subset) {
    const inSubset = new Set(subset);
    const outside = names.filter((f) => !inSubset.has(f)).sort();
    if (outside.length) return `${plural(outside.length, 'class folder')} outside ${SHIFT_TITLES[kind]}'s 200 classes: ${examples(outside)}`;
  }
  return null;
}

/** An image's class index from its class folder, for a kind: wnid → its index in the label list; V2: the number. */
export function shiftLabel(kind: ShiftKind, folder: string, labelIndex: ReadonlyMap<string, number>, labelCount: number): number {
  if (isNumericKind(kind)) {
    if (!NUMERIC.test(folder) || (folder.length > 1 && folder.startsWith('0'))) return -1;
    const n = Number(folder);
    return n < labelCount ? n : -1;
  }
  return labelIndex.get(folder) ?? -1;
}

/**
 * The class indices (ascending) a kind's masked argmax runs over, in the model's label order: the wnids of the
 * 200-class subset that are in the label list. Null for kinds scored over every class.
 */
export function subsetIndices(kind: ShiftKind, labelIndex: ReadonlyMap<string, number>): Int32Array | null {
  const wnids = subsetWnids(kind);
  if (!wnids) return null;
  const out = wnids.map((w) => labelIndex.get(w)).filter((i): i is number => i !== undefined);
  return Int32Array.from(out.sort((a, b) => a - b));
}

/**
 * The class (index into the full output) with the largest logit among `subset` (ascending class indices): the first
 * maximum wins, so a tie goes to the lowest class index; NaN never wins. −1 for an empty subset.
 */
export function maskedArgmax(logits: ArrayLike<number>, subset: ArrayLike<number>, offset = 0): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let j = 0; j < subset.length; j++) {
    const c = subset[j];
    const v = logits[offset + c];
    if (v > bestValue || (best < 0 && v === bestValue)) {
      best = c;
      bestValue = v;
    }
  }
  return best < 0 && subset.length ? subset[0] : best;
}

/** The counts a shift dataset reports (`shifts.<kind>` of the result JSON). */
export interface ShiftCounts {
  /** Images evaluated (unreadable ones excluded). */
  n: number;
  /** Top-1 errors: for R and A the 200-class (masked) error, else the 1000-way one. */
  errors: number;
  /** R and A only: the 1000-way top-1 errors of the same images. */
  errors1000?: number;
  /** Not R or A: top-5 errors (the label not among the five highest logits). */
  errors5?: number;
}

/** The outcome-cell id of a shift dataset in per-image outcomes (beside `"<corruption>/<severity>"` and `"clean"`). */
export function shiftCellId(kind: ShiftKind): string {
  return `shift:${kind}`;
}

export function parseShiftCellId(id: string): ShiftKind | null {
  const k = id.startsWith('shift:') ? id.slice(6) : '';
  return isShiftKind(k) ? k : null;
}

/**
 * The identity of a shift image in per-image outcomes: `<kind>:<class folder>/<stem>`, never equal to an ImageNet-C
 * or clean identity (a Sketch image is not the clean original of anything), so shift images form their own stratum.
 */
export function shiftIdentity(kind: ShiftKind, classFolder: string, fileName: string): string {
  return `${kind}:${classFolder}/${fileName.replace(/\.[^.]+$/, '')}`;
}

/**
 * How one image of a kind scores: `wrong` is its outcome (R, A: the masked argmax; else the 1000-way top-1),
 * `wrong1000` the 1000-way top-1 (R, A only), `wrong5` the top-5 (not R, A).
 */
export function scoreShiftImage(kind: ShiftKind, label: number, top: readonly number[], maskedTop1?: number): { wrong: boolean; wrong1000?: boolean; wrong5?: boolean } {
  const wrong1000 = top[0] !== label;
  if (isMaskedKind(kind)) return { wrong: maskedTop1 !== label, wrong1000 };
  return { wrong: wrong1000, wrong5: !top.slice(0, 5).includes(label) };
}

/** Adds one scored image to a kind's counts. */
export function addToShiftCounts(counts: ShiftCounts, kind: ShiftKind, score: ReturnType<typeof scoreShiftImage>): void {
  counts.n++;
  if (score.wrong) counts.errors++;
  if (isMaskedKind(kind)) counts.errors1000 = (counts.errors1000 ?? 0) + (score.wrong1000 ? 1 : 0);
  else counts.errors5 = (counts.errors5 ?? 0) + (score.wrong5 ? 1 : 0);
}

export function emptyShiftCounts(kind: ShiftKind): ShiftCounts {
  return isMaskedKind(kind) ? { n: 0, errors: 0, errors1000: 0 } : { n: 0, errors: 0, errors5: 0 };
}
