/**
 * Peak memory of test-time adaptation graphs per batch size, so the app can pick the largest batch that fits.
 *
 *   npx tsx bench/tta-memory.ts MODEL.onnx [--batches 1,2,4,8,16,32,64] [--graphs source,bn,entropy]
 *                                          [--backends node,wasm] [--out results.json]
 *
 * Each (backend, graph, batch) runs in a fresh child process: build the graph (src/core/tta), create the session,
 * one run on a random batch (for `entropy`: forward + backward with the BN parameters fed as inputs), then report
 * the process's peak resident memory (VmHWM) and its resident memory right after the session was created, and for
 * `wasm` the size of onnxruntime-web's WebAssembly memory after session creation and after the run.
 * `node` = onnxruntime-node (CPU EP, default arena); `wasm` = onnxruntime-web's WebAssembly backend running in
 * Node (1 thread), which has the browser's 4 GiB address-space limit: a batch that does not fit fails there.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildTrainingGraph } from '../src/core/tta/autodiff';
import { adaptBatchNorm } from '../src/core/tta/bn-adapt';

type Graph = 'source' | 'bn' | 'entropy';
type Backend = 'node' | 'wasm';

interface Row {
  backend: Backend;
  graph: Graph;
  batch: number;
  ok: boolean;
  error?: string;
  peakRssMiB?: number;
  afterSessionRssMiB?: number;
  runSeconds?: number;
  /** wasm: the size of onnxruntime-web's WebAssembly memory (it only grows: the peak), limit 4096 MiB. */
  wasmHeapAfterSessionMiB?: number;
  wasmHeapPeakMiB?: number;
}

function statusKiB(field: string): number {
  const m = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) : NaN;
}

/** Every WebAssembly.Memory the process creates or instantiates (onnxruntime-web's heap among them). */
const memories: WebAssembly.Memory[] = [];
function watchWasmMemory(): void {
  const W = WebAssembly as unknown as Record<string, unknown>;
  const Original = WebAssembly.Memory;
  W.Memory = new Proxy(Original, {
    construct(target, args) {
      const m = new target(...(args as [WebAssembly.MemoryDescriptor]));
      memories.push(m);
      return m;
    },
  });
  const collect = (instance: WebAssembly.Instance) => {
    for (const v of Object.values(instance.exports)) if (v instanceof Original) memories.push(v);
  };
  for (const name of ['instantiate', 'instantiateStreaming'] as const) {
    const f = W[name] as (...a: unknown[]) => Promise<WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance>;
    W[name] = async (...a: unknown[]) => {
      const r = await f.apply(WebAssembly, a);
      collect('instance' in r ? r.instance : r);
      return r;
    };
  }
}
const wasmHeapMiB = () => (memories.length ? Math.max(...memories.map((m) => m.buffer.byteLength)) / 2 ** 20 : undefined);

async function child(model: string, backend: Backend, graph: Graph, batch: number): Promise<void> {
  if (backend === 'wasm') watchWasmMemory();
  const bytes = new Uint8Array(readFileSync(model));
  const tg = graph === 'entropy' ? buildTrainingGraph(bytes, { loss: { kind: 'entropy' } }) : undefined;
  const graphBytes = tg ? tg.bytes : graph === 'bn' ? adaptBatchNorm(bytes, { prior: 16 }) : bytes;
  const ort = backend === 'node' ? await import('onnxruntime-node') : await import('onnxruntime-web');
  if (backend === 'wasm') (ort as typeof import('onnxruntime-web')).env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(graphBytes, backend === 'node' ? { intraOpNumThreads: 2 } : { executionProviders: ['wasm'] });
  const afterSession = statusKiB('VmRSS');
  const heapAfterSession = wasmHeapMiB();
  const input = tg?.input ?? session.inputNames[0];
  const x = new Float32Array(batch * 3 * 224 * 224);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 12.9898) * 2;
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = { [input]: new ort.Tensor('float32', x, [batch, 3, 224, 224]) };
  for (const p of tg?.params ?? []) feeds[p.input] = new ort.Tensor('float32', p.initial, [p.size]);
  const t = performance.now();
  await session.run(feeds);
  const runSeconds = (performance.now() - t) / 1000;
  const heap = backend === 'wasm' ? { wasmHeapAfterSessionMiB: heapAfterSession, wasmHeapPeakMiB: wasmHeapMiB() } : {};
  process.stdout.write(JSON.stringify({ peakRssMiB: statusKiB('VmHWM') / 1024, afterSessionRssMiB: afterSession / 1024, ...heap, runSeconds }) + '\n');
}

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    child(args[1], args[2] as Backend, args[3] as Graph, Number(args[4])).catch((e) => {
      process.stdout.write(JSON.stringify({ error: String(e?.message ?? e).slice(0, 300) }) + '\n');
      process.exit(1);
    });
    return;
  }
  const opt = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
  const model = args[0];
  if (!model || model.startsWith('--')) throw new Error('usage: tsx bench/tta-memory.ts MODEL.onnx [--batches …] [--graphs …] [--backends …] [--out …]');
  const batches = opt('--batches', '1,2,4,8,16,32,64').split(',').map(Number);
  const graphs = opt('--graphs', 'source,bn,entropy').split(',') as Graph[];
  const backends = opt('--backends', 'node,wasm').split(',') as Backend[];
  const rows: Row[] = [];
  const self = fileURLToPath(import.meta.url);
  for (const backend of backends)
    for (const graph of graphs)
      for (const batch of batches) {
        const r = spawnSync(process.execPath, [...process.execArgv, self, '--child', model, backend, graph, String(batch)], {
          encoding: 'utf8',
          maxBuffer: 1 << 24,
          timeout: 1_800_000,
        });
        const line = (r.stdout || '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
        const res = line ? JSON.parse(line) : { error: (r.stderr || `exit ${r.status} ${r.signal ?? ''}`).trim().split('\n').slice(-3).join(' ').slice(0, 300) };
        const row: Row = { backend, graph, batch, ok: !res.error, ...res };
        rows.push(row);
        console.log(JSON.stringify(row));
        if (!row.ok) break; // larger batches will not fit either
      }
  const out = opt('--out', '');
  if (out) writeFileSync(out, JSON.stringify({ model, measured: new Date().toISOString(), rows }, null, 1) + '\n');
}

main();
