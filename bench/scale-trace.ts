/**
 * Attribution of long main-thread tasks for `npm run bench:scale` (SCALE_TRACE=1): Chromium tracing runs in a ring
 * buffer (`recordContinuously`) for the whole session; when the page's long-task observer reports a task of at least
 * SCALE_TRACE_MIN_MS, the trace is ended a few seconds later, streamed to disk, and every task of that length on a
 * renderer main thread is summarised: wall and thread (CPU) time — a task whose thread time is far below its wall
 * time was descheduled, not busy — and the longest events inside it (JS entry points with function, script and line;
 * GC; style, layout, paint; IndexedDB; message handling), then tracing starts again. The page's main thread is
 * also sampled by the CPU profiler (every SAMPLE_US) for the whole session: each long task gets the JS functions its
 * samples fell in (self time), so a task's JavaScript is named even where tracing has no event for it.
 */
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CDPSession } from 'playwright-core';

const SAMPLE_US = 1000;

const CATEGORIES = [
  'toplevel',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8.execute',
  'disabled-by-default-v8.gc',
  'blink.user_timing',
  'IndexedDB',
];

export interface TraceEventSummary {
  name: string;
  cat: string;
  ms: number;
  cpuMs: number | null;
  /** Start within the task (ms). */
  atMs: number;
  depth: number;
  detail?: string;
}

export interface LongTaskTrace {
  /** Epoch ms (from a user-timing mark placed when tracing started). */
  at: number | null;
  /** Trace clock (µs), for the CPU profile. */
  tsUs: number;
  durUs: number;
  /** The task's own event. */
  name: string;
  /** CPU profile samples in the task: count, and the functions with the most self samples. */
  samples?: number;
  js?: { fn: string; where: string; self: number }[];
  /** The heaviest stacks (leaf first, 6 frames) by samples. */
  stacks?: { stack: string; n: number }[];
  ms: number;
  cpuMs: number | null;
  thread: string;
  events: TraceEventSummary[];
}

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  tdur?: number;
  tts?: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
}

export class LongTaskTracer {
  private running = false;
  private sync: { epochMs: number; name: string } | null = null;
  private dumps = 0;
  readonly found: LongTaskTrace[] = [];
  private seen = 0;

  constructor(
    private readonly cdp: CDPSession,
    private readonly evalInPage: <T>(expr: string) => Promise<T | null>,
    private readonly dir: string,
    private readonly minMs: number,
    private readonly maxDumps = 40,
  ) {}

  private profiling = false;

  async start(): Promise<void> {
    if (this.running) return;
    if (!this.profiling) {
      await this.cdp.send('Profiler.enable');
      await this.cdp.send('Profiler.setSamplingInterval', { interval: SAMPLE_US } as never);
      await this.cdp.send('Profiler.start');
      this.profiling = true;
    }
    await this.cdp.send('Tracing.start', {
      transferMode: 'ReturnAsStream',
      traceConfig: { recordMode: 'recordContinuously', traceBufferSizeInKb: 60_000, includedCategories: CATEGORIES, excludedCategories: ['*'] },
    } as never);
    this.running = true;
  }

  /** A user-timing mark whose epoch time is known: placed just before each dump, so the ring buffer still holds it. */
  private async syncMark(): Promise<void> {
    const name = `scale:trace-sync-${Date.now()}`;
    const t = await this.evalInPage<number>(`(() => { const m = performance.mark(${JSON.stringify(name)}); return performance.timeOrigin + m.startTime; })()`).catch(() => null);
    this.sync = t ? { epochMs: t, name } : null;
    await new Promise((r) => setTimeout(r, 300));
  }

  /** Call every second or so: dumps the trace once a new long task has ended a few seconds ago. */
  async poll(longtasks: [number, number][]): Promise<void> {
    if (!this.running || this.dumps >= this.maxDumps) return;
    const fresh = longtasks.slice(this.seen).filter((t) => t[1] >= this.minMs);
    if (!fresh.length) {
      this.seen = longtasks.length;
      return;
    }
    const last = fresh[fresh.length - 1];
    if (Date.now() < last[0] + last[1] + 3000) return;
    this.seen = longtasks.length;
    await this.dump();
    await this.start();
  }

  /** Dumps now when a long task has been reported since the last dump (however recent), and tracing goes on. */
  async checkpoint(longtasks: [number, number][]): Promise<void> {
    if (!this.running || this.dumps >= this.maxDumps) return;
    if (!longtasks.slice(this.seen).some((t) => t[1] >= this.minMs)) return;
    await new Promise((r) => setTimeout(r, 1500));
    this.seen = longtasks.length;
    await this.dump();
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.running) await this.dump();
    if (this.profiling) {
      this.profiling = false;
      const { profile } = (await this.cdp.send('Profiler.stop')) as { profile: CpuProfile };
      attribute(this.found, profile);
    }
  }

  private async dump(): Promise<void> {
    await this.syncMark();
    this.running = false;
    this.dumps++;
    const file = join(this.dir, `trace-${this.dumps}.json`);
    const complete = new Promise<{ stream?: string }>((resolve) => this.cdp.once('Tracing.tracingComplete', (e) => resolve(e as { stream?: string })));
    await this.cdp.send('Tracing.end');
    const { stream } = await complete;
    if (!stream) return;
    const out = createWriteStream(file);
    for (;;) {
      const r = (await this.cdp.send('IO.read', { handle: stream, size: 1 << 20 } as never)) as { data: string; eof: boolean; base64Encoded?: boolean };
      out.write(r.base64Encoded ? Buffer.from(r.data, 'base64') : r.data);
      if (r.eof) break;
    }
    await this.cdp.send('IO.close', { handle: stream } as never);
    await new Promise<void>((r) => out.end(r));
    try {
      this.found.push(...summarise(JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[], this.sync, this.minMs));
    } finally {
      if (!process.env.SCALE_TRACE_KEEP) rmSync(file, { force: true });
    }
  }
}

const detail = (e: TraceEvent): string | undefined => {
  const d = (e.args?.data ?? e.args?.beginData ?? e.args) as Record<string, unknown> | undefined;
  if (!d) return undefined;
  const parts: string[] = [];
  for (const k of ['functionName', 'url', 'lineNumber', 'columnNumber', 'type', 'usedHeapSizeBefore', 'usedHeapSizeAfter', 'message', 'name', 'timerId', 'sourceFile']) {
    if (d[k] !== undefined && d[k] !== '') parts.push(`${k}=${String(d[k]).slice(0, 120)}`);
  }
  return parts.length ? parts.join(' ') : undefined;
};

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Annotates each task with the CPU profile's samples that fall inside it (trace and profile share one clock). */
export function attribute(tasks: LongTaskTrace[], profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const times: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  const label = (id: number) => {
    const f = byId.get(id)!.callFrame;
    return { fn: f.functionName || '(anonymous)', where: f.url ? `${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}:${f.columnNumber + 1}` : '' };
  };
  for (const task of tasks) {
    const self = new Map<number, number>();
    const stacks = new Map<string, number>();
    let n = 0;
    for (let i = 0; i < times.length; i++) {
      if (times[i] < task.tsUs || times[i] > task.tsUs + task.durUs) continue;
      n++;
      const id = profile.samples[i];
      self.set(id, (self.get(id) ?? 0) + 1);
      const frames: string[] = [];
      for (let q: number | undefined = id; q !== undefined && frames.length < 6; q = parent.get(q)) {
        const l = label(q);
        if (l.fn === '(root)') break;
        frames.push(`${l.fn}${l.where ? ` ${l.where}` : ''}`);
      }
      const k = frames.join(' < ');
      stacks.set(k, (stacks.get(k) ?? 0) + 1);
    }
    const byFn = new Map<string, { fn: string; where: string; self: number }>();
    for (const [id, c] of self) {
      const l = label(id);
      const k = `${l.fn}@${l.where}`;
      const e = byFn.get(k) ?? { ...l, self: 0 };
      e.self += c;
      byFn.set(k, e);
    }
    task.samples = n;
    task.js = [...byFn.values()].sort((a, b) => b.self - a.self).slice(0, 12);
    task.stacks = [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([stack, c]) => ({ stack, n: c }));
  }
}

export function summarise(doc: { traceEvents: TraceEvent[] } | TraceEvent[], sync: { epochMs: number; name: string } | null, minMs: number): LongTaskTrace[] {
  const events = Array.isArray(doc) ? doc : doc.traceEvents;
  const mains = new Map<string, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name' && (e.args?.name === 'CrRendererMain')) mains.set(`${e.pid}:${e.tid}`, 'CrRendererMain');
  // ticks (µs) → epoch ms, from the sync mark
  let offset: number | null = null;
  if (sync) {
    const m = events.find((e) => e.name === sync.name);
    if (m) offset = sync.epochMs - m.ts / 1000;
  }
  const byThread = new Map<string, TraceEvent[]>();
  const open = new Map<string, TraceEvent[]>();
  for (const e of events) {
    const k = `${e.pid}:${e.tid}`;
    if (!mains.has(k)) continue;
    let ev: TraceEvent | null = null;
    if (e.ph === 'X' && e.dur !== undefined) ev = e;
    else if (e.ph === 'B') {
      let st = open.get(k);
      if (!st) open.set(k, (st = []));
      st.push(e);
    } else if (e.ph === 'E') {
      const b = open.get(k)?.pop();
      if (b) ev = { ...b, ph: 'X', dur: e.ts - b.ts, tdur: b.tts !== undefined && e.tts !== undefined ? e.tts - b.tts : undefined, args: { ...b.args, ...e.args } };
    }
    if (!ev) continue;
    let list = byThread.get(k);
    if (!list) byThread.set(k, (list = []));
    list.push(ev);
  }
  const out: LongTaskTrace[] = [];
  for (const [k, list] of byThread) {
    list.sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    // Outermost long top-level events only (a task's nested top-level events are part of it).
    const tops: TraceEvent[] = [];
    for (const e of list) {
      if (!e.cat.includes('toplevel') || e.dur! < minMs * 1000) continue;
      const last = tops[tops.length - 1];
      if (last && e.ts < last.ts + last.dur!) continue;
      tops.push(e);
    }
    for (const t of tops) {
      const inner = list.filter((e) => e !== t && e.ts >= t.ts && e.ts + e.dur! <= t.ts + t.dur! + 1);
      // depth by containment
      const stack: TraceEvent[] = [];
      const depth = new Map<TraceEvent, number>();
      for (const e of inner) {
        while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur! <= e.ts) stack.pop();
        depth.set(e, stack.length);
        stack.push(e);
      }
      const events = inner
        .filter((e) => e.dur! >= 3000)
        .slice(0, 400)
        .map((e) => ({ name: e.name, cat: e.cat, ms: Math.round(e.dur! / 100) / 10, cpuMs: e.tdur !== undefined ? Math.round(e.tdur / 100) / 10 : null, atMs: Math.round((e.ts - t.ts) / 100) / 10, depth: depth.get(e)!, detail: detail(e) }));
      out.push({ at: offset !== null ? Math.round(offset + t.ts / 1000) : null, tsUs: t.ts, durUs: t.dur!, name: t.name, ms: Math.round(t.dur! / 1000), cpuMs: t.tdur !== undefined ? Math.round(t.tdur / 1000) : null, thread: k, events });
    }
  }
  return out;
}
