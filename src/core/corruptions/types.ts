/**
 * Shared types of the ImageNet-C corruptions (a TypeScript port of imagecorruptions 1.1.2; the exact behaviour is
 * specified in `shared/fixtures/corruption-reference/SPEC.md`). Pure TypeScript: no DOM, no Node APIs.
 */

/** An interleaved, row-major 8-bit image: RGB, or RGBA whose alpha is passed through untouched. */
export interface Image8 {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
  /** 3 (RGB) or 4 (RGBA). When absent it is inferred from `data.length`. */
  channels?: 3 | 4;
}

export type Severity = 1 | 2 | 3 | 4 | 5;

export interface CorruptOptions {
  /** Per-output seed of numpy's legacy RandomState (SPEC.md §4); used by the random corruptions. */
  seed?: number;
  /**
   * Replayed draws, e.g. a `params.json` entry as-is: `{ angle_deg }` for motion_blur,
   * `{ frost_index, row_start, col_start }` for frost. Unknown keys are ignored.
   */
  params?: Record<string, unknown>;
  /**
   * The six frost textures, frost1…frost6 in that order, already rescaled 1.1× with cv2 INTER_CUBIC and in RGB
   * (the fixture's `textures/frost*_rescaled_rgb.png`). Required by frost.
   */
  frostTextures?: Image8[];
}

/**
 * The internal form every built-in corruption works on: packed RGB (`width·height·3` bytes, row-major, channel
 * fastest). It returns a new packed RGB buffer of the same size and never modifies `rgb`. `corrupt()` converts
 * RGBA to this form and copies the alpha back.
 */
export type RgbCorruptor = (
  rgb: Uint8Array,
  width: number,
  height: number,
  severity: Severity,
  options: CorruptOptions,
) => Uint8Array;

/** The form of externally supplied corruptions (the random ones in `./random/index`). */
export type ImageCorruptor = (img: Image8, severity: number, options: CorruptOptions) => Image8;
