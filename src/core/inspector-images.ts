/**
 * How the Grad-CAM inspector names, filters and preprocesses an evaluated image: a clean image, an ImageNet-C (or
 * C-bar, 3DCC) image of a corruption × severity, or an image of a shift dataset (ImageNet-R, -A, -V2, -Sketch, …).
 */
import type { ImagePrediction } from './aggregate';
import { SHIFT_KINDS, SHIFT_TITLES, type ShiftKind } from './shift-datasets';

type Kinded = Pick<ImagePrediction, 'corruption' | 'severity' | 'shift'>;

/** The "Show" filter value of a shift dataset's images. */
export function shiftFilterValue(kind: ShiftKind): string {
  return `shift:${kind}`;
}

/**
 * The preprocessing an image was evaluated with, so its CAM sees the same input: the clean protocol (shorter side to
 * the card's resize, centre crop) for clean images and for every shift dataset (whatever the image size), the
 * corrupted one (already 224 × 224, centre crop only) for ImageNet-C images. The evaluation decides the same way.
 */
export function imagePreprocessing(p: Pick<ImagePrediction, 'corruption' | 'shift'>): 'clean' | 'corrupted' {
  return p.shift || p.corruption === null ? 'clean' : 'corrupted';
}

/** Whether an image is a clean original (not a corrupted image, not an image of a shift dataset). */
export function isCleanOriginal(p: Pick<ImagePrediction, 'corruption' | 'shift'>): boolean {
  return p.corruption === null && !p.shift;
}

/** The image's caption: its dataset's name, `<corruption> <severity>` or "clean". */
export function imageCaption(p: Kinded): string {
  if (p.shift) return SHIFT_TITLES[p.shift];
  return p.corruption ? `${p.corruption} ${p.severity}` : 'clean';
}

/** Whether an image passes the "Show" filter: '' (all), 'clean', a corruption name or a shift dataset's value. */
export function matchesShow(p: Pick<ImagePrediction, 'corruption' | 'shift'>, show: string): boolean {
  if (!show) return true;
  if (show === 'clean') return isCleanOriginal(p);
  if (show.startsWith('shift:')) return p.shift === show.slice('shift:'.length);
  return !p.shift && p.corruption === show;
}

/** The shift datasets among the images, in the catalogue's order, with their filter value and title. */
export function shiftDatasetsOf(preds: Iterable<Pick<ImagePrediction, 'shift'>>): { kind: ShiftKind; value: string; title: string }[] {
  const seen = new Set<ShiftKind>();
  for (const p of preds) if (p.shift) seen.add(p.shift);
  return SHIFT_KINDS.filter((k) => seen.has(k)).map((kind) => ({ kind, value: shiftFilterValue(kind), title: SHIFT_TITLES[kind] }));
}
