/**
 * The official ImageNet-C frost textures, loaded the way imagecorruptions 1.1.2 prepares them (SPEC.md §2, frost):
 * `cv2.imread` (alpha dropped; BGR, which does not matter for a per-channel resize) then
 * `cv2.resize(tex, (ceil(W·1.1), ceil(H·1.1)), interpolation=cv2.INTER_CUBIC)`, the scale for 224-pixel inputs.
 * Either the six original files (`frost1.png` … `frost3.png`, `frost4.jpg` … `frost6.jpg`) or the already rescaled
 * `frost{1..6}_rescaled_rgb.png` of the fixtures are accepted; names are matched case-insensitively. Pure: the
 * caller decodes the files.
 */
import { resizeCubicCv2 } from '../cv2-resize-cubic';
import { FROST_TEXTURE_SIZES } from './frost-textures';
import type { Image8 } from './types';

/** The official file names, frost1 … frost6. */
export const FROST_TEXTURE_FILES = ['frost1.png', 'frost2.png', 'frost3.png', 'frost4.jpg', 'frost5.jpg', 'frost6.jpg'] as const;

/** Height × width of the official originals, frost1 … frost6 (textures/frost_textures.json `hw`). */
export const FROST_ORIGINAL_SIZES: readonly [number, number][] = [
  [600, 900],
  [315, 560],
  [315, 560],
  [350, 527],
  [495, 660],
  [323, 485],
];

/** imagecorruptions' frost draws `randint(5)`: frost6 is never used, so it may be left out. */
const NEVER_DRAWN = 5;

export type FrostFileKind = 'original' | 'rescaled';

export interface FrostFileMatch {
  /** 0-based texture index (frost1 = 0). */
  readonly index: number;
  readonly kind: FrostFileKind;
  /** The name as given (a path or a bare file name). */
  readonly name: string;
}

export interface FrostFilePlan {
  /** One entry per texture found, in frost1 … frost6 order. */
  readonly matches: FrostFileMatch[];
  /** Names that are not frost textures (listed, not fatal: a folder may hold a README or frost_textures.json). */
  readonly ignored: string[];
}

export class FrostTextureError extends Error {
  override name = 'FrostTextureError';
}

const ORIGINAL = /^frost([1-6])\.(png|jpg)$/i;
const RESCALED = /^frost([1-6])_rescaled_rgb\.png$/i;

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * Which of the given file names are which frost texture. Throws a FrostTextureError when one of frost1–frost5 is
 * missing, when a texture is given twice (e.g. both `frost1.png` and `frost1_rescaled_rgb.png`), or when an
 * original has the wrong extension (`frost4.png`: the official frost4 is a JPEG).
 */
export function matchFrostTextureFiles(names: readonly string[]): FrostFilePlan {
  const found: (FrostFileMatch | undefined)[] = new Array(6).fill(undefined);
  const ignored: string[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const base = baseName(name);
    const original = ORIGINAL.exec(base);
    const rescaled = RESCALED.exec(base);
    if (!original && !rescaled) {
      ignored.push(name);
      continue;
    }
    const index = Number((original ?? rescaled)![1]) - 1;
    if (original && original[2].toLowerCase() !== FROST_TEXTURE_FILES[index].slice(-3)) {
      problems.push(`${name}: the official frost${index + 1} is ${FROST_TEXTURE_FILES[index]}`);
      continue;
    }
    const prior = found[index];
    if (prior) {
      problems.push(`frost${index + 1} is given twice: ${prior.name} and ${name}`);
      continue;
    }
    found[index] = { index, kind: original ? 'original' : 'rescaled', name };
  }
  const missing = found.slice(0, NEVER_DRAWN).flatMap((m, i) => (m ? [] : [FROST_TEXTURE_FILES[i]]));
  if (missing.length) problems.unshift(`missing ${missing.join(', ')} (expected the six official frost textures, frost1.png … frost6.jpg, or frost1_rescaled_rgb.png … )`);
  if (problems.length) throw new FrostTextureError(problems.join('; '));
  return { matches: found.filter((m): m is FrostFileMatch => !!m), ignored };
}

/** `(ceil(W·1.1), ceil(H·1.1))` in float64, as imagecorruptions computes it (900·1.1 = 990.0000000000001 → 991). */
export function frostRescaledSize(width: number, height: number): [number, number] {
  return [Math.ceil(width * 1.1), Math.ceil(height * 1.1)];
}

function toRgb(img: Image8): Image8 {
  const n = img.width * img.height;
  const cn = img.channels ?? (img.data.length === n * 4 ? 4 : img.data.length === n * 3 ? 3 : 0);
  if (cn === 3) return { width: img.width, height: img.height, data: img.data, channels: 3 };
  if (cn !== 4 || img.data.length !== n * 4) throw new FrostTextureError(`${img.data.length} bytes is not an RGB or RGBA ${img.width}x${img.height} image`);
  const rgb = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    rgb[i * 3] = img.data[j];
    rgb[i * 3 + 1] = img.data[j + 1];
    rgb[i * 3 + 2] = img.data[j + 2];
  }
  return { width: img.width, height: img.height, data: rgb, channels: 3 };
}

/** One original texture (RGB or RGBA; alpha is dropped like cv2.imread does) → its 1.1× INTER_CUBIC rescale. */
export function rescaleFrostTexture(img: Image8): Image8 {
  const rgb = toRgb(img);
  const [w, h] = frostRescaledSize(rgb.width, rgb.height);
  return { width: w, height: h, data: resizeCubicCv2(rgb, w, h, 3), channels: 3 };
}

export interface DecodedFrostFile extends FrostFileMatch {
  readonly image: Image8;
}

export interface FrostTextureSet {
  /** frost1 … frost6 (frost6 may be absent: it is never drawn), RGB, rescaled 1.1× — `options.frostTextures`. */
  readonly textures: Image8[];
  /** True when every texture has the official size: then frost reproduces ImageNet-C (the package's) exactly. */
  readonly official: boolean;
  /** One line for a result's notes: where the textures came from. */
  readonly description: string;
  readonly warnings: string[];
}

/**
 * Decoded frost textures (as matched by matchFrostTextureFiles) → `options.frostTextures`: originals are rescaled
 * here exactly as the reference does, `_rescaled_rgb` files are used as they are. A texture whose size is not the
 * official one is accepted with a warning (the frost is then not ImageNet-C's), one too small for a 224×224 crop
 * is refused.
 */
export function frostTexturesFromDecoded(files: readonly DecodedFrostFile[]): FrostTextureSet {
  const byIndex: (DecodedFrostFile | undefined)[] = new Array(6).fill(undefined);
  for (const f of files) {
    if (byIndex[f.index]) throw new FrostTextureError(`frost${f.index + 1} is given twice: ${byIndex[f.index]!.name} and ${f.name}`);
    byIndex[f.index] = f;
  }
  const warnings: string[] = [];
  const textures: Image8[] = [];
  let official = true;
  for (let i = 0; i < 6; i++) {
    const f = byIndex[i];
    if (!f) {
      if (i === NEVER_DRAWN && textures.length === NEVER_DRAWN) break;
      throw new FrostTextureError(`missing ${FROST_TEXTURE_FILES[i]}`);
    }
    const [oh, ow] = FROST_ORIGINAL_SIZES[i];
    const [rh, rw] = FROST_TEXTURE_SIZES[i];
    const { width, height } = f.image;
    const expected = f.kind === 'original' ? [ow, oh] : [rw, rh];
    if (width !== expected[0] || height !== expected[1]) {
      official = false;
      warnings.push(`${f.name} is ${width}×${height}, the official ${f.kind === 'original' ? FROST_TEXTURE_FILES[i] : `frost${i + 1} rescaled`} is ${expected[0]}×${expected[1]}: frost will not be ImageNet-C's`);
    }
    const tex = f.kind === 'original' ? rescaleFrostTexture(f.image) : toRgb(f.image);
    if (tex.width < 224 || tex.height < 224) {
      throw new FrostTextureError(`${f.name}: ${tex.width}×${tex.height} after rescaling is too small for a 224×224 crop`);
    }
    textures.push(tex);
  }
  const kinds = new Set(files.map((f) => f.kind));
  const how = kinds.size === 2 ? 'originals rescaled 1.1× here and pre-rescaled files' : kinds.has('original') ? 'originals, rescaled 1.1× with cv2 INTER_CUBIC semantics' : 'pre-rescaled (1.1×) files';
  const description = `frost textures: ${official ? 'official ImageNet-C' : 'user-supplied (not the official sizes)'} — ${how}${textures.length === NEVER_DRAWN ? '; frost6 absent (never drawn)' : ''}`;
  return { textures, official, description, warnings };
}

/** The note for frost made with our procedural textures. */
export const PROCEDURAL_FROST_NOTE = "frost textures: procedural (ShiftLens's own) — frost is frost-like, not ImageNet-C's; load the official textures for exact ImageNet-C frost";
