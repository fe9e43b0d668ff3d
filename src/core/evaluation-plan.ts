import { discoverClean, discoverCorrupted, imageIdentity, type CorruptedDataset, type FileRef, type IgnoredFile } from './dataset-discovery';
import { indexOfClass, labelsFromSortedFolders, type LabelSet } from './labels';

export interface PlannedImage {
  readonly path: string;
  /** null for a clean image. */
  readonly corruption: string | null;
  readonly severity: number | null;
  readonly label: number;
  /** Ties a corrupted image to its clean original. */
  readonly identity: string;
}

export interface EvaluationPlan {
  readonly images: PlannedImage[];
  readonly corruptedCount: number;
  readonly cleanCount: number;
  readonly ignored: IgnoredFile[];
  readonly labels: LabelSet;
  readonly warnings: string[];
  readonly layout: CorruptedDataset['layout'];
  readonly found: CorruptedDataset['found'];
}

export class PlanError extends Error {}

/**
 * Decides what to evaluate and each image's class index. The index comes from the label list; numbering the
 * class folders is right only when every class of the model is present.
 */
export function planEvaluation(
  corruptedFiles: readonly FileRef[],
  cleanFiles: readonly FileRef[] | null,
  labels: LabelSet | null,
  numClasses: number,
): EvaluationPlan {
  const corrupted = discoverCorrupted(corruptedFiles);
  const clean = cleanFiles ? discoverClean(cleanFiles) : null;
  const warnings: string[] = [];
  if (corrupted.images.length === 0 && corruptedFiles.length > 0) {
    throw new PlanError(
      `no ImageNet-C images found among ${corruptedFiles.length} files: expected <corruption>/<severity 1–5>/<class>/<image> ` +
        `(e.g. fog/3/n01440764/x.JPEG), optionally under <group>/. First problem: ${corrupted.ignored[0]?.path} — ${corrupted.ignored[0]?.reason}`,
    );
  }
  if (clean && clean.images.length === 0 && cleanFiles!.length > 0) {
    throw new PlanError(`no clean images found among ${cleanFiles!.length} files: expected <class>/<image> or val/<class>/<image>`);
  }
  if (corrupted.images.length === 0 && !clean?.images.length) {
    throw new PlanError(
      'no images to evaluate: expected an ImageNet-C folder laid out as <corruption>/<severity 1–5>/<class>/<image> ' +
        '(e.g. fog/3/n01440764/x.JPEG), optionally under <group>/, and/or a clean folder of <class>/<image>',
    );
  }
  const allFolders = new Set([...corrupted.classFolders, ...(clean?.classFolders ?? [])]);
  let labelSet = labels;
  if (!labelSet) {
    if (allFolders.size === numClasses) {
      labelSet = labelsFromSortedFolders(allFolders);
      warnings.push(`no labels file: classes numbered by the ${numClasses} sorted class folders (ImageFolder order)`);
    } else {
      throw new PlanError(
        `a labels file is needed: the data has ${allFolders.size} class folders but the model has ${numClasses} classes, ` +
          `so numbering the folders would give wrong class indices (give imagenet_class_index.json or a synset file)`,
      );
    }
  }
  if (labelSet.wnids.length !== numClasses) {
    throw new PlanError(`the labels list has ${labelSet.wnids.length} classes but the model outputs ${numClasses}`);
  }
  const index = indexOfClass(labelSet);
  const ignored = [...corrupted.ignored, ...(clean?.ignored ?? [])];
  const images: PlannedImage[] = [];
  const unknownClass = (path: string, folder: string) =>
    ignored.push({ path, reason: `class folder "${folder}" is not in the label list` });
  for (const im of corrupted.images) {
    const label = index.get(im.classFolder);
    if (label === undefined) unknownClass(im.path, im.classFolder);
    else images.push({ path: im.path, corruption: im.corruption, severity: im.severity, label, identity: imageIdentity(im.classFolder, im.fileName) });
  }
  const corruptedCount = images.length;
  for (const im of clean?.images ?? []) {
    const label = index.get(im.classFolder);
    if (label === undefined) unknownClass(im.path, im.classFolder);
    else images.push({ path: im.path, corruption: null, severity: null, label, identity: imageIdentity(im.classFolder, im.fileName) });
  }
  if (images.length === 0) {
    const skipped = ignored.filter((i) => i.reason.startsWith('class folder'));
    throw new PlanError(
      `none of the ${skipped.length} images is in a class folder of the label list (${labelSet.source}); ` +
        `first: ${skipped[0]?.path} — ${skipped[0]?.reason}`,
    );
  }
  if (corrupted.missingSeverities.length) {
    warnings.push(
      `missing severities: ${corrupted.missingSeverities.map((m) => `${m.corruption}/${m.severity}`).join(', ')} — CE uses the severities present`,
    );
  }
  if (corrupted.images.length && corrupted.missingCorruptions.length) {
    warnings.push(`corruptions not in the folder: ${corrupted.missingCorruptions.join(', ')}`);
  }
  const ignoredUnknown = ignored.filter((i) => i.reason.startsWith('class folder')).length;
  if (ignoredUnknown) warnings.push(`${ignoredUnknown} images skipped: their class folder is not in the label list`);
  return {
    images,
    corruptedCount,
    cleanCount: images.length - corruptedCount,
    ignored,
    labels: labelSet,
    warnings,
    layout: corrupted.layout,
    found: corrupted.found,
  };
}
