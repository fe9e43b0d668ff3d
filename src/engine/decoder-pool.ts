import type { DecodedBatch, DecodeJob, DecodeWorkerApi } from '../../workers/protocol/decode';
import type { Preprocessing } from './decode-image';
import { WorkerCrashed } from './errors';
import { spawnWorker, type SupervisedLike } from './worker-supervisor';

/** A decode worker, started the one way (Vite bundles the worker from this `new URL(…, import.meta.url)`). */
export const spawnDecodeWorker = (i: number): SupervisedLike<DecodeWorkerApi> =>
  spawnWorker<DecodeWorkerApi>(() => new Worker(new URL('../../workers/decode.worker.ts', import.meta.url), { type: 'module', name: `decode-${i}` }));

/**
 * JPEG decoding in a fixed set of workers, batch `slot` on worker `slot % size`. A worker that crashes is replaced
 * once, by whichever of its failed calls sees it first, and every batch that was queued on it is decoded again on
 * the replacement — once: a batch whose second attempt crashes too rejects with WorkerCrashed naming it.
 */
export class DecoderPool {
  private readonly workers: SupervisedLike<DecodeWorkerApi>[];
  private stopped = false;

  constructor(
    size: number,
    private readonly spawn: (i: number) => SupervisedLike<DecodeWorkerApi> = spawnDecodeWorker,
  ) {
    this.workers = Array.from({ length: Math.max(1, size) }, (_, i) => spawn(i));
  }

  get size(): number {
    return this.workers.length;
  }

  async decode(slot: number, jobs: DecodeJob[], prep: Preprocessing): Promise<DecodedBatch> {
    const i = slot % this.workers.length;
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) throw new WorkerCrashed('decoder pool stopped');
      const worker = this.workers[i];
      try {
        return await worker.call(worker.api.decodeBatch(jobs, prep));
      } catch (e) {
        if (!(e instanceof WorkerCrashed) || this.stopped) throw e;
        // Generation check: several calls queued on one worker all fail when it dies. Only the first to get here
        // replaces it; the others find the replacement already in the slot and retry on it. (Replacing it again
        // would terminate the replacement under the first batch's retry, which would then never settle.)
        if (this.workers[i] === worker) {
          worker.terminate();
          this.workers[i] = this.spawn(i);
        }
        if (attempt >= 2) throw new WorkerCrashed(`decode worker crashed twice on ${describeBatch(slot, jobs)} (${e.message})`, { cause: e });
      }
    }
  }

  /** Terminates every worker: pending decodes reject with WorkerCrashed and nothing is restarted. */
  stop(): void {
    this.stopped = true;
    this.workers.forEach((w) => w.terminate());
  }
}

function describeBatch(slot: number, jobs: readonly DecodeJob[]): string {
  const names = jobs.map((j) => (j.file as Partial<File>).name).filter((n): n is string => !!n);
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? `, … (${jobs.length} images)` : '');
  return `batch ${slot}${shown ? ` [${shown}]` : ` (${jobs.length} images)`}`;
}
