import * as Comlink from 'comlink';
import type { DecodeWorkerApi } from '../../workers/decode.worker';
import { summarizeSsim, type SsimAnalysis, type SsimPair } from '../core/ssim-plan';
import { preprocessingOf, type PreprocessingFields } from '../core/preprocessing';
import { RunCancelled } from './errors';

export interface SsimProgress {
  done: number;
  total: number;
}

const CHUNK = 16;

/**
 * Measures SSIM of every pair in a pool of decode workers (one per core): chunks go to whichever worker is free.
 * Needs no model: the numbers describe the dataset as the model's preprocessing presents it.
 */
export async function measureSsim(
  pairs: readonly SsimPair[],
  fileOf: (path: string) => Promise<Blob | undefined> | Blob | undefined,
  card: PreprocessingFields,
  opts: { mode: SsimAnalysis['mode']; cap: number | null; signal?: AbortSignal; onProgress?: (p: SsimProgress) => void },
): Promise<SsimAnalysis> {
  const size = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8));
  const workers = Array.from({ length: size }, (_, i) => new Worker(new URL('../../workers/decode.worker.ts', import.meta.url), { type: 'module', name: `ssim-${i}` }));
  const apis = workers.map((w) => Comlink.wrap<DecodeWorkerApi>(w));
  const values: (number | null)[] = new Array(pairs.length).fill(null);
  let next = 0;
  let done = 0;
  const prep = preprocessingOf(card);
  const loop = async (api: Comlink.Remote<DecodeWorkerApi>) => {
    while (next < pairs.length) {
      if (opts.signal?.aborted) throw new RunCancelled();
      const start = next;
      next = Math.min(pairs.length, next + CHUNK);
      const chunk = pairs.slice(start, next);
      const open = async (path: string) => {
        try {
          return await fileOf(path);
        } catch {
          return undefined; // a file that vanished since the run: left out like an undecodable one
        }
      };
      const jobs = await Promise.all(chunk.map(async (p) => ({ corrupted: await open(p.corruptedPath), clean: await open(p.cleanPath) })));
      const usable = jobs.map((j) => !!j.corrupted && !!j.clean);
      const got = await api.ssimPairs(jobs.filter((_, i) => usable[i]) as { corrupted: Blob; clean: Blob }[], prep, opts.mode);
      let k = 0;
      usable.forEach((u, i) => (values[start + i] = u ? got[k++] : null));
      done += chunk.length;
      opts.onProgress?.({ done, total: pairs.length });
    }
  };
  try {
    opts.onProgress?.({ done: 0, total: pairs.length });
    await Promise.all(apis.map(loop));
  } finally {
    workers.forEach((w) => w.terminate());
  }
  return summarizeSsim(pairs, values, opts.mode, opts.cap);
}
