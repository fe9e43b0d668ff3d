import { describe, expect, it } from 'vitest';
import { WorkerCrashed } from '../../src/engine/errors';
import { spawnWorker, Supervised, type WorkerLike } from '../../src/engine/worker-supervisor';

/** A promise bounded in time: a call that never settles fails the test fast instead of hanging it. */
function within<T>(p: Promise<T>, ms = 500): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms))]);
}

interface Api {
  echo(x: number): number;
}

/**
 * Enough of a Worker for comlink: an EventTarget that records what is posted. `reply` answers a pending call as
 * the exposed side would (a RAW wire value with the call's id); `crash` fires the worker's error event.
 */
class FakeWorker extends EventTarget implements WorkerLike {
  posted: { id: string; type: string; path: string[]; argumentList: { value: unknown }[] }[] = [];
  terminated = false;
  postMessage(message: unknown): void {
    if (!this.terminated) this.posted.push(message as FakeWorker['posted'][number]);
  }
  terminate(): void {
    this.terminated = true;
  }
  reply(index: number, value: unknown): void {
    const e = new Event('message') as Event & { data: unknown };
    e.data = { id: this.posted[index].id, type: 'RAW', value };
    this.dispatchEvent(e);
  }
  crash(message: string): void {
    const e = new Event('error') as Event & { message: string };
    e.message = message;
    this.dispatchEvent(e);
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('Supervised', () => {
  it('passes a call through comlink and resolves with the worker’s answer', async () => {
    const w = new FakeWorker();
    const s = spawnWorker<Api>(() => w);
    const p = s.call(s.api.echo(7));
    await tick();
    expect(w.posted).toHaveLength(1);
    expect(w.posted[0].path).toEqual(['echo']);
    w.reply(0, 14);
    await expect(within(p)).resolves.toBe(14);
    expect(s.dead).toBe(false);
  });

  it('rejects a pending call with WorkerCrashed when the worker’s error event fires, and every later call', async () => {
    const w = new FakeWorker();
    const s = new Supervised<Api>(w);
    const p = s.call(s.api.echo(1));
    await tick();
    w.crash('out of memory');
    await expect(within(p)).rejects.toThrow(WorkerCrashed);
    await expect(p).rejects.toThrow('out of memory');
    expect(s.dead).toBe(true);
    await expect(within(s.call(s.api.echo(2)))).rejects.toThrow(WorkerCrashed);
  });

  it('treats a message that cannot be read as a crash', async () => {
    const w = new FakeWorker();
    const s = new Supervised<Api>(w);
    const p = s.call(s.api.echo(1));
    w.dispatchEvent(new Event('messageerror'));
    await expect(within(p)).rejects.toThrow('message could not be read');
  });

  it('terminate() rejects a call in flight with WorkerCrashed("terminated") instead of leaving it pending forever', async () => {
    const w = new FakeWorker();
    const s = new Supervised<Api>(w);
    const p = s.call(s.api.echo(1));
    await tick();
    s.terminate();
    expect(w.terminated).toBe(true);
    await expect(within(p)).rejects.toThrow(new WorkerCrashed('terminated'));
    expect(s.dead).toBe(true);
    await expect(within(s.call(s.api.echo(2)))).rejects.toThrow('terminated');
  });

  it('keeps the first cause of death: an error event after terminate() changes nothing', async () => {
    const w = new FakeWorker();
    const s = new Supervised<Api>(w);
    const p = s.call(s.api.echo(1));
    w.crash('boom');
    s.terminate();
    w.crash('later');
    await expect(within(p)).rejects.toThrow('boom');
  });
});
