import { ZipWriter } from '../core/zip-writer';
import type { GeneratedFile } from './generate-set';

export const GENERATED_ZIP_NAME = 'imagenet-c-generated.zip';

/**
 * A generated set as a zip Blob in the ImageNet-C layout `<corruption>/<severity>/<wnid>/<stem>.JPEG` (the
 * "generated/" root dropped), STORED: the JPEGs go in as the Blobs they are, so nothing is copied into one buffer.
 */
export function zipGeneratedSet(files: readonly GeneratedFile[], modified = new Date()): Blob {
  const parts: BlobPart[] = [];
  const zip = new ZipWriter<Blob>((p) => parts.push(p as BlobPart), { modified });
  for (const f of files) zip.add({ name: f.path.split('/').slice(1).join('/'), size: f.file.size, crc32: f.crc32 }, f.file);
  zip.finish();
  return new Blob(parts, { type: 'application/zip' });
}
