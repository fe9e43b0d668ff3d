/**
 * Builds small ONNX models byte by byte (protobuf wire format), so tests can make models of any shape without
 * Python or downloads.
 */
import { bytesField, concatBytes, floatField as float32Field, stringField as strField, varintField as intField } from '../../src/core/onnx/protobuf';

type Field = Uint8Array;
const cat = (parts: Field[]): Field => concatBytes(parts);
const floatsField = (no: number, xs: number[]): Field => bytesField(no, new Uint8Array(Float32Array.from(xs).buffer));
/** The bytes of a Float32Array, little-endian (ONNX raw_data order), without copying on little-endian hosts. */
function float32Bytes(xs: Float32Array): Field {
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (le) return new Uint8Array(xs.buffer, xs.byteOffset, xs.byteLength);
  const b = new Uint8Array(xs.length * 4);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < xs.length; i++) dv.setFloat32(i * 4, xs[i], true);
  return b;
}

export type DimSpec = number | string;

function valueInfo(name: string, dims: DimSpec[], elemType = 1): Field {
  const shape = cat(dims.map((d) => bytesField(1, typeof d === 'number' ? intField(1, d) : strField(2, d))));
  const tensorType = cat([intField(1, elemType), bytesField(2, shape)]);
  return cat([strField(1, name), bytesField(2, bytesField(1, tensorType))]);
}

export interface TinyNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** AttributeProto type INT (2), value in field i (3). */
  intAttrs?: Record<string, number>;
  /** AttributeProto type INTS (7), values in repeated field ints (8), e.g. kernel_shape, strides, pads. */
  intsAttrs?: Record<string, number[]>;
  /** AttributeProto type FLOAT (1), value in field f (2), e.g. Gemm alpha/beta. */
  floatAttrs?: Record<string, number>;
}

export interface TinyTensor {
  name: string;
  dims: number[];
  /** number[] is written as packed float_data (field 4); a Float32Array as raw_data bytes (field 9), which is
   *  the fast path for large weights. */
  values: number[] | Float32Array;
}

function node(n: TinyNode, i: number): Field {
  const attrs = [
    ...Object.entries(n.intAttrs ?? {}).map(([k, v]) => bytesField(5, cat([strField(1, k), intField(3, v), intField(20, 2)]))),
    ...Object.entries(n.floatAttrs ?? {}).map(([k, v]) => bytesField(5, cat([strField(1, k), float32Field(2, v), intField(20, 1)]))),
    ...Object.entries(n.intsAttrs ?? {}).map(([k, vs]) =>
      bytesField(5, cat([strField(1, k), ...vs.map((v) => intField(8, v)), intField(20, 7)])),
    ),
  ];
  return cat([...n.inputs.map((x) => strField(1, x)), ...n.outputs.map((x) => strField(2, x)), strField(3, `n${i}`), strField(4, n.op), ...attrs]);
}

function initializer(t: TinyTensor): Field {
  const data = t.values instanceof Float32Array ? bytesField(9, float32Bytes(t.values)) : floatsField(4, t.values);
  return cat([...t.dims.map((d) => intField(1, d)), intField(2, 1), data, strField(8, t.name)]);
}

export function buildOnnx(spec: {
  inputs: { name: string; dims: DimSpec[] }[];
  outputs: { name: string; dims: DimSpec[] }[];
  nodes: TinyNode[];
  initializers?: TinyTensor[];
  opset?: number;
  /** GraphProto name; 'tiny' unless given. */
  graphName?: string;
  /** ModelProto producer_name; 'shiftlens-test' unless given. */
  producer?: string;
}): Uint8Array {
  const graph = cat([
    ...spec.nodes.map((n, i) => bytesField(1, node(n, i))),
    strField(2, spec.graphName ?? 'tiny'),
    ...(spec.initializers ?? []).map((t) => bytesField(5, initializer(t))),
    ...spec.inputs.map((v) => bytesField(11, valueInfo(v.name, v.dims))),
    ...spec.outputs.map((v) => bytesField(12, valueInfo(v.name, v.dims))),
  ]);
  return cat([intField(1, 8), strField(2, spec.producer ?? 'shiftlens-test'), bytesField(7, graph), bytesField(8, cat([strField(1, ''), intField(2, spec.opset ?? 13)]))]);
}

/** Input [N,3,S,S] → global average pool → flatten → [N,3]: a "classifier" of 3 classes at any input size. */
export function poolingClassifier(size: number, batch: DimSpec = 'N', channels = 3): Uint8Array {
  return buildOnnx({
    inputs: [{ name: 'input', dims: [batch, channels, size, size] }],
    outputs: [{ name: 'logits', dims: [batch, channels] }],
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['input'], outputs: ['pooled'] },
      { op: 'Flatten', inputs: ['pooled'], outputs: ['logits'], intAttrs: { axis: 1 } },
    ],
  });
}
