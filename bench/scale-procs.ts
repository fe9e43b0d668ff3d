/**
 * Chromium's processes for `npm run bench:scale`, read from /proc: the browser process this Node process launched
 * (its child with `--user-data-dir=` and no `--type=`), every process below it (zygotes, renderers, GPU, utility),
 * and their resident memory (VmRSS). Killing is by pid, one process at a time, only within that tree.
 */
import { readdirSync, readFileSync } from 'node:fs';

export type ProcKind = 'browser' | 'renderer' | 'gpu' | 'utility' | 'zygote' | 'other';

export interface ProcInfo {
  pid: number;
  ppid: number;
  kind: ProcKind;
  /** `--utility-sub-type=` for utility processes (network, storage, audio…). */
  sub?: string;
  rssMB: number;
  /** user + system CPU seconds so far */
  cpuS: number;
}

export interface RssSnapshot {
  browserMB: number;
  /** Every renderer (the app's page, its workers and service worker live in one or two of them). */
  rendererMB: number;
  rendererCount: number;
  maxRendererMB: number;
  gpuMB: number;
  utilityMB: number;
  otherMB: number;
  totalMB: number;
  /** CPU seconds so far (user + system) of the browser process, the renderers and the rest (GPU, utility, zygotes) */
  cpuS: { browser: number; renderers: number; others: number };
}

const read = (p: string): string | null => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
};

const TICKS = 100; // USER_HZ on Linux

function statOf(pid: number): { ppid: number; cpuS: number } | null {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return null;
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15
  return { ppid: Number(rest[1]), cpuS: (Number(rest[11]) + Number(rest[12])) / TICKS };
}

const ppidOf = (pid: number): number | null => statOf(pid)?.ppid ?? null;

function cmdline(pid: number): string[] {
  const args = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
  // Processes forked from Chromium's zygote rewrite their title as one space-separated string.
  return args.length === 1 ? args[0].split(' ') : args;
}

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(read(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) / 1024 : 0;
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** The Chromium browser process(es) this Node process started (direct children with a profile and no --type). */
export function browserChildren(): { pid: number; profile: string }[] {
  const out: { pid: number; profile: string }[] = [];
  for (const pid of allPids()) {
    if (ppidOf(pid) !== process.pid) continue;
    const args = cmdline(pid);
    const profile = args.find((a) => a.startsWith('--user-data-dir='))?.slice('--user-data-dir='.length);
    if (profile && !args.some((a) => a.startsWith('--type='))) out.push({ pid, profile });
  }
  return out;
}

/** The browser process and every descendant, plus any other process naming the same profile. */
export function chromiumTree(browserPid: number, profile: string): ProcInfo[] {
  const pids = allPids();
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const p of pids) {
    const st = statOf(p);
    if (st) {
      parent.set(p, st.ppid);
      cpu.set(p, st.cpuS);
    }
  }
  const inTree = (p: number): boolean => {
    for (let q: number | undefined = p, hops = 0; q !== undefined && q > 1 && hops < 64; q = parent.get(q), hops++) if (q === browserPid) return true;
    return false;
  };
  const out: ProcInfo[] = [];
  for (const p of pids) {
    if (!parent.has(p)) continue;
    const args = inTree(p) ? cmdline(p) : null;
    const argv = args ?? (read(`/proc/${p}/cmdline`)?.includes(`--user-data-dir=${profile}`) ? cmdline(p) : null);
    if (!argv) continue;
    const type = argv.find((a) => a.startsWith('--type='))?.slice(7);
    const kind: ProcKind =
      p === browserPid ? 'browser' : type === 'renderer' ? 'renderer' : type === 'gpu-process' ? 'gpu' : type === 'utility' ? 'utility' : type === 'zygote' ? 'zygote' : 'other';
    const sub = kind === 'utility' ? argv.find((a) => a.startsWith('--utility-sub-type='))?.slice(19) : undefined;
    out.push({ pid: p, ppid: parent.get(p)!, kind, sub, rssMB: rssMB(p), cpuS: cpu.get(p) ?? 0 });
  }
  return out;
}

export function summarise(procs: ProcInfo[]): RssSnapshot {
  const sum = (k: ProcKind) => procs.filter((p) => p.kind === k).reduce((a, p) => a + p.rssMB, 0);
  const renderers = procs.filter((p) => p.kind === 'renderer');
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    browserMB: r(sum('browser')),
    rendererMB: r(sum('renderer')),
    rendererCount: renderers.length,
    maxRendererMB: r(Math.max(0, ...renderers.map((p) => p.rssMB))),
    gpuMB: r(sum('gpu')),
    utilityMB: r(sum('utility')),
    otherMB: r(sum('zygote') + sum('other')),
    totalMB: r(procs.reduce((a, p) => a + p.rssMB, 0)),
    cpuS: {
      browser: r(procs.filter((p) => p.kind === 'browser').reduce((a, p) => a + p.cpuS, 0)),
      renderers: r(renderers.reduce((a, p) => a + p.cpuS, 0)),
      others: r(procs.filter((p) => p.kind !== 'browser' && p.kind !== 'renderer').reduce((a, p) => a + p.cpuS, 0)),
    },
  };
}

/** SIGKILL to each process of the tree, children first, by pid. */
export function killTree(browserPid: number, profile: string): number[] {
  const procs = chromiumTree(browserPid, profile);
  const order = [...procs.filter((p) => p.pid !== browserPid).map((p) => p.pid), browserPid];
  const killed: number[] = [];
  for (const pid of order) {
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // already gone
    }
  }
  return killed;
}
