import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import {
  DataType,
  addGraphOutputs,
  readOnnx,
  realInputs,
  tensorToFloat32,
  type OnnxModel,
} from '../../../src/core/onnx/onnx-model';
import { ProtoReader, bytesField, concatBytes, packedVarintField, stringField, varintField } from '../../../src/core/onnx/protobuf';
import { describeFixtures, fixture } from '../../support/fixtures';
import { buildOnnx } from '../../support/tiny-onnx';

const ORT_TYPES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64' };
const opts = { intraOpNumThreads: 1, interOpNumThreads: 1 } as const;

function opCounts(m: OnnxModel): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of m.nodes) {
    const k = n.domain ? `${n.domain}:${n.opType}` : n.opType;
    c[k] = (c[k] ?? 0) + 1;
  }
  return c;
}

/** A ModelProto whose graph holds only the given TensorProto payloads as initializers. */
const modelWithTensors = (tensors: Uint8Array[]) =>
  concatBytes([varintField(1, 7), bytesField(7, concatBytes(tensors.map((t) => bytesField(5, t))))]);
const tensor = (name: string, dataType: number, dims: number[], data: Uint8Array) =>
  concatBytes([...dims.map((d) => varintField(1, d)), varintField(2, dataType), stringField(8, name), data]);

describe('readOnnx on a tiny-onnx model', () => {
  const W = Float32Array.from({ length: 12 }, (_, i) => i / 4 - 1);
  const bytes = buildOnnx({
    inputs: [{ name: 'x', dims: ['N', 4, 5, 5] }],
    outputs: [{ name: 'y', dims: ['N', 3] }],
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'], intAttrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['f', 'W', 'b'], outputs: ['y'], intAttrs: { transB: 1 }, floatAttrs: { alpha: 0.5 }, intsAttrs: { unused: [3, -4, 2 ** 40] } },
    ],
    initializers: [
      { name: 'W', dims: [3, 4], values: W },
      { name: 'b', dims: [3], values: [0.5, -1, 2] },
    ],
    opset: 13,
    graphName: 'g',
    producer: 'me',
  });
  const m = readOnnx(bytes);

  it('reads the model header, graph inputs, outputs and nodes', () => {
    expect(m.irVersion).toBe(8);
    expect(m.producerName).toBe('me');
    expect(m.graphName).toBe('g');
    expect(m.opsets).toEqual([{ domain: '', version: 13 }]);
    expect(m.inputs).toEqual([{ name: 'x', elemType: 1, dims: ['N', 4, 5, 5] }]);
    expect(m.outputs).toEqual([{ name: 'y', elemType: 1, dims: ['N', 3] }]);
    expect(m.valueInfo).toEqual([]);
    expect(m.nodes.map((n) => [n.name, n.opType, n.domain, n.inputs, n.outputs])).toEqual([
      ['n0', 'GlobalAveragePool', '', ['x'], ['p']],
      ['n1', 'Flatten', '', ['p'], ['f']],
      ['n2', 'Gemm', '', ['f', 'W', 'b'], ['y']],
    ]);
    expect(m.nodes[1].attributes).toEqual({ axis: { i: 1 } });
    expect(m.nodes[2].attributes).toEqual({ transB: { i: 1 }, alpha: { f: 0.5 }, unused: { ints: [3, -4, 2 ** 40] } });
  });

  it('reads raw_data initializers as views and float_data ones as values', () => {
    const w = m.initializers.get('W')!;
    expect(w).toMatchObject({ name: 'W', dataType: DataType.FLOAT, dims: [3, 4] });
    expect(w.raw!.buffer).toBe(bytes.buffer);
    expect(Array.from(tensorToFloat32(w))).toEqual(Array.from(W));
    const b = m.initializers.get('b')!;
    expect(b.raw).toBeUndefined();
    expect(Array.from(b.floatData!)).toEqual([0.5, -1, 2]);
    expect(Array.from(tensorToFloat32(b))).toEqual([0.5, -1, 2]);
    expect(realInputs(m).map((v) => v.name)).toEqual(['x']);
  });

  it('leaves initializers that are also graph inputs (IR < 4) to realInputs() to filter', () => {
    const old = readOnnx(
      buildOnnx({
        inputs: [{ name: 'x', dims: [1, 2] }, { name: 'W', dims: [2, 2] }],
        outputs: [{ name: 'y', dims: [1, 2] }],
        nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['y'] }],
        initializers: [{ name: 'W', dims: [2, 2], values: [1, 2, 3, 4] }],
      }),
    );
    expect(old.inputs.map((v) => v.name)).toEqual(['x', 'W']);
    expect(realInputs(old).map((v) => v.name)).toEqual(['x']);
  });
});

describe('tensorToFloat32', () => {
  it('converts raw integer, float16 and double tensors, and typed data fields', () => {
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001]).buffer); // 1, -2, 0.333…, 2^-24
    const f64 = new Uint8Array(new Float64Array([0.1, -3]).buffer);
    const i64 = new Uint8Array(new BigInt64Array([-5n, 2n ** 40n]).buffer);
    const m = readOnnx(
      modelWithTensors([
        tensor('i8', DataType.INT8, [4], bytesField(9, new Uint8Array(Int8Array.from([-128, -1, 0, 127]).buffer))),
        tensor('u8', DataType.UINT8, [2, 2], bytesField(9, Uint8Array.from([0, 1, 254, 255]))),
        tensor('i32', DataType.INT32, [3], bytesField(9, new Uint8Array(Int32Array.from([-7, 0, 2 ** 30]).buffer))),
        tensor('f16', DataType.FLOAT16, [4], bytesField(9, f16)),
        tensor('f64', DataType.DOUBLE, [2], bytesField(9, f64)),
        tensor('i64', DataType.INT64, [2], bytesField(9, i64)),
        tensor('zp', DataType.UINT8, [], packedVarintField(5, [112])), // int32_data
        tensor('i8d', DataType.INT8, [2], concatBytes([varintField(5, -3), varintField(5, 4)])), // unpacked, sign-extended
        tensor('i64d', DataType.INT64, [2], packedVarintField(7, [-1, 2 ** 50])),
        tensor('ext', DataType.FLOAT, [1], varintField(14, 1)),
      ]),
    );
    const v = (n: string) => Array.from(tensorToFloat32(m.initializers.get(n)!));
    expect(v('i8')).toEqual([-128, -1, 0, 127]);
    expect(v('u8')).toEqual([0, 1, 254, 255]);
    expect(v('i32')).toEqual([-7, 0, 2 ** 30]);
    expect(v('f16')).toEqual([1, -2, Math.fround(0.333251953125), Math.fround(2 ** -24)]);
    expect(v('f64')).toEqual([Math.fround(0.1), -3]);
    expect(v('i64')).toEqual([-5, 2 ** 40]);
    expect(v('zp')).toEqual([112]);
    expect(v('i8d')).toEqual([-3, 4]);
    expect(v('i64d')).toEqual([-1, 2 ** 50]);
    expect(() => v('ext')).toThrow(/external/);
  });

  it('rejects a tensor whose data does not fit its dims', () => {
    const m = readOnnx(modelWithTensors([tensor('bad', DataType.FLOAT, [3], bytesField(9, new Uint8Array(8)))]));
    expect(() => tensorToFloat32(m.initializers.get('bad')!)).toThrow(/holds 2 values, expected 3/);
  });

  it('rejects bytes that are not a model', () => {
    expect(() => readOnnx(concatBytes([varintField(1, 7)]))).toThrow(/no graph/);
    expect(() => readOnnx(Uint8Array.from([0x3a, 0x20, 1]))).toThrow(/truncated/);
  });
});

describe('addGraphOutputs', () => {
  const bytes = buildOnnx({
    inputs: [{ name: 'x', dims: ['N', 2, 3, 3] }],
    outputs: [{ name: 'y', dims: ['N', 2] }],
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['r'] },
      { op: 'GlobalAveragePool', inputs: ['r'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['y'], intAttrs: { axis: 1 } },
    ],
  });

  it('appends nodes and outputs to the graph and copies every other byte', async () => {
    const edited = addGraphOutputs(
      bytes,
      [
        { name: 'r', elemType: 1, dims: ['N', 2, 3, 3] },
        { name: 'neg', elemType: 1, dims: ['N', 2, null, null] },
      ],
      [{ opType: 'Neg', inputs: ['r'], outputs: ['neg'], name: 'extra_neg' }],
    );
    const before = readOnnx(bytes);
    const after = readOnnx(edited);
    expect(after.outputs).toEqual([
      ...before.outputs,
      { name: 'r', elemType: 1, dims: ['N', 2, 3, 3] },
      { name: 'neg', elemType: 1, dims: ['N', 2, null, null] },
    ]);
    expect(after.nodes.slice(0, 3)).toEqual(before.nodes);
    expect(after.nodes[3]).toEqual({ name: 'extra_neg', opType: 'Neg', domain: '', inputs: ['r'], outputs: ['neg'], attributes: {} });
    expect({ ...after, nodes: [], outputs: [] }).toEqual({ ...before, nodes: [], outputs: [] });
    // The header before the graph is unchanged; the old graph payload is copied verbatim.
    const graphAt = bytes.indexOf(0x3a); // ModelProto field 7, wire type 2
    expect(Array.from(edited.subarray(0, graphAt))).toEqual(Array.from(bytes.subarray(0, graphAt)));
    const s = await ort.InferenceSession.create(edited, opts);
    expect(s.outputNames).toEqual(['y', 'r', 'neg']);
    const x = Float32Array.from({ length: 18 }, (_, i) => i - 9);
    const out = await s.run({ x: new ort.Tensor('float32', x, [1, 2, 3, 3]) });
    expect(Array.from(out.r.data as Float32Array)).toEqual(Array.from(x, (v) => Math.max(v, 0)));
    expect(Array.from(out.neg.data as Float32Array, (v) => v + 0)).toEqual(Array.from(x, (v) => -Math.max(v, 0) + 0));
    expect(out.neg.dims).toEqual([1, 2, 3, 3]);
  });

  it('rewrites a graph length that needs a longer varint', async () => {
    const small = buildOnnx({ inputs: [{ name: 'x', dims: [1] }], outputs: [{ name: 'y', dims: [1] }], nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }] });
    const graphLength = (b: Uint8Array) => {
      const r = ProtoReader.of(b);
      for (;;) {
        const { field, wire } = r.tag();
        if (field === 7) return r.bytes().length;
        r.skip(wire);
      }
    };
    expect(graphLength(small)).toBeLessThan(128);
    const big = addGraphOutputs(small, Array.from({ length: 10 }, (_, i) => ({ name: `x${i}`.padEnd(12, '_'), elemType: 1, dims: null })), [
      { opType: 'Identity', inputs: ['x'], outputs: ['x0__________'], name: 'copy' },
    ]);
    expect(graphLength(big)).toBeGreaterThan(127);
    expect(big.length).toBeGreaterThan(small.length + 10 * 16);
    const m = readOnnx(big);
    expect(m.outputs).toHaveLength(11);
    expect(m.outputs[10]).toEqual({ name: 'x9__________', elemType: 1, dims: null });
    expect(m.producerName).toBe('shiftlens-test');
    expect(m.opsets).toEqual([{ domain: '', version: 13 }]);
  });
});

describeFixtures('readOnnx on the fixture models', () => {
  const cases = [
    {
      file: 'mobilenetv2-12-int8.onnx',
      ir: 7,
      opset: 12,
      nodes: 73,
      initializers: 348,
      ops: {
        QuantizeLinear: 1,
        QLinearConv: 52,
        'com.microsoft:QLinearAdd': 11,
        'com.microsoft:QLinearGlobalAveragePool': 1,
        DequantizeLinear: 2,
        Shape: 1,
        Gather: 1,
        Unsqueeze: 1,
        Concat: 1,
        Reshape: 1,
        QLinearMatMul: 1,
      },
    },
    {
      file: 'mobilenetv2-12-int8.gradcam.onnx',
      ir: 7,
      opset: 12,
      nodes: 74,
      initializers: 348,
      ops: {
        QuantizeLinear: 1,
        QLinearConv: 52,
        'com.microsoft:QLinearAdd': 11,
        'com.microsoft:QLinearGlobalAveragePool': 1,
        DequantizeLinear: 3,
        Shape: 1,
        Gather: 1,
        Unsqueeze: 1,
        Concat: 1,
        Reshape: 1,
        QLinearMatMul: 1,
      },
    },
    {
      file: 'squeezenet1.1-caffe2.fp32.gradcam.onnx',
      ir: 4,
      opset: 7,
      nodes: 67,
      initializers: 52,
      ops: { Conv: 26, Relu: 26, MaxPool: 3, Concat: 8, GlobalAveragePool: 1, Flatten: 1, Identity: 2 },
    },
  ];
  for (const c of cases) {
    it(`${c.file}: ops, inputs and outputs agree with onnxruntime-node`, async () => {
      const bytes = new Uint8Array(readFileSync(fixture('models', c.file)));
      const m = readOnnx(bytes);
      expect(m.irVersion).toBe(c.ir);
      expect(m.opsets.find((o) => o.domain === '')?.version).toBe(c.opset);
      expect(m.nodes).toHaveLength(c.nodes);
      expect(m.initializers.size).toBe(c.initializers);
      expect(opCounts(m)).toEqual(c.ops);
      // Every node input is produced by a node, an initializer or a graph input (or is an omitted optional one).
      const known = new Set([...m.initializers.keys(), ...m.inputs.map((v) => v.name), ...m.nodes.flatMap((n) => n.outputs), '']);
      expect(m.nodes.flatMap((n) => n.inputs).filter((x) => !known.has(x))).toEqual([]);
      // Every initializer's data matches its dims.
      for (const t of m.initializers.values()) expect(tensorToFloat32(t).length).toBe(t.dims.reduce((a, b) => a * b, 1));

      const s = await ort.InferenceSession.create(bytes, opts);
      const real = realInputs(m);
      expect(real.map((v) => v.name)).toEqual([...s.inputNames]);
      expect(m.outputs.map((v) => v.name)).toEqual([...s.outputNames]);
      const meta = (vs: typeof real) => vs.map((v) => ({ name: v.name, isTensor: true, type: ORT_TYPES[v.elemType], shape: v.dims }));
      expect(meta(real)).toEqual(s.inputMetadata);
      expect(meta(m.outputs)).toEqual(s.outputMetadata);
      await s.release();
    });
  }
});
