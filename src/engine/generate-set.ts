import type * as Comlink from 'comlink';
import type { CleanImage } from '../core/dataset-discovery';
import type { Image8 } from '../core/corruptions/types';
import type { CorruptWorkerApi, GenerateJob } from '../../workers/corrupt.worker';
import type { PickedFile } from './picked-files';
import { spawnWorker } from './worker-supervisor';

export interface GenerateProgress {
  /** Corrupted images made so far (clean images × corruptions × severities). */
  readonly done: number;
  readonly total: number;
  readonly imagesPerSec: number;
  readonly etaSec: number | null;
}

export interface GenerateOptions {
  readonly corruptions: readonly string[];
  readonly severities: readonly number[];
  readonly baseSeed: number;
  readonly workers: number;
  /** frost1…frost6, 1.1× rescaled RGB (`options.frostTextures`); our procedural ones when absent. */
  readonly frostTextures?: Image8[];
  /**
   * The generated files' modification time. Default: now. A fixed stamp (the demo's) lets an identical regenerated set
   * reuse the prediction cache, whose reuse rule compares size and date.
   */
  readonly lastModified?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: GenerateProgress) => void;
}

/** A generated JPEG with the CRC-32 the worker computed (a zip of the set needs it). */
export interface GeneratedFile extends PickedFile {
  readonly crc32: number;
}

export interface GeneratedSet {
  readonly files: GeneratedFile[];
  readonly failures: { path: string; reason: string }[];
}

/** Thrown when the signal aborts: the worker pool is terminated at once; what was finished is kept. */
export class GenerateCancelled extends Error {
  override name = 'AbortError';
  constructor(
    /** Complete clean images only (every chosen corruption × severity of each), sorted by path. */
    readonly partial: GeneratedSet,
    readonly cleanDone: number,
    readonly cleanTotal: number,
  ) {
    super('cancelled');
  }
}

export const GENERATED_ROOT = 'generated';

/**
 * Corrupts every clean image at every chosen corruption and severity in a pool of workers, as in-memory JPEG
 * files laid out like ImageNet-C (`generated/<corruption>/<severity>/<class>/<stem>.JPEG`), ready to evaluate,
 * to write to a folder or to zip.
 */
export async function generateSet(images: readonly CleanImage[], fileOf: (path: string) => Blob, o: GenerateOptions): Promise<GeneratedSet> {
  const jobs: GenerateJob[] = o.corruptions.flatMap((corruption) => o.severities.map((severity) => ({ corruption, severity })));
  const workers = Array.from({ length: Math.max(1, Math.min(o.workers, images.length)) }, () =>
    spawnWorker<CorruptWorkerApi>(() => new Worker(new URL('../../workers/corrupt.worker.ts', import.meta.url), { type: 'module', name: 'corrupt' })),
  );
  const apis = workers.map((w) => w.api);
  const files: GeneratedFile[] = [];
  const failures: { path: string; reason: string }[] = [];
  let next = 0;
  let done = 0;
  let cleanDone = 0;
  const total = images.length * jobs.length;
  const started = performance.now();
  const report = () => {
    const sec = (performance.now() - started) / 1000;
    const rate = done / Math.max(sec, 1e-9);
    o.onProgress?.({ done, total, imagesPerSec: rate, etaSec: done ? (total - done) / rate : null });
  };
  const sorted = (): GeneratedSet => ({ files: [...files].sort((a, b) => (a.path < b.path ? -1 : 1)), failures: [...failures] });
  let rejectCancel: (e: Error) => void = () => {};
  const cancelled = new Promise<never>((_, reject) => (rejectCancel = reject));
  const onAbort = () => rejectCancel(new GenerateCancelled(sorted(), cleanDone, images.length));
  const work = async (api: Comlink.Remote<CorruptWorkerApi>) => {
    if (jobs.some((j) => j.corruption === 'frost')) await api.setFrostTextures(o.frostTextures ?? null);
    while (next < images.length && !o.signal?.aborted) {
      const im = images[next++];
      const stem = im.fileName.replace(/\.[^.]+$/, '');
      try {
        const made = await api.generate(fileOf(im.path), im.classFolder, stem, jobs, o.baseSeed);
        if (o.signal?.aborted) return;
        for (const g of made) {
          const path = `${GENERATED_ROOT}/${g.corruption}/${g.severity}/${im.classFolder}/${stem}.JPEG`;
          files.push({ path, crc32: g.crc32, file: new File([g.jpeg as Uint8Array<ArrayBuffer>], `${stem}.JPEG`, { type: 'image/jpeg', lastModified: o.lastModified }) });
        }
      } catch (e) {
        if (o.signal?.aborted) return;
        failures.push({ path: im.path, reason: (e as Error).message });
      }
      cleanDone++;
      done += jobs.length;
      report();
    }
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    report();
    await Promise.race([Promise.all(apis.map(work)), cancelled]);
    if (o.signal?.aborted) throw new GenerateCancelled(sorted(), cleanDone, images.length);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    // Terminating mid-image is what makes Cancel prompt: an image's 95 corruptions can take many seconds.
    workers.forEach((w) => w.terminate());
  }
  return sorted();
}

/** Writes a generated set under a folder the user picked (File System Access API), stopping at the signal. */
export async function writeToDirectory(dir: FileSystemDirectoryHandle, files: readonly PickedFile[], o: { signal?: AbortSignal; onProgress?: (written: number, total: number) => void } = {}): Promise<number> {
  let written = 0;
  const handles = new Map<string, FileSystemDirectoryHandle>();
  for (const f of files) {
    if (o.signal?.aborted) break;
    const parts = f.path.split('/').slice(1); // drop the "generated" root: the picked folder is the root
    let d = dir;
    for (let i = 0; i < parts.length - 1; i++) {
      const key = parts.slice(0, i + 1).join('/');
      let h = handles.get(key);
      if (!h) {
        h = await d.getDirectoryHandle(parts[i], { create: true });
        handles.set(key, h);
      }
      d = h;
    }
    const handle = await d.getFileHandle(parts[parts.length - 1], { create: true });
    const w = await (handle as FileSystemFileHandle & { createWritable(): Promise<FileSystemWritableFileStream> }).createWritable();
    await w.write(f.file);
    await w.close();
    written++;
    o.onProgress?.(written, files.length);
  }
  return written;
}
