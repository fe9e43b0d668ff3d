import { jpegIsTruncated, stripOrientationAndColorProfile } from '../core/jpeg-segments';
import { normalizeToChw, type Triple } from '../core/normalize';
import { BICUBIC, BILINEAR, resizeAndCenterCrop, type RgbImage } from '../core/pillow-resize';
import type { Interpolation } from '../core/interpolation';

export interface Preprocessing {
  readonly mean: Triple;
  readonly std: Triple;
  readonly inputSize: number;
  /** Clean images: shorter side to this, then centre crop `inputSize`. */
  readonly resizeTo: number;
  /** Filter of that resize; bilinear when absent. */
  readonly interpolation?: Interpolation;
}

/** 'corrupted' = ImageNet-C (already input-sized, no resize); 'clean' = resize + centre crop. */
export type ImageKind = 'corrupted' | 'clean';

export const DECODER_DESCRIPTION =
  'browser createImageBitmap (EXIF/ICC segments stripped, no colour conversion); clean: Pillow-exact resize (the card\'s interpolation, bilinear by default) + centre crop';

let canvas: OffscreenCanvas | null = null;
let context: OffscreenCanvasRenderingContext2D | null = null;

/** One canvas per worker, resized as needed: creating one per image costs more than the decode. */
function canvasOf(width: number, height: number): OffscreenCanvasRenderingContext2D {
  if (!canvas || !context) {
    canvas = new OffscreenCanvas(width, height);
    context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('no 2D canvas in this worker');
  } else if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  return context;
}

/** Decodes like Pillow's `convert('RGB')`: no EXIF rotation, no ICC colour conversion, greyscale → 3 channels. */
export async function decodePixels(blob: Blob): Promise<RgbImage> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  if (bytes.length === 0) throw new Error('empty file (0 bytes)');
  if (jpegIsTruncated(bytes)) throw new Error('truncated JPEG (no end-of-image marker)');
  const stripped = stripOrientationAndColorProfile(bytes);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(stripped === bytes ? blob : new Blob([stripped as Uint8Array<ArrayBuffer>]), {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
    });
  } catch {
    throw new Error('not a decodable image (truncated or corrupt?)');
  }
  const { width, height } = bitmap;
  const ctx = canvasOf(width, height);
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const data = ctx.getImageData(0, 0, width, height).data;
  return { width, height, data, channels: 4 };
}

/** Pixels of the model's input size, per the ImageNet-C / clean-val protocol. */
export function toInputPixels(img: RgbImage, kind: ImageKind, prep: Preprocessing): RgbImage {
  const s = prep.inputSize;
  if (kind === 'corrupted' && img.width === s && img.height === s) return img;
  return resizeAndCenterCrop(img, prep.resizeTo, s, prep.interpolation === 'bicubic' ? BICUBIC : BILINEAR);
}

export function writeInputTensor(img: RgbImage, prep: Preprocessing, out: Float32Array, offset: number): void {
  normalizeToChw(img.data, img.channels, img.width, img.height, prep.mean, prep.std, out, offset);
}
