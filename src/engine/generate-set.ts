import * as Comlink from 'comlink';
import type { CleanImage } from '../core/dataset-discovery';
import type { CorruptWorkerApi, GenerateJob } from '../../workers/corrupt.worker';
import type { PickedFile } from './picked-files';

export interface GenerateOptions {
  readonly corruptions: readonly string[];
  readonly severities: readonly number[];
  readonly baseSeed: number;
  readonly workers: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface GeneratedSet {
  readonly files: PickedFile[];
  readonly failures: { path: string; reason: string }[];
}

export const GENERATED_ROOT = 'generated';

/**
 * Corrupts every clean image at every chosen corruption and severity in a pool of workers, as in-memory JPEG
 * files laid out like ImageNet-C (`generated/<corruption>/<severity>/<class>/<stem>.JPEG`), ready to evaluate
 * or to write to a folder.
 */
export async function generateSet(images: readonly CleanImage[], fileOf: (path: string) => Blob, o: GenerateOptions): Promise<GeneratedSet> {
  const jobs: GenerateJob[] = o.corruptions.flatMap((corruption) => o.severities.map((severity) => ({ corruption, severity })));
  const workers = Array.from({ length: Math.max(1, o.workers) }, () => new Worker(new URL('../../workers/corrupt.worker.ts', import.meta.url), { type: 'module', name: 'corrupt' }));
  const apis = workers.map((w) => Comlink.wrap<CorruptWorkerApi>(w));
  const files: PickedFile[] = [];
  const failures: { path: string; reason: string }[] = [];
  let next = 0;
  let done = 0;
  const total = images.length * jobs.length;
  const work = async (api: Comlink.Remote<CorruptWorkerApi>) => {
    while (next < images.length) {
      if (o.signal?.aborted) throw new DOMException('cancelled', 'AbortError');
      const im = images[next++];
      const stem = im.fileName.replace(/\.[^.]+$/, '');
      try {
        for (const g of await api.generate(fileOf(im.path), im.classFolder, stem, jobs, o.baseSeed)) {
          const path = `${GENERATED_ROOT}/${g.corruption}/${g.severity}/${im.classFolder}/${stem}.JPEG`;
          files.push({ path, file: new File([g.jpeg as Uint8Array<ArrayBuffer>], `${stem}.JPEG`, { type: 'image/jpeg' }) });
        }
      } catch (e) {
        failures.push({ path: im.path, reason: (e as Error).message });
      }
      done += jobs.length;
      o.onProgress?.(done, total);
    }
  };
  try {
    await Promise.all(apis.map(work));
  } finally {
    workers.forEach((w) => w.terminate());
  }
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { files, failures };
}

/** Writes a generated set under a folder the user picked (File System Access API). */
export async function writeToDirectory(dir: FileSystemDirectoryHandle, files: readonly PickedFile[]): Promise<void> {
  for (const f of files) {
    const parts = f.path.split('/').slice(1); // drop the "generated" root: the picked folder is the root
    let d = dir;
    for (const p of parts.slice(0, -1)) d = await d.getDirectoryHandle(p, { create: true });
    const handle = await d.getFileHandle(parts[parts.length - 1], { create: true });
    const w = await (handle as FileSystemFileHandle & { createWritable(): Promise<FileSystemWritableFileStream> }).createWritable();
    await w.write(f.file);
    await w.close();
  }
}
