import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { CamHeadError, findCamHead, withFeatureOutput, type CamHead } from '../../../src/core/onnx/cam-head';
import { DataType, readOnnx, type OnnxModel, type OnnxNode } from '../../../src/core/onnx/onnx-model';
import { describeFixtures, fixture } from '../../support/fixtures';
import { buildOnnx, poolingClassifier, type TinyNode, type TinyTensor } from '../../support/tiny-onnx';
import { dropGraphOutputs, maxAbsDiff, randomFloats, withInitializers } from './graph-edit';

const opts = { intraOpNumThreads: 1, interOpNumThreads: 1 } as const;

/** A model input x [N, C, H, W] → (nodes) → logits [N, K]. */
function tiny(nodes: TinyNode[], initializers: TinyTensor[], C = 4, K = 3, HW = 3, opset = 13): Uint8Array {
  return buildOnnx({
    inputs: [{ name: 'x', dims: ['N', C, HW, HW] }],
    outputs: [{ name: 'logits', dims: ['N', K] }],
    nodes,
    initializers,
    opset,
  });
}

/** [rows][cols] → [cols][rows] */
function transpose(m: ArrayLike<number>, rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) out.push(m[r * cols + c]);
  return out;
}

/** Runs the model on a random x and checks its logits against the head applied to x (the feature map). */
async function checkHeadReproducesLogits(bytes: Uint8Array, head: CamHead, tol = 1e-5, sessionOptions: ort.InferenceSession.SessionOptions = opts) {
  const dims = [2, head.channels, 3, 3];
  const [N, C, H, W] = dims;
  const x = randomFloats(N * C * H * W, 7);
  const s = await ort.InferenceSession.create(bytes, sessionOptions);
  const out = await s.run({ x: new ort.Tensor('float32', x, dims) });
  await s.release();
  const logits = out.logits.data as Float32Array;
  const expected: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < head.classes; k++) {
      const b = head.bias?.[k] ?? 0;
      let acc = 0;
      if (head.kind === 'gap-linear') {
        for (let c = 0; c < C; c++) {
          let m = 0;
          for (let p = 0; p < H * W; p++) m += x[(n * C + c) * H * W + p];
          acc += head.weights[k * C + c] * (m / (H * W));
        }
        expected.push(acc + b);
      } else {
        for (let p = 0; p < H * W; p++) {
          let v = b;
          for (let c = 0; c < C; c++) v += head.weights[k * C + c] * x[(n * C + c) * H * W + p];
          acc += Math.max(v, 0);
        }
        expected.push(acc / (H * W));
      }
    }
  }
  expect(maxAbsDiff(logits, expected)).toBeLessThan(tol);
}

const W34 = Float32Array.from([0.5, -1, 2, 0.25, -0.75, 1.5, 0, 3, 1, 1, -2, -0.5]); // 12 values

describe('findCamHead on tiny models', () => {
  it('GAP → Flatten → Gemm(transB = 1, alpha, beta): weights are B · alpha, bias C · beta', async () => {
    const bytes = tiny(
      [
        { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['p'] },
        { op: 'Flatten', inputs: ['p'], outputs: ['f'], intAttrs: { axis: 1 } },
        { op: 'Gemm', inputs: ['f', 'W', 'b'], outputs: ['logits'], intAttrs: { transB: 1 }, floatAttrs: { alpha: 0.5, beta: 2 } },
      ],
      [
        { name: 'W', dims: [3, 4], values: W34 },
        { name: 'b', dims: [3], values: [0.1, -0.2, 0.3] },
      ],
    );
    const head = findCamHead(readOnnx(bytes));
    expect(head).toMatchObject({ kind: 'gap-linear', featureTensor: 'x', featureOutput: null, channels: 4, classes: 3 });
    expect(head.quantizedFeature).toBeUndefined();
    expect(Array.from(head.weights)).toEqual(Array.from(W34, (v) => v * 0.5));
    expect(Array.from(head.bias!)).toEqual([0.1, -0.2, 0.3].map((v) => Math.fround(Math.fround(v) * 2)));
    expect(head.chain).toEqual(['logits', 'Gemm', 'Flatten', 'GlobalAveragePool', 'x']);
    await checkHeadReproducesLogits(bytes, head);
  });

  it('GAP → Flatten → Gemm(transB = 0): B [in, out] is transposed to [out][in]', async () => {
    const bytes = tiny(
      [
        { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['p'] },
        { op: 'Flatten', inputs: ['p'], outputs: ['f'], intAttrs: { axis: 1 } },
        { op: 'Gemm', inputs: ['f', 'B', 'c'], outputs: ['logits'] },
      ],
      [
        { name: 'B', dims: [4, 3], values: W34 },
        { name: 'c', dims: [1, 3], values: [1, 2, 3] },
      ],
    );
    const head = findCamHead(readOnnx(bytes));
    expect(head.kind).toBe('gap-linear');
    expect(Array.from(head.weights)).toEqual(transpose(W34, 4, 3));
    expect(Array.from(head.bias!)).toEqual([1, 2, 3]);
    await checkHeadReproducesLogits(bytes, head);
  });

  it('GAP → Reshape → MatMul → Add(bias, ·): weights [in, out] transposed, bias from either side of the Add', async () => {
    const bytes = tiny(
      [
        { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['p'] },
        { op: 'Reshape', inputs: ['p', 'shape'], outputs: ['f'] },
        { op: 'MatMul', inputs: ['f', 'B'], outputs: ['mm'] },
        { op: 'Add', inputs: ['bias', 'mm'], outputs: ['logits'] },
      ],
      [
        { name: 'B', dims: [4, 3], values: Array.from(W34) },
        { name: 'bias', dims: [3], values: new Float32Array([-1, 0.5, 4]) },
      ],
    );
    // tiny-onnx writes float initializers only; Reshape needs an int64 shape.
    const withShape = withInitializers(bytes, [{ name: 'shape', dataType: DataType.INT64, dims: [2], raw: new Uint8Array(BigInt64Array.from([0n, -1n]).buffer) }]);
    const head = findCamHead(readOnnx(withShape));
    expect(head).toMatchObject({ kind: 'gap-linear', featureTensor: 'x', channels: 4, classes: 3 });
    expect(Array.from(head.weights)).toEqual(transpose(W34, 4, 3));
    expect(Array.from(head.bias!)).toEqual([-1, 0.5, 4]);
    expect(head.chain).toEqual(['logits', 'Add', 'MatMul', 'Reshape', 'GlobalAveragePool', 'x']);
    await checkHeadReproducesLogits(withShape, head);
  });

  it('ReduceMean over [2, 3] → MatMul with per-column int8 DequantizeLinear weights → Add', async () => {
    // W[in][out] = (q − zp[out]) · scale[out]
    const q = Int8Array.from([-128, 5, 127, 0, -1, 3, 64, -64, 2, 10, 20, -30]);
    const scale = Float32Array.from([0.01, 0.5, 0.003]);
    const zp = Int8Array.from([0, -3, 7]);
    const bytes = withInitializers(
      tiny(
        [
          { op: 'ReduceMean', inputs: ['x'], outputs: ['p'], intsAttrs: { axes: [-2, -1] }, intAttrs: { keepdims: 0 } },
          { op: 'DequantizeLinear', inputs: ['Wq', 'Ws', 'Wz'], outputs: ['W'], intAttrs: { axis: 1 } },
          { op: 'MatMul', inputs: ['p', 'W'], outputs: ['mm'] },
          { op: 'Add', inputs: ['mm', 'b'], outputs: ['logits'] },
        ],
        [
          { name: 'Ws', dims: [3], values: scale },
          { name: 'b', dims: [3], values: [0, 1, 2] },
        ],
      ),
      [
        { name: 'Wq', dataType: DataType.INT8, dims: [4, 3], raw: new Uint8Array(q.buffer) },
        { name: 'Wz', dataType: DataType.INT8, dims: [3], raw: new Uint8Array(zp.buffer) },
      ],
    );
    const head = findCamHead(readOnnx(bytes));
    expect(head).toMatchObject({ kind: 'gap-linear', featureTensor: 'x', channels: 4, classes: 3 });
    const Win = Array.from(q, (v, i) => Math.fround((v - zp[i % 3]) * scale[i % 3]));
    expect(Array.from(head.weights)).toEqual(transpose(Win, 4, 3));
    expect(Array.from(head.bias!)).toEqual([0, 1, 2]);
    // ORT's optimiser would turn DequantizeLinear → MatMul into a dynamically quantised MatMul; keep it float.
    await checkHeadReproducesLogits(bytes, head, 1e-5, { ...opts, graphOptimizationLevel: 'disabled' });
  });

  it('DynamicQuantizeLinear → MatMulInteger → Cast → Mul(x_scale · w_scale) → Add: float weights (q − zp) · w_scale', async () => {
    const q = Int8Array.from([-100, 5, 127, 0, -1, 3, 64, -64, 2, 10, 20, -30]);
    const bytes = withInitializers(
      tiny(
        [
          { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['p'] },
          { op: 'Flatten', inputs: ['p'], outputs: ['f'], intAttrs: { axis: 1 } },
          { op: 'DynamicQuantizeLinear', inputs: ['f'], outputs: ['fq', 'fs', 'fz'] },
          { op: 'MatMulInteger', inputs: ['fq', 'Wq', 'fz', 'Wz'], outputs: ['acc'] },
          { op: 'Cast', inputs: ['acc'], outputs: ['accf'], intAttrs: { to: 1 } },
          { op: 'Mul', inputs: ['fs', 'Ws'], outputs: ['s'] },
          { op: 'Mul', inputs: ['accf', 's'], outputs: ['y'] },
          { op: 'Add', inputs: ['y', 'b'], outputs: ['logits'] },
        ],
        [
          { name: 'Ws', dims: [], values: [0.02] },
          { name: 'b', dims: [3], values: [0.5, 0, -0.5] },
        ],
      ),
      [
        { name: 'Wq', dataType: DataType.INT8, dims: [4, 3], raw: new Uint8Array(q.buffer) },
        { name: 'Wz', dataType: DataType.INT8, dims: [], raw: Uint8Array.of(2) },
      ],
    );
    const head = findCamHead(readOnnx(bytes));
    expect(head).toMatchObject({ kind: 'gap-linear', featureTensor: 'x', channels: 4, classes: 3 });
    expect(Array.from(head.weights)).toEqual(transpose(Array.from(q, (v) => Math.fround((v - 2) * Math.fround(0.02))), 4, 3));
    expect(Array.from(head.bias!)).toEqual([0.5, 0, -0.5]);
    await checkHeadReproducesLogits(bytes, head, 0.05); // the input is quantised to uint8 at run time
  });

  it('Conv 1×1 → Relu → GAP → Flatten (SqueezeNet-style): conv1x1-relu-gap with weights [classes][C]', async () => {
    const bytes = tiny(
      [
        { op: 'Conv', inputs: ['x', 'W', 'b'], outputs: ['c'], intsAttrs: { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0] } },
        { op: 'Relu', inputs: ['c'], outputs: ['r'] },
        { op: 'GlobalAveragePool', inputs: ['r'], outputs: ['p'] },
        { op: 'Flatten', inputs: ['p'], outputs: ['logits'], intAttrs: { axis: 1 } },
      ],
      [
        { name: 'W', dims: [3, 4, 1, 1], values: W34 },
        { name: 'b', dims: [3], values: [0.25, -0.5, 0] },
      ],
    );
    const head = findCamHead(readOnnx(bytes));
    expect(head).toMatchObject({ kind: 'conv1x1-relu-gap', featureTensor: 'x', channels: 4, classes: 3, featureOutput: null });
    expect(Array.from(head.weights)).toEqual(Array.from(W34));
    expect(Array.from(head.bias!)).toEqual([0.25, -0.5, 0]);
    expect(head.chain).toEqual(['logits', 'Flatten', 'GlobalAveragePool', 'Relu', 'Conv', 'x']);
    await checkHeadReproducesLogits(bytes, head);
  });

  it('a 1×1 Conv straight into the pool (no ReLU) is linear: gap-linear', () => {
    const head = findCamHead(
      readOnnx(
        tiny(
          [
            { op: 'Conv', inputs: ['x', 'W'], outputs: ['c'], intsAttrs: { kernel_shape: [1, 1] } },
            { op: 'GlobalAveragePool', inputs: ['c'], outputs: ['p'] },
            { op: 'Flatten', inputs: ['p'], outputs: ['logits'], intAttrs: { axis: 1 } },
          ],
          [{ name: 'W', dims: [3, 4, 1, 1], values: W34 }],
        ),
      ),
    );
    expect(head).toMatchObject({ kind: 'gap-linear', bias: null, channels: 4, classes: 3 });
  });

  it('withFeatureOutput adds an Identity output for a float feature map that ORT returns', async () => {
    const bytes = tiny(
      [
        { op: 'Relu', inputs: ['x'], outputs: ['feat'] },
        { op: 'GlobalAveragePool', inputs: ['feat'], outputs: ['p'] },
        { op: 'Flatten', inputs: ['p'], outputs: ['f'], intAttrs: { axis: 1 } },
        { op: 'Gemm', inputs: ['f', 'W'], outputs: ['logits'], intAttrs: { transB: 1 } },
      ],
      [{ name: 'W', dims: [3, 4], values: W34 }],
    );
    const model = readOnnx(bytes);
    const head = findCamHead(model);
    expect(head.featureTensor).toBe('feat');
    expect(head.featureOutput).toBeNull();
    const edited = withFeatureOutput(bytes, model, head);
    expect(edited.outputName).toBe('cam_features');
    const again = readOnnx(edited.bytes);
    expect(again.outputs.at(-1)).toEqual({ name: 'cam_features', elemType: 1, dims: ['N', 4, null, null] });
    expect(findCamHead(again).featureOutput).toBe('cam_features');
    expect(withFeatureOutput(edited.bytes, again, findCamHead(again))).toEqual({ bytes: edited.bytes, outputName: 'cam_features' });
    expect(() => withFeatureOutput(bytes, model, head, 'p')).toThrow(/already has a tensor named "p"/);
    expect(withFeatureOutput(bytes, model, head, 'mine').outputName).toBe('mine');

    const s = await ort.InferenceSession.create(edited.bytes, opts);
    const x = randomFloats(2 * 4 * 9, 3);
    const out = await s.run({ x: new ort.Tensor('float32', x, [2, 4, 3, 3]) });
    expect(out.cam_features.dims).toEqual([2, 4, 3, 3]);
    expect(Array.from(out.cam_features.data as Float32Array)).toEqual(Array.from(x, (v) => Math.max(v, 0)));
  });
});

/** An OnnxModel object built directly (for contrib ops that tiny-onnx cannot write). */
function objModel(nodes: Partial<OnnxNode>[], tensors: { name: string; dataType: number; dims: number[]; values: number[] }[]): OnnxModel {
  const raw = (t: (typeof tensors)[number]): Uint8Array => {
    switch (t.dataType) {
      case DataType.FLOAT:
        return new Uint8Array(Float32Array.from(t.values).buffer);
      case DataType.INT8:
        return new Uint8Array(Int8Array.from(t.values).buffer);
      case DataType.UINT8:
        return Uint8Array.from(t.values);
      case DataType.INT32:
        return new Uint8Array(Int32Array.from(t.values).buffer);
    }
    throw new Error(`type ${t.dataType}`);
  };
  return {
    irVersion: 7,
    producerName: '',
    graphName: '',
    opsets: [{ domain: '', version: 13 }, { domain: 'com.microsoft', version: 1 }],
    nodes: nodes.map((n, i) => ({ name: `n${i}`, opType: '', domain: '', inputs: [], outputs: [], attributes: {}, ...n })),
    initializers: new Map(tensors.map((t) => [t.name, { name: t.name, dataType: t.dataType, dims: t.dims, raw: raw(t) }])),
    inputs: [{ name: 'x', elemType: DataType.UINT8, dims: ['N', 4, 3, 3] }],
    outputs: [{ name: 'logits', elemType: DataType.FLOAT, dims: ['N', 3] }],
    valueInfo: [],
  };
}

describe('findCamHead on quantized contrib-op heads', () => {
  const xq = [
    { name: 'xs', dataType: DataType.FLOAT, dims: [], values: [0.05] },
    { name: 'xz', dataType: DataType.UINT8, dims: [], values: [3] },
    { name: 'ps', dataType: DataType.FLOAT, dims: [], values: [0.04] },
    { name: 'pz', dataType: DataType.UINT8, dims: [], values: [1] },
    { name: 'ys', dataType: DataType.FLOAT, dims: [], values: [0.1] },
    { name: 'yz', dataType: DataType.UINT8, dims: [], values: [128] },
  ];
  const q = [-128, 5, 127, 0, -1, 3, 64, -64, 2, 10, 20, -30]; // [3][4]
  const wzp = [0, -3, 7];
  const ws = [0.01, 0.5, 0.003];

  it('QLinearGlobalAveragePool → Reshape → com.microsoft QGemm(transB = 1, alpha) → DequantizeLinear: per-row scales, int32 bias', () => {
    const model = objModel(
      [
        { opType: 'QLinearGlobalAveragePool', domain: 'com.microsoft', inputs: ['x', 'xs', 'xz', 'ps', 'pz'], outputs: ['p'], attributes: { channels_last: { i: 0 } } },
        { opType: 'Flatten', inputs: ['p'], outputs: ['f'] },
        { opType: 'QGemm', domain: 'com.microsoft', inputs: ['f', 'ps', 'pz', 'Bq', 'Bs', 'Bz', 'C', 'ys', 'yz'], outputs: ['yq'], attributes: { transB: { i: 1 }, alpha: { f: 0.5 } } },
        { opType: 'DequantizeLinear', inputs: ['yq', 'ys', 'yz'], outputs: ['logits'] },
      ],
      [
        ...xq,
        { name: 'Bq', dataType: DataType.INT8, dims: [3, 4], values: q },
        { name: 'Bs', dataType: DataType.FLOAT, dims: [3], values: ws },
        { name: 'Bz', dataType: DataType.INT8, dims: [3], values: wzp },
        { name: 'C', dataType: DataType.INT32, dims: [3], values: [100, -2000, 7] },
      ],
    );
    const head = findCamHead(model);
    expect(head).toMatchObject({ kind: 'gap-linear', featureTensor: 'x', featureOutput: null, channels: 4, classes: 3 });
    expect(head.quantizedFeature).toEqual({ scale: Math.fround(0.05), zeroPoint: 3, scaleName: 'xs', zeroPointName: 'xz', elemType: DataType.UINT8 });
    expect(Array.from(head.weights)).toEqual(q.map((v, i) => Math.fround(Math.fround((v - wzp[Math.floor(i / 4)]) * Math.fround(ws[Math.floor(i / 4)])) * 0.5)));
    expect(Array.from(head.bias!)).toEqual([100, -2000, 7].map((c, o) => Math.fround(c * 0.5 * Math.fround(0.04) * Math.fround(ws[o]))));
    expect(head.chain).toEqual(['logits', 'DequantizeLinear', 'QGemm', 'Flatten', 'QLinearGlobalAveragePool', 'x']);
  });

  it('QLinearConv 1×1 with a uint8 output of zero point 0 (fused ReLU) → QLinearGlobalAveragePool: conv1x1-relu-gap', () => {
    const nodes = (yz: string): Partial<OnnxNode>[] => [
      { opType: 'QLinearConv', inputs: ['x', 'xs', 'xz', 'W', 'Ws', 'Wz', 'cs', yz, 'B'], outputs: ['c'], attributes: { kernel_shape: { ints: [1, 1] } } },
      { opType: 'QLinearGlobalAveragePool', domain: 'com.microsoft', inputs: ['c', 'cs', yz, 'ps', 'pz'], outputs: ['p'] },
      { opType: 'DequantizeLinear', inputs: ['p', 'ps', 'pz'], outputs: ['pf'] },
      { opType: 'Flatten', inputs: ['pf'], outputs: ['logits'] },
    ];
    const tensors = [
      ...xq,
      { name: 'W', dataType: DataType.INT8, dims: [3, 4, 1, 1], values: q },
      { name: 'Ws', dataType: DataType.FLOAT, dims: [3], values: ws },
      { name: 'Wz', dataType: DataType.INT8, dims: [3], values: [0, 0, 0] },
      { name: 'cs', dataType: DataType.FLOAT, dims: [], values: [0.2] },
      { name: 'cz0', dataType: DataType.UINT8, dims: [], values: [0] },
      { name: 'cz9', dataType: DataType.UINT8, dims: [], values: [9] },
      { name: 'B', dataType: DataType.INT32, dims: [3], values: [10, 20, -30] },
    ];
    const head = findCamHead(objModel(nodes('cz0'), tensors));
    expect(head).toMatchObject({ kind: 'conv1x1-relu-gap', featureTensor: 'x', channels: 4, classes: 3 });
    expect(head.quantizedFeature).toMatchObject({ scale: Math.fround(0.05), zeroPoint: 3, scaleName: 'xs', zeroPointName: 'xz' });
    expect(Array.from(head.weights)).toEqual(q.map((v, i) => Math.fround(v * Math.fround(ws[Math.floor(i / 4)]))));
    expect(Array.from(head.bias!)).toEqual([10, 20, -30].map((b, o) => Math.fround(b * Math.fround(0.05) * Math.fround(ws[o]))));
    // An output range that reaches below 0 is no ReLU: the conv is then a plain linear head.
    expect(findCamHead(objModel(nodes('cz9'), tensors)).kind).toBe('gap-linear');
  });
});

describe('findCamHead errors', () => {
  it('a global pool straight into the logits, with no linear layer (poolingClassifier)', () => {
    expect(() => findCamHead(readOnnx(poolingClassifier(32)))).toThrow(CamHeadError);
    expect(() => findCamHead(readOnnx(poolingClassifier(32)))).toThrow(
      'no supported CAM head before "logits": the global pool GlobalAveragePool "n0" feeds the logits with no linear layer after it, and its input comes from the graph input "input", not from a 1×1 Conv (+ Relu) (walked back: logits ← Flatten ← GlobalAveragePool)',
    );
  });

  it('a linear layer whose input is not globally pooled', () => {
    const bytes = tiny(
      [
        { op: 'MaxPool', inputs: ['x'], outputs: ['p'], intsAttrs: { kernel_shape: [3, 3] } },
        { op: 'Flatten', inputs: ['p'], outputs: ['f'], intAttrs: { axis: 1 } },
        { op: 'Gemm', inputs: ['f', 'W'], outputs: ['logits'], intAttrs: { transB: 1 } },
      ],
      [{ name: 'W', dims: [3, 4], values: W34 }],
    );
    expect(() => findCamHead(readOnnx(bytes))).toThrow(/the input of Gemm "n2" comes from MaxPool "n0", not from a global average pool .*walked back: logits ← Gemm ← Flatten ← MaxPool/);
  });

  it('an unsupported op before the logits, a non-constant weight, a non-spatial mean, a wrong output name', () => {
    const sig = tiny(
      [
        { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['p'] },
        { op: 'Flatten', inputs: ['p'], outputs: ['f'], intAttrs: { axis: 1 } },
        { op: 'Sigmoid', inputs: ['f'], outputs: ['logits'] },
      ],
      [],
    );
    expect(() => findCamHead(readOnnx(sig))).toThrow(/found Sigmoid "n2", which is neither a linear layer .* nor a global average pool/);
    const dyn = tiny(
      [
        { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['p'] },
        { op: 'Flatten', inputs: ['p'], outputs: ['f'], intAttrs: { axis: 1 } },
        { op: 'MatMul', inputs: ['f', 'f2'], outputs: ['logits'] },
        { op: 'Transpose', inputs: ['f'], outputs: ['f2'] },
      ],
      [],
    );
    expect(() => findCamHead(readOnnx(dyn))).toThrow(/weight "f2" of MatMul "n2" is not a constant/);
    const mean = tiny(
      [
        { op: 'ReduceMean', inputs: ['x'], outputs: ['p'], intsAttrs: { axes: [1] }, intAttrs: { keepdims: 0 } },
        { op: 'Gemm', inputs: ['p', 'W'], outputs: ['logits'], intAttrs: { transB: 1 } },
      ],
      [{ name: 'W', dims: [3, 3], values: W34.slice(0, 9) }],
    );
    expect(() => findCamHead(readOnnx(mean))).toThrow(/does not average over the spatial axes \[2, 3\]/);
    expect(() => findCamHead(readOnnx(poolingClassifier(8)), 'nope')).toThrow(/has no tensor "nope"; its outputs are logits/);
  });
});

const MODELS = fixture('models');
const load = (f: string) => new Uint8Array(readFileSync(`${MODELS}/${f}`));
function readBin(f: string, classes: number, channels: number) {
  const b = load(f);
  const all = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  expect(all.length).toBe(classes * channels + classes);
  return { w: all.subarray(0, classes * channels), b: all.subarray(classes * channels) };
}
const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describeFixtures('findCamHead on the fixture models', () => {
  const mobileBin = 'mobilenetv2-12-int8.classifier_f32_1000x1280_plus_bias1000.bin';
  const cases = [
    { file: 'mobilenetv2-12-int8.gradcam.onnx', featureOutput: 'features' as string | null },
    { file: 'mobilenetv2-12-int8.onnx', featureOutput: null },
  ];
  for (const c of cases) {
    it(`${c.file}: QLinearGlobalAveragePool → Reshape → int8 QLinearMatMul → QLinearAdd head, weights equal the .bin`, () => {
      const head = findCamHead(readOnnx(load(c.file)));
      expect(head).toMatchObject({ kind: 'gap-linear', featureTensor: '627_quantized', featureOutput: c.featureOutput, channels: 1280, classes: 1000 });
      expect(head.chain).toEqual(['output', 'DequantizeLinear', 'QLinearAdd', 'QLinearMatMul', 'Reshape', 'QLinearGlobalAveragePool', '627_quantized']);
      expect(head.quantizedFeature).toEqual({ scale: Math.fround(6 / 255), zeroPoint: 0, scaleName: '627_scale', zeroPointName: '627_zero_point', elemType: DataType.UINT8 });
      const ref = readBin(mobileBin, 1000, 1280);
      const dw = maxAbsDiff(head.weights, ref.w);
      const db = maxAbsDiff(head.bias!, ref.b);
      console.info(`${c.file}: max |W − bin| = ${dw} (max |W| ${maxAbs(ref.w)}), max |b − bin| = ${db} (max |b| ${maxAbs(ref.b)})`);
      expect(dw).toBeLessThanOrEqual(1e-6 * maxAbs(ref.w));
      expect(db).toBeLessThanOrEqual(1e-6 * maxAbs(ref.b));
      // bias = 0.00108198 · (q − 112)
      expect(head.bias![0] / 0.00108198 + 112).toBeCloseTo(Math.round(head.bias![0] / 0.00108198 + 112), 3);
    });
  }

  it('squeezenet1.1-caffe2.fp32.gradcam.onnx: Conv 1×1 → Relu → GlobalAveragePool → Flatten head, weights equal the .bin', () => {
    const bytes = load('squeezenet1.1-caffe2.fp32.gradcam.onnx');
    const model = readOnnx(bytes);
    const head = findCamHead(model);
    expect(head).toMatchObject({ kind: 'conv1x1-relu-gap', featureTensor: 'fire9/concat_1', featureOutput: 'features', channels: 512, classes: 1000 });
    expect(head.quantizedFeature).toBeUndefined();
    expect(head.chain).toEqual(['logits', 'Flatten', 'GlobalAveragePool', 'Relu', 'Conv', 'fire9/concat_1']);
    const ref = readBin('squeezenet1.1-caffe2.conv10_f32_1000x512_plus_bias1000.bin', 1000, 512);
    const dw = maxAbsDiff(head.weights, ref.w);
    const db = maxAbsDiff(head.bias!, ref.b);
    console.info(`squeezenet: max |W − bin| = ${dw} (max |W| ${maxAbs(ref.w)}), max |b − bin| = ${db} (max |b| ${maxAbs(ref.b)})`);
    expect(dw).toBeLessThanOrEqual(1e-6 * maxAbs(ref.w));
    expect(db).toBeLessThanOrEqual(1e-6 * maxAbs(ref.b));
    // Without its extra outputs the model has no feature output; the head is the same.
    const plain = findCamHead(readOnnx(dropGraphOutputs(bytes, ['features', 'class_maps'])));
    expect(plain.featureOutput).toBeNull();
    expect(maxAbsDiff(plain.weights, head.weights)).toBe(0);
    // Naming the logits explicitly gives the same head; naming a feature output does not find one.
    expect(findCamHead(model, 'logits').featureTensor).toBe('fire9/concat_1');
    expect(() => findCamHead(model, 'features')).toThrow(/found Concat\b.*, which is neither a linear layer/);
  });
});

describeFixtures('withFeatureOutput on the fixture models (checked with onnxruntime-node)', () => {
  async function run(bytes: Uint8Array, x: Float32Array) {
    const s = await ort.InferenceSession.create(bytes, opts);
    const out = await s.run({ input: new ort.Tensor('float32', x, [2, 3, 224, 224]) });
    const meta = s.outputMetadata;
    await s.release();
    return { out, meta };
  }

  it('mobilenetv2-12-int8: a DequantizeLinear output equal to the gradcam model\'s "features", logits unchanged', async () => {
    const gradcam = load('mobilenetv2-12-int8.gradcam.onnx');
    // The plain model is the gradcam one without the 'features' output (and its DequantizeLinear node).
    const stripped = readOnnx(dropGraphOutputs(gradcam, ['features']));
    expect(stripped.outputs.map((o) => o.name)).toEqual(['output']);
    expect(findCamHead(stripped).featureOutput).toBeNull();
    const plain = load('mobilenetv2-12-int8.onnx');

    const model = readOnnx(plain);
    const head = findCamHead(model);
    expect(head.featureOutput).toBeNull();
    const edited = withFeatureOutput(plain, model, head);
    expect(edited.outputName).toBe('cam_features');
    const m2 = readOnnx(edited.bytes);
    expect(m2.nodes.at(-1)).toMatchObject({ opType: 'DequantizeLinear', inputs: ['627_quantized', '627_scale', '627_zero_point'], outputs: ['cam_features'] });
    expect(m2.outputs.at(-1)).toEqual({ name: 'cam_features', elemType: 1, dims: ['batch_size', 1280, null, null] });
    expect(findCamHead(m2).featureOutput).toBe('cam_features');

    const x = randomFloats(2 * 3 * 224 * 224, 12345, -2.1, 2.6);
    const a = await run(edited.bytes, x);
    const b = await run(gradcam, x);
    expect(a.out.cam_features.dims).toEqual([2, 1280, 7, 7]);
    expect(a.out.cam_features.data).toEqual(b.out.features.data);
    expect(a.out.output.data).toEqual(b.out.output.data);
    expect(a.meta.at(-1)).toMatchObject({ name: 'cam_features', type: 'float32' });
  });

  it('squeezenet1.1-caffe2: an Identity output of the float feature map equal to "features", logits unchanged', async () => {
    const gradcam = load('squeezenet1.1-caffe2.fp32.gradcam.onnx');
    const stripped = dropGraphOutputs(gradcam, ['features', 'class_maps']);
    const model = readOnnx(stripped);
    expect(model.outputs.map((o) => o.name)).toEqual(['logits']);
    const head = findCamHead(model);
    const edited = withFeatureOutput(stripped, model, head, 'feat');
    expect(edited.outputName).toBe('feat');
    const m2 = readOnnx(edited.bytes);
    expect(m2.nodes.at(-1)).toMatchObject({ opType: 'Identity', inputs: ['fire9/concat_1'], outputs: ['feat'] });
    expect(m2.outputs.at(-1)).toEqual({ name: 'feat', elemType: 1, dims: ['batch', 512, null, null] });

    const x = randomFloats(2 * 3 * 224 * 224, 999, -2.1, 2.6);
    const a = await run(edited.bytes, x);
    const b = await run(gradcam, x);
    expect(a.out.feat.dims).toEqual([2, 512, 13, 13]);
    expect(a.out.feat.data).toEqual(b.out.features.data);
    expect(a.out.logits.data).toEqual(b.out.logits.data);
  });
});
