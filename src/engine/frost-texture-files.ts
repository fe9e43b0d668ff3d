import { decodeJpeg } from '../core/corruptions/jpeg/decode';
import { frostTexturesFromDecoded, matchFrostTextureFiles, type DecodedFrostFile, type FrostTextureSet } from '../core/corruptions/frost-texture-loader';
import type { Image8 } from '../core/corruptions/types';
import { decodePixels } from './decode-image';
import type { PickedFile } from './picked-files';

export interface LoadedFrostTextures extends FrostTextureSet {
  /** Files of the folder that are not frost textures. */
  readonly ignored: string[];
}

/**
 * Decodes like `cv2.imread` (which equals Pillow's RGB for every official texture, frost_textures.json
 * `cv2_equals_pil_rgb`): JPEGs with the libjpeg-turbo-exact decoder, falling back to the browser's for what it does
 * not cover (progressive files); PNGs with the browser's decoder (lossless; alpha dropped later), no colour
 * conversion.
 */
async function decodeTexture(file: File): Promise<Image8> {
  if (/\.jpe?g$/i.test(file.name)) {
    try {
      const d = decodeJpeg(new Uint8Array(await file.arrayBuffer()));
      return { width: d.width, height: d.height, data: d.data, channels: 3 };
    } catch {
      // not baseline: the browser decodes it (libjpeg-turbo too, within ±1 of cv2)
    }
  }
  const img = await decodePixels(file);
  return { width: img.width, height: img.height, data: img.data, channels: img.channels as 3 | 4 };
}

/** The official frost textures from the files of a picked folder (or a multiple-file input) → `options.frostTextures`. */
export async function loadFrostTextureFiles(files: readonly PickedFile[]): Promise<LoadedFrostTextures> {
  const plan = matchFrostTextureFiles(files.map((f) => f.path));
  const byPath = new Map(files.map((f) => [f.path, f.file]));
  const decoded: DecodedFrostFile[] = await Promise.all(
    plan.matches.map(async (m) => {
      try {
        return { ...m, image: await decodeTexture(byPath.get(m.name)!) };
      } catch (e) {
        throw new Error(`${m.name}: ${(e as Error).message}`);
      }
    }),
  );
  return { ...frostTexturesFromDecoded(decoded), ignored: plan.ignored };
}
