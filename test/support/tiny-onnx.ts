/**
 * Builds small ONNX models byte by byte (protobuf wire format), so tests can make models of any shape without
 * Python or downloads.
 */
type Field = Uint8Array;

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const cat = (parts: (Field | number[])[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));
const intField = (no: number, v: number | bigint): Field => cat([varint((no << 3) | 0), varint(v)]);
const bytesField = (no: number, payload: Field): Field => cat([varint((no << 3) | 2), varint(payload.length), payload]);
const strField = (no: number, s: string): Field => bytesField(no, new TextEncoder().encode(s));
const floatsField = (no: number, xs: number[]): Field => bytesField(no, new Uint8Array(Float32Array.from(xs).buffer));

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
  intAttrs?: Record<string, number>;
}

export interface TinyTensor {
  name: string;
  dims: number[];
  values: number[];
}

function node(n: TinyNode, i: number): Field {
  const attrs = Object.entries(n.intAttrs ?? {}).map(([k, v]) => bytesField(5, cat([strField(1, k), intField(3, v), intField(20, 2)])));
  return cat([...n.inputs.map((x) => strField(1, x)), ...n.outputs.map((x) => strField(2, x)), strField(3, `n${i}`), strField(4, n.op), ...attrs]);
}

function initializer(t: TinyTensor): Field {
  return cat([...t.dims.map((d) => intField(1, d)), intField(2, 1), floatsField(4, t.values), strField(8, t.name)]);
}

export function buildOnnx(spec: {
  inputs: { name: string; dims: DimSpec[] }[];
  outputs: { name: string; dims: DimSpec[] }[];
  nodes: TinyNode[];
  initializers?: TinyTensor[];
  opset?: number;
}): Uint8Array {
  const graph = cat([
    ...spec.nodes.map((n, i) => bytesField(1, node(n, i))),
    strField(2, 'tiny'),
    ...(spec.initializers ?? []).map((t) => bytesField(5, initializer(t))),
    ...spec.inputs.map((v) => bytesField(11, valueInfo(v.name, v.dims))),
    ...spec.outputs.map((v) => bytesField(12, valueInfo(v.name, v.dims))),
  ]);
  return cat([intField(1, 8), strField(2, 'shiftlens-test'), bytesField(7, graph), bytesField(8, cat([strField(1, ''), intField(2, spec.opset ?? 13)]))]);
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
