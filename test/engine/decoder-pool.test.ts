import { describe, expect, it } from 'vitest';
import type * as Comlink from 'comlink';
import type { DecodedBatch, DecodeJob, DecodeWorkerApi } from '../../workers/protocol/decode';
import type { Preprocessing } from '../../src/engine/decode-image';
import { DecoderPool } from '../../src/engine/decoder-pool';
import { WorkerCrashed } from '../../src/engine/errors';
import type { SupervisedLike } from '../../src/engine/worker-supervisor';

/** A promise bounded in time: a decode that never settles fails the test fast instead of hanging the run. */
function within<T>(p: Promise<T>, ms = 1000): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms))]);
}
const tick = () => new Promise((r) => setTimeout(r, 0));

const prep: Preprocessing = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: 224, resizeTo: 256 };
const jobs = (...names: string[]): DecodeJob[] => names.map((n) => ({ file: new File([], n), kind: 'corrupted' }));
/** What a fake decode returns: the file names as the "failures", so a result shows which batch it is. */
const decoded = (js: DecodeJob[]): DecodedBatch => ({ tensor: new Float32Array(js.length), failures: js.map((j) => (j.file as File).name), decodeMs: 1 });

/**
 * A decode worker that holds its calls ('hold': until it crashes) or answers each a few ms later ('answer'), as a
 * real worker does; a terminated worker never answers. `terminateRejects`: terminate() also rejects pending calls
 * with WorkerCrashed('terminated') (what Supervised does now) rather than leaving them unsettled (a bare worker).
 */
class FakeDecoder implements SupervisedLike<DecodeWorkerApi> {
  dead = false;
  terminated = false;
  inFlight = 0;
  /** Calls that were still in flight when terminate() was called: a decode that can never finish. */
  abandoned = 0;
  private readonly died: Promise<never>;
  private kill: (e: WorkerCrashed) => void = () => {};
  readonly api: Comlink.Remote<DecodeWorkerApi>;
  constructor(
    readonly mode: 'hold' | 'answer' | 'fail',
    private readonly terminateRejects: boolean,
  ) {
    this.died = new Promise<never>((_, reject) => (this.kill = reject));
    this.died.catch(() => {});
    const decodeBatch = (js: DecodeJob[]) =>
      new Promise<DecodedBatch>((resolve, reject) => {
        this.inFlight++;
        if (this.mode === 'fail') return reject(new Error('unsupported preprocessing'));
        if (this.mode === 'answer')
          setTimeout(() => {
            if (this.terminated || this.dead) return;
            this.inFlight--;
            resolve(decoded(js));
          }, 5);
      });
    this.api = { decodeBatch } as unknown as Comlink.Remote<DecodeWorkerApi>;
  }
  call<R>(p: Promise<R>): Promise<R> {
    return this.dead ? this.died : Promise.race([p, this.died]);
  }
  crash(): void {
    this.dead = true;
    this.kill(new WorkerCrashed('decode worker crashed'));
  }
  terminate(): void {
    if (!this.dead) this.abandoned += this.inFlight;
    this.terminated = true;
    if (this.terminateRejects && !this.dead) {
      this.dead = true;
      this.kill(new WorkerCrashed('terminated'));
    }
  }
}

/** A spawn function whose n-th worker (over the whole pool) behaves as modes[n]; later ones answer. */
function fakes(modes: FakeDecoder['mode'][], terminateRejects = true) {
  const made: FakeDecoder[] = [];
  const spawn = () => {
    const w = new FakeDecoder(modes[made.length] ?? 'answer', terminateRejects);
    made.push(w);
    return w;
  };
  return { made, spawn };
}

describe('DecoderPool', () => {
  it('decodes on the slot’s worker', async () => {
    const { made, spawn } = fakes(['answer', 'answer']);
    const pool = new DecoderPool(2, spawn);
    expect(pool.size).toBe(2);
    await expect(within(pool.decode(3, jobs('a.JPEG'), prep))).resolves.toMatchObject({ failures: ['a.JPEG'] });
    expect(made).toHaveLength(2);
  });

  // Fault 1: both failed calls used to replace the worker, so the second replacement terminated the first one
  // under batch 0's retry, which then never settled (or, with a supervisor that rejects on terminate, failed).
  it.each([
    ['terminate() rejects pending calls (Supervised)', true],
    ['a terminated worker never answers (bare worker)', false],
  ])('replaces a worker that crashed with two batches queued once, and decodes both again on the replacement — %s', async (_, terminateRejects) => {
    const { made, spawn } = fakes(['hold'], terminateRejects);
    const pool = new DecoderPool(1, spawn);
    const first = pool.decode(0, jobs('a.JPEG', 'b.JPEG'), prep);
    const second = pool.decode(1, jobs('c.JPEG'), prep);
    await tick();
    made[0].crash();
    const [r0, r1] = await within(Promise.all([first, second]));
    expect(r0.failures).toEqual(['a.JPEG', 'b.JPEG']);
    expect(r1.failures).toEqual(['c.JPEG']);
    expect(made).toHaveLength(2); // one replacement, not one per failed call
    expect(made[1].abandoned).toBe(0); // nothing was terminated under a running decode
    expect(made[1].terminated).toBe(false);
  });

  it('retries a batch once: a second crash on it rejects with WorkerCrashed naming the batch, and the slot still works', async () => {
    const { made, spawn } = fakes(['hold', 'hold']);
    const pool = new DecoderPool(1, spawn);
    const p = pool.decode(4, jobs('n01440764_10.JPEG'), prep);
    p.catch(() => {});
    await tick();
    made[0].crash();
    await tick();
    expect(made).toHaveLength(2);
    made[1].crash();
    const err = await within(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerCrashed);
    expect((err as Error).message).toMatch(/batch 4/);
    expect((err as Error).message).toMatch(/n01440764_10\.JPEG/);
    expect(made).toHaveLength(3);
    await expect(within(pool.decode(5, jobs('d.JPEG'), prep))).resolves.toMatchObject({ failures: ['d.JPEG'] });
  });

  it('passes an error that is not a crash through, without replacing the worker', async () => {
    const { made, spawn } = fakes(['fail']);
    const pool = new DecoderPool(1, spawn);
    await expect(within(pool.decode(0, jobs('a.JPEG'), prep))).rejects.toThrow('unsupported preprocessing');
    expect(made).toHaveLength(1);
  });

  it('stop() ends pending decodes with WorkerCrashed and starts no replacement', async () => {
    const { made, spawn } = fakes(['hold', 'hold']);
    const pool = new DecoderPool(2, spawn);
    const p = pool.decode(0, jobs('a.JPEG'), prep);
    await tick();
    pool.stop();
    await expect(within(p)).rejects.toThrow(WorkerCrashed);
    expect(made).toHaveLength(2);
    expect(made.every((w) => w.terminated)).toBe(true);
  });
});
