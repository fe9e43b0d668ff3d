/** A sign that the numbers are wrong for a reason outside the model: preprocessing, labels, class order. */
export interface SanityWarning {
  readonly kind: 'clean-accuracy' | 'collapse';
  readonly message: string;
}

export interface SanityInput {
  /** Clean top-1 accuracy measured here (fraction), with the image count. */
  readonly cleanAccuracy: number | null;
  readonly cleanImages: number;
  /** What the model card says (percent). */
  readonly reportedTop1?: number;
  /** Top-1 predictions of the clean images (or of all images when there are no clean ones). */
  readonly predictions: readonly number[];
  readonly names?: readonly string[];
}

/** How far below the reported top-1 (points) the measured one may fall before we warn. */
export const ACCURACY_SLACK_POINTS = 5;
/** Fewer images than this say too little about accuracy to warn. */
export const MIN_CLEAN_IMAGES = 20;

const CAUSES = 'likely causes: normalisation (mean/std, 0–1 vs 0–255), channel order (RGB vs BGR), resizing (shorter side 256 then centre crop 224) or the label order';

export function sanityCheck(input: SanityInput): SanityWarning[] {
  const warnings: SanityWarning[] = [];
  const { cleanAccuracy, cleanImages, reportedTop1 } = input;
  if (cleanAccuracy !== null && reportedTop1 !== undefined && cleanImages >= MIN_CLEAN_IMAGES) {
    const measured = cleanAccuracy * 100;
    if (reportedTop1 - measured > ACCURACY_SLACK_POINTS) {
      warnings.push({
        kind: 'clean-accuracy',
        message: `Clean top-1 here is ${measured.toFixed(1)} % on ${cleanImages} images, but the model card reports ${reportedTop1.toFixed(1)} %: every number on this page is suspect. ${CAUSES}.`,
      });
    }
  }
  const n = input.predictions.length;
  if (n >= 50) {
    const counts = new Map<number, number>();
    for (const p of input.predictions) counts.set(p, (counts.get(p) ?? 0) + 1);
    const [top, topCount] = [...counts.entries()].reduce((a, b) => (b[1] > a[1] ? b : a));
    const share = topCount / n;
    // On a varied image set no class should take a third of the predictions; a handful of classes in total is a collapse.
    if (share > 1 / 3 || counts.size < Math.min(10, n / 10)) {
      warnings.push({
        kind: 'collapse',
        message: `Predictions collapse onto few classes: ${counts.size} distinct classes for ${n} images, “${input.names?.[top] ?? top}” takes ${(share * 100).toFixed(0)} %. ${CAUSES}.`,
      });
    }
  }
  return warnings;
}
