import * as Comlink from 'comlink';
import { corrupt } from '../src/core/corruptions/index';
import { encodeJpeg } from '../src/core/corruptions/jpeg/encode';
import { crc32 } from '../src/core/crc32';
import { outputSeed } from '../src/core/corruptions/seeds';
import { proceduralFrostTextures } from '../src/core/corruptions/frost-textures';
import type { Image8, Severity } from '../src/core/corruptions/types';
import { resizeAndCenterCrop } from '../src/core/pillow-resize';
import { decodePixels } from '../src/engine/decode-image';

export interface GenerateJob {
  readonly corruption: string;
  readonly severity: number;
}

export interface GeneratedImage extends GenerateJob {
  /** The corrupted 224×224 image as ImageNet-C saved it: JPEG quality 85, optimised Huffman tables. */
  readonly jpeg: Uint8Array;
  /** CRC-32 of `jpeg`, for a zip of the set. */
  readonly crc32: number;
}

let frost: Image8[] | null = null;

const api = {
  /** The six frost textures (frost1…frost6, already 1.1× rescaled); our procedural ones when never set. */
  setFrostTextures(textures: Image8[] | null): void {
    frost = textures;
  },

  /**
   * One clean image → its ImageNet-C versions: shorter side 256, centre crop 224 (Pillow-exact), each corruption
   * seeded as ImageNet-C-mini was, then saved as quality-85 JPEG.
   */
  async generate(file: Blob, classFolder: string, stem: string, jobs: GenerateJob[], baseSeed: number): Promise<GeneratedImage[]> {
    const crop = resizeAndCenterCrop(await decodePixels(file), 256, 224);
    const rgb: Image8 = { width: crop.width, height: crop.height, data: crop.data, channels: 3 };
    const out: GeneratedImage[] = [];
    for (const job of jobs) {
      if (job.corruption === 'frost') frost ??= proceduralFrostTextures();
      const seed = await outputSeed(baseSeed, classFolder, stem, job.corruption, job.severity);
      const img = corrupt(rgb, job.corruption, job.severity as Severity, { seed, frostTextures: frost ?? undefined });
      const jpeg = encodeJpeg(img.data as Uint8Array, img.width, img.height, 85, { optimize: true });
      out.push({ ...job, jpeg, crc32: crc32(jpeg) });
    }
    return Comlink.transfer(out, out.map((o) => o.jpeg.buffer as ArrayBuffer));
  },
};

export type CorruptWorkerApi = typeof api;
Comlink.expose(api);
