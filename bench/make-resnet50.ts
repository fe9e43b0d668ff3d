/**
 * Builds a ResNet-50 ONNX model with deterministic random weights, entirely in TypeScript (no Python, no downloads),
 * for throughput benchmarks. The graph has torchvision's ResNet-50 (v1.5) topology and cost — about 4.1 GMACs and
 * 25.5 M parameters — with BatchNorm folded into the convolutions (every Conv has a bias; no BatchNormalization
 * nodes), as an exported and optimised ResNet-50 looks.
 *
 *   npx tsx bench/make-resnet50.ts [outPath] [--force] [--verify]
 *
 * outPath defaults to bench/models/resnet50-random.onnx. The file is not rebuilt when it exists and is newer than
 * this script and the ONNX writer, unless --force. --verify loads it in onnxruntime-node, checks the shapes and
 * that the logits are finite and varied, and times a few batch-8 runs.
 *
 * Input `input` float32 [N,3,224,224] (symbolic batch N), output `logits` float32 [N,1000]. opset 13, IR version 8.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOnnx, type TinyNode, type TinyTensor } from '../test/support/tiny-onnx';

const here = dirname(fileURLToPath(import.meta.url));
const SEED = 0x5eed_50;
const IMAGE = 224;
const CLASSES = 1000;

/** mulberry32: a small, fast, seeded 32-bit PRNG; returns floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fills `out` with normal(0, std) samples (Box–Muller, two samples per pair of uniforms). */
function fillNormal(out: Float32Array, std: number, rand: () => number): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    const u1 = 1 - rand(); // (0, 1]: log is finite
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

export interface ResNetSpec {
  nodes: TinyNode[];
  initializers: TinyTensor[];
  params: number;
  /** Multiply–accumulates for one image (convolutions and the classifier). */
  macs: number;
}

/**
 * ResNet-50: conv1 7×7/2 → ReLU → MaxPool 3×3/2 → Bottleneck layers [3,4,6,3] (widths 64/128/256/512, expansion 4,
 * stride on the 3×3 conv, 1×1 downsample on each layer's first block) → GlobalAveragePool → Flatten → Gemm.
 */
export function resnet50(seed = SEED, withWeights = true): ResNetSpec {
  const rand = mulberry32(seed);
  /** Random weights, or (shape-only pass, for counting) empty arrays. */
  const weights = (n: number, std: number) => (withWeights ? fillNormal(new Float32Array(n), std, rand) : new Float32Array(0));
  const nodes: TinyNode[] = [];
  const initializers: TinyTensor[] = [];
  let params = 0;
  let macs = 0;

  /** Adds Conv (+ folded-BN bias) [+ ReLU]; `size` is the input's spatial size; returns [output name, output size]. */
  function conv(name: string, x: string, cin: number, cout: number, k: number, stride: number, size: number, relu: boolean, gain = 1): [string, number] {
    const pad = (k - 1) >> 1;
    const out = Math.floor((size + 2 * pad - k) / stride) + 1;
    const fanIn = cin * k * k;
    const w = weights(cout * fanIn, gain * Math.sqrt(2 / fanIn));
    const b = new Float32Array(cout); // folded BN of a fresh BN (beta 0, mean 0): bias 0
    initializers.push({ name: `${name}.weight`, dims: [cout, cin, k, k], values: w }, { name: `${name}.bias`, dims: [cout], values: b });
    params += cout * fanIn + cout;
    macs += cout * fanIn * out * out;
    const y = relu ? `${name}.conv` : `${name}.out`;
    nodes.push({
      op: 'Conv',
      inputs: [x, `${name}.weight`, `${name}.bias`],
      outputs: [y],
      intAttrs: { group: 1 },
      intsAttrs: { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], dilations: [1, 1] },
    });
    if (!relu) return [y, out];
    nodes.push({ op: 'Relu', inputs: [y], outputs: [`${name}.out`] });
    return [`${name}.out`, out];
  }

  let [x, size] = conv('conv1', 'input', 3, 64, 7, 2, IMAGE, true);
  nodes.push({ op: 'MaxPool', inputs: [x], outputs: ['maxpool.out'], intsAttrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } });
  x = 'maxpool.out';
  size = Math.floor((size + 2 - 3) / 2) + 1;

  let cin = 64;
  const layers: [blocks: number, width: number, stride: number][] = [
    [3, 64, 1],
    [4, 128, 2],
    [6, 256, 2],
    [3, 512, 2],
  ];
  layers.forEach(([blocks, width, layerStride], li) => {
    const cout = width * 4;
    for (let bi = 0; bi < blocks; bi++) {
      const p = `layer${li + 1}.${bi}`;
      const stride = bi === 0 ? layerStride : 1;
      const [a] = conv(`${p}.conv1`, x, cin, width, 1, 1, size, true);
      const [b, outSize] = conv(`${p}.conv2`, a, width, width, 3, stride, size, true);
      // A smaller scale on the residual branch's last conv keeps activations from growing ~2× in variance per
      // block across 16 blocks (the role zero/small-γ init of the last BN plays in trained-from-scratch ResNets).
      const [c] = conv(`${p}.conv3`, b, width, cout, 1, 1, outSize, false, 0.5);
      const identity = bi === 0 ? conv(`${p}.downsample`, x, cin, cout, 1, stride, size, false)[0] : x;
      nodes.push({ op: 'Add', inputs: [c, identity], outputs: [`${p}.add`] });
      nodes.push({ op: 'Relu', inputs: [`${p}.add`], outputs: [`${p}.out`] });
      x = `${p}.out`;
      cin = cout;
      size = outSize;
    }
  });

  nodes.push({ op: 'GlobalAveragePool', inputs: [x], outputs: ['avgpool.out'] });
  nodes.push({ op: 'Flatten', inputs: ['avgpool.out'], outputs: ['flatten.out'], intAttrs: { axis: 1 } });
  const fcW = weights(CLASSES * cin, Math.sqrt(1 / cin));
  const fcB = new Float32Array(CLASSES);
  initializers.push({ name: 'fc.weight', dims: [CLASSES, cin], values: fcW }, { name: 'fc.bias', dims: [CLASSES], values: fcB });
  params += CLASSES * cin + CLASSES;
  macs += CLASSES * cin;
  nodes.push({ op: 'Gemm', inputs: ['flatten.out', 'fc.weight', 'fc.bias'], outputs: ['logits'], intAttrs: { transB: 1 }, floatAttrs: { alpha: 1, beta: 1 } });

  return { nodes, initializers, params, macs };
}

export function buildResnet50Onnx(seed = SEED): { bytes: Uint8Array; spec: ResNetSpec } {
  const spec = resnet50(seed);
  const bytes = buildOnnx({
    inputs: [{ name: 'input', dims: ['N', 3, IMAGE, IMAGE] }],
    outputs: [{ name: 'logits', dims: ['N', CLASSES] }],
    nodes: spec.nodes,
    initializers: spec.initializers,
    opset: 13,
    graphName: 'resnet50-random',
    producer: 'shiftlens-bench',
  });
  return { bytes, spec };
}

async function verify(path: string): Promise<void> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(path);
  const meta = (m: readonly unknown[]) => JSON.stringify(m.map((x) => ({ name: (x as { name: string }).name, type: (x as { type?: string }).type, shape: (x as { shape?: unknown }).shape })));
  console.log(`inputs:  ${meta(session.inputMetadata)}`);
  console.log(`outputs: ${meta(session.outputMetadata)}`);
  const shape = resnet50(SEED, false);
  console.log(`parameters: ${shape.params.toLocaleString('en-US')} (BN folded), ${(shape.macs / 1e9).toFixed(3)} GMACs/image`);

  const batch = 8;
  const rand = mulberry32(1234);
  const x = new Float32Array(batch * 3 * IMAGE * IMAGE);
  fillNormal(x, 1, rand); // roughly a normalised image
  const feeds = { input: new ort.Tensor('float32', x, [batch, 3, IMAGE, IMAGE]) };
  const out = (await session.run(feeds)).logits;
  const y = out.data as Float32Array;
  const dimsOk = out.dims.length === 2 && out.dims[0] === batch && out.dims[1] === CLASSES;
  let finite = true;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sq = 0;
  for (const v of y) {
    if (!Number.isFinite(v)) finite = false;
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    sq += v * v;
  }
  const mean = sum / y.length;
  const std = Math.sqrt(Math.max(0, sq / y.length - mean * mean));
  const argmax = Array.from({ length: batch }, (_, i) => {
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if (y[i * CLASSES + c] > y[i * CLASSES + best]) best = c;
    return best;
  });
  console.log(`logits dims [${out.dims.join(',')}] finite=${finite} min=${min.toFixed(4)} max=${max.toFixed(4)} mean=${mean.toFixed(4)} std=${std.toFixed(4)}`);
  let spread = 0; // how much the logits depend on the image: max |logits[i] − logits[0]|
  for (let i = 1; i < batch; i++) for (let c = 0; c < CLASSES; c++) spread = Math.max(spread, Math.abs(y[i * CLASSES + c] - y[c]));
  console.log(`argmax per image: ${argmax.join(' ')}; max |logits[i] - logits[0]| = ${spread.toFixed(4)}`);
  if (!dimsOk || !finite || !(max > min) || !(spread > 0)) {
    throw new Error('verification failed: logits have the wrong shape, are not finite, are all equal, or do not depend on the input');
  }

  const runs = 5;
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  const total = times.reduce((a, b) => a + b, 0);
  console.log(`batch ${batch} × ${runs} runs: ${times.map((t) => t.toFixed(0)).join(', ')} ms → ${((batch * runs) / (total / 1000)).toFixed(1)} images/s (onnxruntime-node CPU)`);
  await session.release();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const doVerify = args.includes('--verify');
  const positional = args.filter((a) => !a.startsWith('--'));
  const outPath = resolve(positional[0] ?? join(here, 'models', 'resnet50-random.onnx'));

  const sources = [fileURLToPath(import.meta.url), join(here, '..', 'test', 'support', 'tiny-onnx.ts')];
  const newestSource = Math.max(...sources.filter(existsSync).map((f) => statSync(f).mtimeMs));
  if (!force && existsSync(outPath) && statSync(outPath).mtimeMs > newestSource) {
    console.log(`${outPath} exists and is newer than its generator; not rebuilding (use --force to rebuild)`);
  } else {
    const t0 = performance.now();
    const { bytes, spec } = buildResnet50Onnx();
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, bytes);
    const convs = spec.nodes.filter((n) => n.op === 'Conv').length;
    console.log(
      `wrote ${outPath}: ${(bytes.length / 1e6).toFixed(1)} MB (${bytes.length} bytes), ${spec.nodes.length} nodes (${convs} Conv), ` +
        `${spec.params.toLocaleString('en-US')} parameters, ${(spec.macs / 1e9).toFixed(3)} GMACs/image, in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  if (doVerify) await verify(outPath);
}

const invokedDirectly = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
