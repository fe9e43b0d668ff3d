/**
 * RobustBench's ImageNet-C protocol (https://github.com/RobustBench/robustbench, MIT): a fixed 5,000-image subset of
 * ImageNet val, and an mCE normalised by AlexNet's errors measured on that same subset. Pure, no DOM.
 */
import { ROBUSTBENCH_ALEXNET_ACCURACY } from './data/robustbench-alexnet';
import { ROBUSTBENCH_IMAGENET_IDS } from './data/robustbench-imagenet-ids';

export const ROBUSTBENCH_SUBSET_SIZE = 5000;

/** The 15 corruptions RobustBench averages over, in its order (`CORRUPTIONS` of robustbench/data.py). */
export const ROBUSTBENCH_CORRUPTIONS: readonly string[] = [
  'shot_noise',
  'motion_blur',
  'snow',
  'pixelate',
  'gaussian_noise',
  'defocus_blur',
  'brightness',
  'fog',
  'zoom_blur',
  'frost',
  'glass_blur',
  'impulse_noise',
  'contrast',
  'jpeg_compression',
  'elastic_transform',
];

export const ROBUSTBENCH_MCE_LABEL = 'mCE (RobustBench: AlexNet on its 5,000-image subset)';

const SEVERITIES = [1, 2, 3, 4, 5] as const;

/** File name without its last extension: `ILSVRC2012_val_00000293.JPEG` → `ILSVRC2012_val_00000293`. */
export function imageStem(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(0, dot) : fileName;
}

/** `"<wnid>/<stem>"`, the key under which an image is looked up in the subset. */
export function robustbenchKey(classFolder: string, fileName: string): string {
  return `${classFolder}/${imageStem(fileName)}`;
}

let idSet: Set<string> | null = null;

/** The subset as `"<wnid>/<stem>"` keys (built on first use, then cached). */
export function robustbenchIdSet(): Set<string> {
  if (!idSet) {
    idSet = new Set(
      ROBUSTBENCH_IMAGENET_IDS.split('\n').map((line) => {
        const slash = line.indexOf('/');
        return robustbenchKey(line.slice(0, slash), line.slice(slash + 1));
      }),
    );
  }
  return idSet;
}

/** Whether `<classFolder>/<fileName>` is one of the 5,000 images, whatever the file's extension (or its case). */
export function inRobustbenchSubset(classFolder: string, fileName: string): boolean {
  return robustbenchIdSet().has(robustbenchKey(classFolder, fileName));
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The subset ids (`"<wnid>/<stem>"`, sorted) that are not among `seen` (keys of the same form found in a dataset). */
export function robustbenchMissing(seen: Iterable<string>): string[] {
  const found = new Set(seen);
  return [...robustbenchIdSet()].filter((id) => !found.has(id)).sort(byCodeUnit);
}

export interface RobustbenchMce {
  /** Mean over the 15 corruptions of the per-corruption values, in PERCENT; null unless all 15 × 5 cells are present. */
  mCE: number | null;
  /** Per corruption (the 15), in PERCENT; null unless its 5 severities are present. */
  perCorruption: Record<string, number | null>;
  /** All 15 corruptions × 5 severities present. */
  complete: boolean;
}

/**
 * RobustBench's ImageNet-C mCE, as robustbench/eval.py `corruptions_evaluation` computes it:
 *
 *   mce_c = mean_s [ (1 − acc(c,s)) / mean_s' (1 − acc_AlexNet(c,s')) ]  =  mean_s err(c,s) / mean_s alexnet_err(c,s)
 *   mCE   = mean over the 15 corruptions of mce_c
 *
 * with the AlexNet accuracies of `unaggregated_results.csv` (measured on the same 5,000-image subset; NOT the
 * Hendrycks & Dietterich AlexNet errors on the full 50,000 images that `metrics.ts` uses).
 *
 * SCALE: PERCENT (AlexNet = 100), the scale of the `corruptions_mce` field of RobustBench's model JSONs
 * (robustbench/utils.py `update_json` writes `round(mce * 100, 2)`). Note that `computeMetrics` returns fractions.
 *
 * @param counts corruption → severity (1–5) → { n images, top-1 errors }; cells with n = 0 count as missing; other
 *   corruptions (the 4 extras, …) are ignored.
 */
export function robustbenchMce(
  counts: Readonly<Record<string, Partial<Record<number, { n: number; errors: number }>> | undefined>>,
): RobustbenchMce {
  const perCorruption: Record<string, number | null> = {};
  let complete = true;
  let sum = 0;
  for (const c of ROBUSTBENCH_CORRUPTIONS) {
    const alexAcc = ROBUSTBENCH_ALEXNET_ACCURACY[c];
    const alexMeanError = alexAcc.reduce((s, a) => s + (1 - a), 0) / alexAcc.length;
    const errors = SEVERITIES.map((s) => {
      const cell = counts[c]?.[s];
      return cell && cell.n > 0 ? cell.errors / cell.n : null;
    });
    if (errors.some((e) => e === null)) {
      perCorruption[c] = null;
      complete = false;
      continue;
    }
    const mce = (100 * errors.reduce((s: number, e) => s + (e as number), 0)) / errors.length / alexMeanError;
    perCorruption[c] = mce;
    sum += mce;
  }
  return { mCE: complete ? sum / ROBUSTBENCH_CORRUPTIONS.length : null, perCorruption, complete };
}
