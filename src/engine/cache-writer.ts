import type { CachedPrediction, CellSummary, RunRecord } from '../core/cache-keys';
import { StorageFullError, storePredictions } from './prediction-cache';

/**
 * Writes predictions to the cache off the critical path, in order, one transaction at a time. When storage is
 * full it pauses: nothing pending is dropped, `gate()` holds the run until `retry()` succeeds.
 */
export class CacheWriter {
  private pending: [string, CachedPrediction][] = [];
  /** Cell summaries, written with (never before) the predictions enqueued before them. */
  private summaries: [string, CellSummary][] = [];
  private chain: Promise<void> = Promise.resolve();
  private paused: { error: StorageFullError; release: () => void; wait: Promise<void> } | null = null;
  private failure: unknown = null;

  constructor(
    private run: RunRecord,
    private readonly onPause: (message: string) => void,
    private readonly onResume: () => void,
    /** Where batches go (IndexedDB; tests give a fake). */
    private readonly store: (entries: readonly [string, CachedPrediction][], run: RunRecord, summaries?: readonly [string, CellSummary][]) => Promise<void> = storePredictions,
  ) {}

  get isPaused(): boolean {
    return this.paused !== null;
  }

  get record(): RunRecord {
    return this.run;
  }

  /** The run's image count, known once every cell is listed; stored with the next write. */
  setTotal(total: number): void {
    this.run = { ...this.run, total };
  }

  enqueue(entries: [string, CachedPrediction][]): void {
    this.pending.push(...entries);
    if (!this.paused) this.chain = this.chain.then(() => this.flush());
  }

  /** A finished cell's summary: stored in the transaction of the predictions enqueued so far (or a later one). */
  enqueueSummary(key: string, summary: CellSummary): void {
    this.summaries.push([key, summary]);
    if (!this.paused) this.chain = this.chain.then(() => this.flush());
  }

  /** Resolves when writing may go on (immediately unless storage is full). Rethrows a non-quota failure. */
  async gate(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.paused) await this.paused.wait;
    if (this.failure) throw this.failure;
  }

  /** After the user freed space: try the pending writes again. */
  retry(): void {
    if (!this.paused) return;
    const p = this.paused;
    this.paused = null;
    this.chain = this.chain.then(() => this.flush()).then(() => {
      if (!this.paused) {
        this.onResume();
        p.release();
      } else {
        // Still full: the new pause replaces the old; whoever waits on the old one waits on the new one.
        void this.paused.wait.then(p.release);
      }
    });
  }

  /** Gives up waiting (the run was cancelled): unwritten predictions stay unwritten, as if the tab had closed. */
  abort(reason: unknown): void {
    this.failure = reason;
    this.paused?.release();
    this.paused = null;
  }

  /** Writes everything pending, and marks the run finished when asked. */
  async finish(finished: boolean): Promise<void> {
    for (;;) {
      await this.chain;
      await this.gate();
      if (this.pending.length === 0 && this.summaries.length === 0 && !(finished && !this.run.finished)) return;
      this.chain = this.chain.then(() => this.flush(finished));
    }
  }

  private async flush(finished = false): Promise<void> {
    if (this.paused || this.failure) return;
    const batch = this.pending;
    const summaries = this.summaries;
    if (batch.length === 0 && summaries.length === 0 && !(finished && !this.run.finished)) return;
    const next: RunRecord = {
      ...this.run,
      inferredStored: this.run.inferredStored + batch.length,
      updatedAt: new Date().toISOString(),
      finished: finished || this.run.finished,
    };
    this.pending = [];
    this.summaries = [];
    try {
      await this.store(batch, next, summaries);
      this.run = next;
    } catch (e) {
      this.pending = [...batch, ...this.pending];
      this.summaries = [...summaries, ...this.summaries];
      if (e instanceof StorageFullError) {
        let release!: () => void;
        const wait = new Promise<void>((r) => (release = r));
        this.paused = { error: e, release, wait };
        this.onPause(e.message);
      } else {
        this.failure = e;
      }
    }
  }
}
