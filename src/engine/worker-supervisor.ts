import * as Comlink from 'comlink';
import { WorkerCrashed } from './errors';

/** Just what comlink (its Endpoint) and the supervisor need of a worker; a DOM Worker is one. */
export interface WorkerLike extends Comlink.Endpoint {
  terminate(): void;
}

/** A worker as the pool and the engine use it: tests give them fakes of this. */
export interface SupervisedLike<T> {
  readonly api: Comlink.Remote<T>;
  /** True once the worker died or was terminated: every call on it rejects with WorkerCrashed. */
  readonly dead: boolean;
  /** `p` (a call on `api`), or WorkerCrashed if the worker dies or is terminated before it settles. */
  call<R>(p: Promise<R>): Promise<R>;
  terminate(): void;
}

/**
 * A worker that can die: every call races the worker's death. Death is its `error` event (a script that failed to
 * load, an uncaught exception), a `messageerror`, or our own terminate(): a terminated worker never answers, so
 * terminate() rejects every pending and later call with WorkerCrashed('terminated') instead of leaving it
 * unsettled forever.
 */
export class Supervised<T> implements SupervisedLike<T> {
  readonly api: Comlink.Remote<T>;
  private readonly died: Promise<never>;
  private reject: (e: WorkerCrashed) => void = () => {};
  private isDead = false;
  private readonly onError = (e: Event) => this.die(new WorkerCrashed((e as Partial<ErrorEvent>).message || 'worker error'));
  private readonly onMessageError = () => this.die(new WorkerCrashed('message could not be read'));

  constructor(private readonly worker: WorkerLike) {
    this.api = Comlink.wrap<T>(worker);
    this.died = new Promise<never>((_, reject) => (this.reject = reject));
    this.died.catch(() => {}); // nobody may be calling when it dies
    worker.addEventListener('error', this.onError);
    worker.addEventListener('messageerror', this.onMessageError);
  }

  get dead(): boolean {
    return this.isDead;
  }

  call<R>(p: Promise<R>): Promise<R> {
    if (this.isDead) {
      p.catch(() => {}); // it will not settle, or settles too late to matter
      return this.died;
    }
    return Promise.race([p, this.died]);
  }

  terminate(): void {
    this.die(new WorkerCrashed('terminated'));
    this.worker.removeEventListener('error', this.onError);
    this.worker.removeEventListener('messageerror', this.onMessageError);
    this.worker.terminate();
  }

  private die(e: WorkerCrashed): void {
    if (this.isDead) return;
    this.isDead = true;
    this.reject(e);
  }
}

/**
 * The one way to start a worker: `factory` makes it (keep `new Worker(new URL('…', import.meta.url), …)` inside the
 * factory, in the calling module, so Vite finds and bundles the worker script) and the result is supervised.
 */
export function spawnWorker<T>(factory: () => WorkerLike): Supervised<T> {
  return new Supervised<T>(factory());
}
