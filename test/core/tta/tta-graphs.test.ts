/**
 * src/core/tta without PyTorch: BN adaptation against the formula computed here in float64, the training graph's
 * gradients against central finite differences of its own loss (per BN parameter tensor, on a small CNN with
 * every supported op: strided Conv, BN 2-D and 1-D, Relu, overlapping MaxPool, residual Add, GlobalAveragePool,
 * Flatten, Mul, Gemm, and BN parameters shared through Identity nodes as torch's exporter writes them), SGD
 * against torch.optim.SGD's numbers, and the BN count of fixture models whose BN was folded at export.
 * test/core/tta/tta-pytorch.test.ts checks all of it against PyTorch on a real ResNet-50.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readOnnx } from '../../../src/core/onnx/onnx-model';
import { buildTrainingGraph, type TtaLoss } from '../../../src/core/tta/autodiff';
import { BN_FOLDED_MESSAGE, adaptBatchNorm, countBatchNorms, priorWeight } from '../../../src/core/tta/bn-adapt';
import { SelfLearningState } from '../../../src/core/tta/self-learning';
import { Sgd, scaledLearningRate } from '../../../src/core/tta/sgd';
import { HAVE_FIXTURES, fixture } from '../../support/fixtures';
import { buildOnnx, type TinyNode, type TinyTensor } from '../../support/tiny-onnx';

const SESSION = { intraOpNumThreads: 1, interOpNumThreads: 1 };

/** Deterministic pseudo-random numbers in [−1, 1). */
function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const bnTensors = (prefix: string, c: number, seed: number): TinyTensor[] => [
  { name: `${prefix}.weight`, dims: [c], values: Float32Array.from(noise(c, seed), (v) => 1 + 0.4 * v) },
  { name: `${prefix}.bias`, dims: [c], values: Float32Array.from(noise(c, seed + 1), (v) => 0.3 * v) },
  { name: `${prefix}.mean`, dims: [c], values: Float32Array.from(noise(c, seed + 2), (v) => 0.5 * v) },
  { name: `${prefix}.var`, dims: [c], values: Float32Array.from(noise(c, seed + 3), (v) => 1 + 0.5 * v) },
];
const bn = (x: string, prefix: string, y: string, scale = `${prefix}.weight`, bias = `${prefix}.bias`): TinyNode => ({
  op: 'BatchNormalization',
  inputs: [x, scale, bias, `${prefix}.mean`, `${prefix}.var`],
  outputs: [y],
  floatAttrs: { epsilon: 1e-5 },
});

/** A small ResNet-like classifier: input [N, 2, 8, 8] → logits [N, 5]. */
function tinyCnn(): Uint8Array {
  const shared = bnTensors('shared', 4, 40).slice(0, 2); // scale and shift read by bn2 and bn3 through Identity
  return buildOnnx({
    opset: 17,
    inputs: [{ name: 'input', dims: ['N', 2, 8, 8] }],
    outputs: [{ name: 'logits', dims: ['N', 5] }],
    initializers: [
      { name: 'w1', dims: [4, 2, 3, 3], values: Float32Array.from(noise(72, 1), (v) => 0.5 * v) },
      { name: 'w2', dims: [4, 4, 1, 1], values: Float32Array.from(noise(16, 2), (v) => 0.6 * v) },
      { name: 'w3', dims: [5, 4], values: Float32Array.from(noise(20, 3), (v) => 0.8 * v) },
      { name: 'b3', dims: [5], values: Float32Array.from(noise(5, 4), (v) => 0.1 * v) },
      { name: 'k', dims: [], values: [1.5] },
      ...bnTensors('bn1', 4, 10),
      ...bnTensors('bn2', 4, 20),
      ...bnTensors('bn3', 4, 30),
      ...shared,
    ],
    nodes: [
      { op: 'Identity', inputs: ['shared.weight'], outputs: ['bn2.w'] },
      { op: 'Identity', inputs: ['shared.bias'], outputs: ['bn2.b'] },
      { op: 'Identity', inputs: ['shared.weight'], outputs: ['bn3.w'] },
      { op: 'Identity', inputs: ['shared.bias'], outputs: ['bn3.b'] },
      { op: 'Conv', inputs: ['input', 'w1'], outputs: ['c1'], intsAttrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
      bn('c1', 'bn1', 'n1'),
      { op: 'Relu', inputs: ['n1'], outputs: ['r1'] },
      { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], intsAttrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
      { op: 'Conv', inputs: ['p1', 'w2'], outputs: ['c2'], intsAttrs: { kernel_shape: [1, 1] } },
      bn('c2', 'bn2', 'n2', 'bn2.w', 'bn2.b'),
      { op: 'Add', inputs: ['n2', 'p1'], outputs: ['a2'] },
      { op: 'Relu', inputs: ['a2'], outputs: ['r2'] },
      { op: 'GlobalAveragePool', inputs: ['r2'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'], intAttrs: { axis: 1 } },
      { op: 'Mul', inputs: ['f', 'k'], outputs: ['fk'] },
      bn('fk', 'bn3', 'n3', 'bn3.w', 'bn3.b'),
      { op: 'Gemm', inputs: ['n3', 'w3', 'b3'], outputs: ['logits'], intAttrs: { transB: 1 } },
    ],
  });
}

describe('BN adaptation by graph rewrite', () => {
  /** One BatchNormalization on [N, 3, 4, 4] (or [N, 3]). */
  const single = (dims: (number | string)[]) =>
    buildOnnx({
      opset: 17,
      inputs: [{ name: 'x', dims }],
      outputs: [{ name: 'y', dims }],
      initializers: bnTensors('bn', 3, 7),
      nodes: [bn('x', 'bn', 'y')],
    });

  /** robusta's BayesianBatchNorm in float64: unbiased batch variance, a = N / (N + n). */
  function expected(x: Float32Array, n: number, spatial: number, prior: number, model: Uint8Array): Float64Array {
    const m = readOnnx(model);
    const get = (k: string) => Array.from(new Float32Array(m.initializers.get(k)!.raw!.slice().buffer));
    const [w, b, mu0, var0] = ['bn.weight', 'bn.bias', 'bn.mean', 'bn.var'].map(get);
    const C = 3;
    const out = new Float64Array(x.length);
    const a = priorWeight(prior, n);
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let i = 0; i < n; i++) for (let p = 0; p < spatial; p++) s += x[(i * C + c) * spatial + p];
      const count = n * spatial;
      const mean = s / count;
      let ss = 0;
      for (let i = 0; i < n; i++) for (let p = 0; p < spatial; p++) ss += (x[(i * C + c) * spatial + p] - mean) ** 2;
      const mixMean = a * mu0[c] + (1 - a) * mean;
      const mixVar = a * var0[c] + (1 - a) * (ss / (count - 1));
      for (let i = 0; i < n; i++)
        for (let p = 0; p < spatial; p++) {
          const k = (i * C + c) * spatial + p;
          out[k] = ((x[k] - mixMean) / Math.sqrt(mixVar + 1e-5)) * w[c] + b[c];
        }
    }
    return out;
  }

  for (const [label, dims, spatial] of [
    ['BatchNorm2d [N, 3, 4, 4]', ['N', 3, 4, 4], 16],
    ['BatchNorm1d [N, 3]', ['N', 3], 1],
  ] as const) {
    it(`${label}: robusta's BayesianBatchNorm for N = 0, 16, 1e9 at batch 2 and 5`, async () => {
      const model = single([...dims]);
      for (const prior of [0, 16, 1e9]) {
        const session = await ort.InferenceSession.create(adaptBatchNorm(model, { prior }), SESSION);
        for (const n of [2, 5]) {
          const shape = [n, ...dims.slice(1)] as number[];
          const x = Float32Array.from(noise(n * 3 * spatial, n + prior), (v) => 2 * v + 0.7);
          const y = (await session.run({ x: new ort.Tensor('float32', x, shape) })).y.data as Float32Array;
          const want = expected(x, n, spatial, prior, model);
          for (let i = 0; i < y.length; i++) expect(Math.abs(y[i] - want[i]), `N ${prior}, n ${n}, ${i}`).toBeLessThan(2e-5 * (1 + Math.abs(want[i])));
        }
        await session.release();
      }
    });
  }

  it('leaves everything but BatchNormalization as it was; N = 1e9 is the source model', async () => {
    const model = tinyCnn();
    expect(countBatchNorms(readOnnx(model))).toBe(3);
    const adapted = readOnnx(adaptBatchNorm(model, { prior: 1e9 }));
    expect(countBatchNorms(adapted)).toBe(0);
    expect(adapted.nodes.filter((n) => n.opType === 'Conv')).toHaveLength(2);
    const x = new ort.Tensor('float32', noise(3 * 2 * 64, 5), [3, 2, 8, 8]);
    const [a, b] = await Promise.all(
      [model, adaptBatchNorm(model, { prior: 1e9 })].map(async (bytes) => {
        const s = await ort.InferenceSession.create(bytes, SESSION);
        const out = (await s.run({ input: x })).logits.data as Float32Array;
        await s.release();
        return out;
      }),
    );
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
  });

  it('refuses a model without BatchNormalization, saying it was folded at export', () => {
    const folded = buildOnnx({
      inputs: [{ name: 'x', dims: ['N', 3] }],
      outputs: [{ name: 'y', dims: ['N', 3] }],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    });
    expect(countBatchNorms(readOnnx(folded))).toBe(0);
    expect(() => adaptBatchNorm(folded, { prior: 0 })).toThrow(BN_FOLDED_MESSAGE);
    expect(BN_FOLDED_MESSAGE).toMatch(/tools\/export-onnx/);
    expect(() => adaptBatchNorm(tinyCnn(), { prior: -1 })).toThrow(RangeError);
  });

  it.skipIf(!HAVE_FIXTURES)('the fixture models have no BatchNormalization left (folded at export)', () => {
    for (const f of ['mobilenetv2-12-int8.onnx', 'squeezenet1.1-caffe2.fp32.gradcam.onnx']) {
      expect(countBatchNorms(readOnnx(new Uint8Array(readFileSync(fixture('models', f))))), f).toBe(0);
    }
  });
});

describe('training graph (reverse-mode autodiff of the forward graph)', () => {
  for (const loss of [{ kind: 'entropy' }, { kind: 'gce', q: 0.8 }] as TtaLoss[]) {
    it(`${loss.kind}: gradients of every BN scale and shift agree with central differences of the graph's own loss`, async () => {
      const tg = buildTrainingGraph(tinyCnn(), { loss });
      // bn1's own initializers; bn2 and bn3 read the same shared initializers through Identity, yet are separate
      // parameters (PyTorch modules own theirs), with the shared values to start from.
      expect(tg.params.map((p) => [p.input, p.kind, p.size])).toEqual([
        ['bn1.weight', 'scale', 4],
        ['bn1.bias', 'bias', 4],
        ['bn2.w', 'scale', 4],
        ['bn2.b', 'bias', 4],
        ['bn3.w', 'scale', 4],
        ['bn3.b', 'bias', 4],
      ]);
      expect(Array.from(tg.params[2].initial)).toEqual(Array.from(tg.params[4].initial));
      expect(tg.decisions.map((d) => d.kind)).toEqual(['relu-mask', 'maxpool-indices', 'relu-mask']);
      const session = await ort.InferenceSession.create(tg.bytes, SESSION);
      const n = 3;
      const x = new ort.Tensor('float32', Float32Array.from(noise(n * 2 * 64, 9), (v) => 1.5 * v), [n, 2, 8, 8]);
      const evaluate = async (values: Float32Array[]) => {
        const feeds: Record<string, ort.Tensor> = { [tg.input]: x };
        tg.params.forEach((p, j) => (feeds[p.input] = new ort.Tensor('float32', values[j], [p.size])));
        return session.run(feeds);
      };
      const values = tg.params.map((p) => Float32Array.from(p.initial));
      const out = await evaluate(values);
      expect(out[tg.logits].dims).toEqual([n, 5]);
      const grads = tg.params.map((p) => Float32Array.from(out[p.grad].data as Float32Array));
      const lossAt = async (j: number, dir: Float32Array, h: number) => {
        const shifted = values.map((v, k) => (k === j ? Float32Array.from(v, (a, i) => a + h * dir[i]) : v));
        return ((await evaluate(shifted))[tg.loss].data as Float32Array)[0];
      };
      let norm = 0;
      for (const g of grads) for (const v of g) norm = Math.max(norm, Math.abs(v));
      expect(norm).toBeGreaterThan(1e-3);
      for (let j = 0; j < tg.params.length; j++) {
        // Directional derivative along a random direction in this parameter tensor.
        const dir = noise(tg.params[j].size, 100 + j);
        const h = 1e-2;
        const fd = ((await lossAt(j, dir, h)) - (await lossAt(j, dir, -h))) / (2 * h);
        const analytic = grads[j].reduce((a, g, i) => a + g * dir[i], 0);
        expect(Math.abs(fd - analytic), `${tg.params[j].input}: finite difference ${fd}, gradient ${analytic}`).toBeLessThan(2e-3 * norm + 1e-2 * Math.abs(analytic));
      }
      await session.release();
    });
  }

  it('runs in onnxruntime-web (WASM) with the outputs of onnxruntime-node: training graph and BN-adapted graph', async () => {
    const web = await import('onnxruntime-web');
    web.env.wasm.numThreads = 1;
    const model = tinyCnn();
    const tg = buildTrainingGraph(model, { loss: { kind: 'gce' } });
    const n = 4;
    const x = Float32Array.from(noise(n * 2 * 64, 21), (v) => 1.5 * v);
    for (const [bytes, withParams] of [
      [tg.bytes, true],
      [adaptBatchNorm(model, { prior: 16 }), false],
    ] as const) {
      const results = [];
      for (const rt of [ort, web] as const) {
        const s = await rt.InferenceSession.create(bytes, rt === ort ? SESSION : { executionProviders: ['wasm'] });
        const feeds: Record<string, InstanceType<typeof rt.Tensor>> = { input: new rt.Tensor('float32', x, [n, 2, 8, 8]) };
        if (withParams) for (const p of tg.params) feeds[p.input] = new rt.Tensor('float32', p.initial, [p.size]);
        const out = await s.run(feeds);
        results.push(Object.fromEntries(s.outputNames.map((k) => [k, Array.from(out[k].data as Float32Array)])));
        await s.release();
      }
      expect(Object.keys(results[1])).toEqual(Object.keys(results[0]));
      for (const k of Object.keys(results[0])) {
        const [a, b] = [results[0][k], results[1][k]];
        const scale = Math.max(...a.map(Math.abs), 1e-6);
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `${k}[${i}]`).toBeLessThan(1e-5 * scale);
      }
    }
  }, 120_000);

  it('SelfLearningState: feeds the current parameters, steps on the graph outputs, resets to the source', async () => {
    const tg = buildTrainingGraph(tinyCnn(), { loss: { kind: 'entropy' } });
    const state = new SelfLearningState(tg, { batch: 64 * 40 }); // lr 0.01 by linear scaling
    expect(state.sgd.options.lr).toBeCloseTo(0.01, 12);
    const session = await ort.InferenceSession.create(tg.bytes, SESSION);
    const x = new ort.Tensor('float32', Float32Array.from(noise(4 * 2 * 64, 3), (v) => 1.5 * v), [4, 2, 8, 8]);
    const run = async () => {
      const feeds: Record<string, ort.Tensor> = { [tg.input]: x };
      for (const f of state.feeds()) feeds[f.name] = new ort.Tensor('float32', f.data, f.dims);
      return session.run(feeds);
    };
    const first = await run();
    const loss0 = (first[tg.loss].data as Float32Array)[0];
    for (let k = 0; k < 5; k++) state.step(await run());
    expect(state.values[0]).not.toEqual(tg.params[0].initial);
    // Entropy minimisation lowers the entropy on the batch it adapts to.
    expect(((await run())[tg.loss].data as Float32Array)[0]).toBeLessThan(loss0);
    state.reset();
    state.values.forEach((v, k) => expect(Array.from(v)).toEqual(Array.from(tg.params[k].initial)));
    expect(((await run())[tg.loss].data as Float32Array)[0]).toBe(loss0);
    expect(() => state.step({})).toThrow(/gradient output/);
    await session.release();
  });

  it('names what it cannot differentiate', () => {
    const model = buildOnnx({
      opset: 17,
      inputs: [{ name: 'input', dims: ['N', 3] }],
      outputs: [{ name: 'logits', dims: ['N', 3] }],
      initializers: bnTensors('bn', 3, 1),
      nodes: [bn('input', 'bn', 'n'), { op: 'Sigmoid', inputs: ['n'], outputs: ['logits'] }],
    });
    expect(() => buildTrainingGraph(model, { loss: { kind: 'entropy' } })).toThrow(/cannot differentiate Sigmoid/);
    const old = buildOnnx({
      opset: 11,
      inputs: [{ name: 'input', dims: ['N', 3] }],
      outputs: [{ name: 'logits', dims: ['N', 3] }],
      initializers: bnTensors('bn', 3, 1),
      nodes: [bn('input', 'bn', 'logits')],
    });
    expect(() => buildTrainingGraph(old, { loss: { kind: 'entropy' } })).toThrow(/opset ≥ 13.*tools\/export-onnx/);
  });
});

describe('SGD with momentum (torch.optim.SGD semantics)', () => {
  // torch 1.13: p = [1, −2, 0.5], lr 0.1, these gradients, p after each step.
  const grads = [
    [0.5, -1.25, 2.0],
    [0.25, 0.75, -1.5],
    [-0.125, 0.5, 1.0],
  ];
  const torch: Record<string, { opts: ConstructorParameters<typeof Sgd>[1]; after: number[][] }> = {
    momentum: {
      opts: { lr: 0.1, momentum: 0.9 },
      after: [[0.949999988079071, -1.875, 0.30000001192092896], [0.8799999952316284, -1.837499976158142, 0.27000001072883606], [0.8295000195503235, -1.8537499904632568, 0.14300000667572021]],
    },
    nesterov: {
      opts: { lr: 0.1, momentum: 0.9, nesterov: true },
      after: [[0.9049999713897705, -1.7625000476837158, 0.11999999731779099], [0.8169999718666077, -1.8037500381469727, 0.24300000071525574], [0.7840499877929688, -1.8683750629425049, 0.028700008988380432]],
    },
    'dampening 0.1, weight decay 0.01': {
      opts: { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 },
      after: [[0.9490000009536743, -1.8730000257492065, 0.2994999885559082], [0.8797459006309509, -1.8245142698287964, 0.25378042459487915], [0.8278754353523254, -1.8242350816726685, 0.12240440398454666]],
    },
    'no momentum': {
      opts: { lr: 0.1, momentum: 0 },
      after: [[0.949999988079071, -1.875, 0.30000001192092896], [0.925000011920929, -1.9500000476837158, 0.45000001788139343], [0.9375, -2.0, 0.3500000238418579]],
    },
  };
  for (const [name, c] of Object.entries(torch)) {
    it(name, () => {
      const p = Float32Array.from([1, -2, 0.5]);
      const sgd = new Sgd([p], c.opts);
      grads.forEach((g, k) => {
        sgd.step([Float32Array.from(g)]);
        for (let i = 0; i < 3; i++) expect(p[i]).toBeCloseTo(c.after[k][i], 6);
      });
    });
  }

  it('defaults: momentum 0.9, lr 0.00025 at batch 64 scaled linearly', () => {
    expect(new Sgd([], { lr: 1 }).options).toMatchObject({ momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false });
    expect(scaledLearningRate(64)).toBeCloseTo(0.00025, 12);
    expect(scaledLearningRate(8)).toBeCloseTo(0.00003125, 12);
    expect(() => scaledLearningRate(0)).toThrow(RangeError);
  });
});
