/**
 * The filter of the clean resize (shorter side → `resizeTo`). Both are Pillow-exact in `pillow-resize.ts`:
 * torchvision's `Resize` on a PIL image calls `Image.resize` with exactly these filters.
 */
export type Interpolation = 'bilinear' | 'bicubic';

export const INTERPOLATIONS: readonly Interpolation[] = ['bilinear', 'bicubic'];

/** PIL.Image resampling constants, which older torchvision code passes as `interpolation=` (DINO: 3). */
const PIL_CODES: Readonly<Record<number, string>> = { 0: 'nearest', 1: 'lanczos', 2: 'bilinear', 3: 'bicubic', 4: 'box', 5: 'hamming' };

export type InterpolationReading =
  | { ok: true; interpolation: Interpolation; from?: string }
  | { ok: false; name: string };

/**
 * Reads a card's `interpolation`: a name ("bicubic", "InterpolationMode.BICUBIC", any case) or a PIL code (3).
 * `from` says how a non-canonical spelling was read; `ok: false` names a filter the app does not implement.
 */
export function readInterpolation(v: unknown): InterpolationReading | null {
  if (v === undefined) return { ok: true, interpolation: 'bilinear' };
  let name: string;
  if (typeof v === 'number' && Number.isInteger(v)) {
    if (!(v in PIL_CODES)) return null;
    name = PIL_CODES[v];
  } else if (typeof v === 'string') {
    name = v.trim().toLowerCase().replace(/^(interpolationmode|image|pil\.image)\./, '');
  } else {
    return null;
  }
  if (!(INTERPOLATIONS as readonly string[]).includes(name)) return { ok: false, name };
  const interpolation = name as Interpolation;
  return v === interpolation ? { ok: true, interpolation } : { ok: true, interpolation, from: JSON.stringify(v) };
}
