/**
 * Reads the parts of an ONNX ModelProto that graph analysis needs (nodes, initializers, inputs/outputs and
 * their shapes), and edits a model by appending graph outputs and nodes without re-encoding anything else.
 *
 * Pure TypeScript (no DOM or Node APIs). Field numbers from onnx/onnx.proto.
 */
import {
  ProtoReader,
  ProtobufError,
  WIRE_LEN,
  WIRE_VARINT,
  bytesField,
  concatBytes,
  encodeTag,
  encodeVarint,
  floatField,
  packedFloatField,
  packedVarintField,
  stringField,
  varintField,
} from './protobuf';

export { ProtobufError } from './protobuf';

/** TensorProto.DataType values. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

const DATA_TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DataType).map(([k, v]) => [v, k.toLowerCase()]));
export const dataTypeName = (t: number): string => DATA_TYPE_NAMES[t] ?? `type ${t}`;

export interface OnnxTensor {
  name: string;
  dataType: number;
  dims: number[];
  /** raw_data as a view into the model bytes (little-endian), not a copy. */
  raw?: Uint8Array;
  floatData?: Float32Array;
  /** int32_data: holds INT32, and also INT8/UINT8/INT16/UINT16/BOOL/FLOAT16 (bits) values. */
  int32Data?: Int32Array;
  int64Data?: number[];
  doubleData?: Float64Array;
  /** True when the values live in an external file (data_location = EXTERNAL); they cannot be read here. */
  external?: boolean;
}

export interface OnnxAttribute {
  i?: number;
  f?: number;
  ints?: number[];
  floats?: number[];
  s?: string;
  t?: OnnxTensor;
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
}

export interface OnnxValueInfo {
  name: string;
  /** TensorProto.DataType of a tensor type; 0 when the type is absent or not a tensor. */
  elemType: number;
  /** null when the shape is unknown (no shape field); each dim a number, a symbolic name, or null (unknown). */
  dims: (number | string | null)[] | null;
}

export interface OnnxModel {
  irVersion: number;
  producerName: string;
  graphName: string;
  opsets: { domain: string; version: number }[];
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  /** Every graph input as written. Models of IR < 4 also list their initializers here: see realInputs(). */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
}

/** The graph inputs that are fed at run time (those that are not also initializers). */
export function realInputs(model: OnnxModel): OnnxValueInfo[] {
  return model.inputs.filter((v) => !model.initializers.has(v.name));
}

/** The opset version of a domain ('' and 'ai.onnx' are the same), or undefined when it is not imported. */
export function opsetVersion(model: OnnxModel, domain = ''): number | undefined {
  const d = domain === 'ai.onnx' ? '' : domain;
  return model.opsets.find((o) => (o.domain === 'ai.onnx' ? '' : o.domain) === d)?.version;
}

// ---------------------------------------------------------------------------------------------------------
// Reading

function readTensor(payload: Uint8Array): OnnxTensor {
  const r = ProtoReader.of(payload);
  const t: OnnxTensor = { name: '', dataType: 0, dims: [] };
  const floats: number[] = [];
  const int32s: number[] = [];
  const int64s: number[] = [];
  const doubles: number[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        r.repeatedVarint(wire, t.dims);
        break;
      case 2:
        t.dataType = r.varint();
        break;
      case 4:
        r.repeatedFloat(wire, floats);
        break;
      case 5:
        r.repeatedVarint(wire, int32s);
        break;
      case 7:
        r.repeatedVarint(wire, int64s);
        break;
      case 8:
        t.name = r.string();
        break;
      case 9:
        t.raw = r.bytes();
        break;
      case 10:
        r.repeatedDouble(wire, doubles);
        break;
      case 14:
        t.external = r.varint() === 1;
        break;
      default:
        r.skip(wire);
    }
  }
  if (floats.length) t.floatData = Float32Array.from(floats);
  if (int32s.length) t.int32Data = Int32Array.from(int32s);
  if (int64s.length) t.int64Data = int64s;
  if (doubles.length) t.doubleData = Float64Array.from(doubles);
  return t;
}

function readAttribute(payload: Uint8Array): { name: string; value: OnnxAttribute } {
  const r = ProtoReader.of(payload);
  let name = '';
  const value: OnnxAttribute = {};
  const ints: number[] = [];
  const floats: number[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        name = r.string();
        break;
      case 2:
        value.f = r.fixed32Float();
        break;
      case 3:
        value.i = r.varint();
        break;
      case 4:
        value.s = r.string();
        break;
      case 5:
        value.t = readTensor(r.bytes());
        break;
      case 7:
        r.repeatedFloat(wire, floats);
        break;
      case 8:
        r.repeatedVarint(wire, ints);
        break;
      default:
        r.skip(wire);
    }
  }
  if (ints.length) value.ints = ints;
  if (floats.length) value.floats = floats;
  return { name, value };
}

function readNode(payload: Uint8Array): OnnxNode {
  const r = ProtoReader.of(payload);
  const n: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: {} };
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        n.inputs.push(r.string());
        break;
      case 2:
        n.outputs.push(r.string());
        break;
      case 3:
        n.name = r.string();
        break;
      case 4:
        n.opType = r.string();
        break;
      case 5: {
        const a = readAttribute(r.bytes());
        n.attributes[a.name] = a.value;
        break;
      }
      case 7:
        n.domain = r.string();
        break;
      default:
        r.skip(wire);
    }
  }
  return n;
}

function readShape(payload: Uint8Array): (number | string | null)[] {
  const r = ProtoReader.of(payload);
  const dims: (number | string | null)[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1 || wire !== WIRE_LEN) {
      r.skip(wire);
      continue;
    }
    const d = ProtoReader.of(r.bytes());
    let dim: number | string | null = null;
    while (!d.done) {
      const t = d.tag();
      if (t.field === 1 && t.wire === WIRE_VARINT) dim = d.varint();
      else if (t.field === 2 && t.wire === WIRE_LEN) dim = d.string();
      else d.skip(t.wire);
    }
    dims.push(dim);
  }
  return dims;
}

function readValueInfo(payload: Uint8Array): OnnxValueInfo {
  const r = ProtoReader.of(payload);
  const v: OnnxValueInfo = { name: '', elemType: 0, dims: null };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) v.name = r.string();
    else if (field === 2) {
      // TypeProto
      const tp = ProtoReader.of(r.bytes());
      while (!tp.done) {
        const t = tp.tag();
        if (t.field !== 1) {
          tp.skip(t.wire);
          continue;
        }
        // TypeProto.Tensor
        const tt = ProtoReader.of(tp.bytes());
        while (!tt.done) {
          const u = tt.tag();
          if (u.field === 1) v.elemType = tt.varint();
          else if (u.field === 2) v.dims = readShape(tt.bytes());
          else tt.skip(u.wire);
        }
      }
    } else r.skip(wire);
  }
  return v;
}

function readGraph(payload: Uint8Array, model: OnnxModel): void {
  const r = ProtoReader.of(payload);
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        model.nodes.push(readNode(r.bytes()));
        break;
      case 2:
        model.graphName = r.string();
        break;
      case 5: {
        const t = readTensor(r.bytes());
        model.initializers.set(t.name, t);
        break;
      }
      case 11:
        model.inputs.push(readValueInfo(r.bytes()));
        break;
      case 12:
        model.outputs.push(readValueInfo(r.bytes()));
        break;
      case 13:
        model.valueInfo.push(readValueInfo(r.bytes()));
        break;
      default:
        r.skip(wire);
    }
  }
}

/** Parses an ONNX ModelProto. Weights stay views into `bytes` (keep `bytes` alive and unmodified). */
export function readOnnx(bytes: Uint8Array): OnnxModel {
  const model: OnnxModel = {
    irVersion: 0,
    producerName: '',
    graphName: '',
    opsets: [],
    nodes: [],
    initializers: new Map(),
    inputs: [],
    outputs: [],
    valueInfo: [],
  };
  const r = ProtoReader.of(bytes);
  let sawGraph = false;
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        model.irVersion = r.varint();
        break;
      case 2:
        model.producerName = r.string();
        break;
      case 7:
        // A repeated occurrence of a message field merges into the first; repeated graph fields concatenate.
        readGraph(r.bytes(), model);
        sawGraph = true;
        break;
      case 8: {
        const o = ProtoReader.of(r.bytes());
        const opset = { domain: '', version: 0 };
        while (!o.done) {
          const t = o.tag();
          if (t.field === 1) opset.domain = o.string();
          else if (t.field === 2) opset.version = o.varint();
          else o.skip(t.wire);
        }
        model.opsets.push(opset);
        break;
      }
      default:
        r.skip(wire);
    }
  }
  if (!sawGraph) throw new ProtobufError('not an ONNX model: no graph (ModelProto field 7)');
  return model;
}

// ---------------------------------------------------------------------------------------------------------
// Tensor values

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function float16ToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The number of elements that the tensor's dims describe. */
export const tensorSize = (t: OnnxTensor): number => t.dims.reduce((a, b) => a * b, 1);

/**
 * The tensor's values as float32: FLOAT, DOUBLE and FLOAT16 by value; the integer types (INT8, UINT8, INT16,
 * UINT16, INT32, INT64, UINT32, BOOL) as plain numbers (no dequantisation). Always a new array.
 */
export function tensorToFloat32(t: OnnxTensor): Float32Array {
  if (t.external) throw new ProtobufError(`tensor "${t.name}" keeps its data in an external file, which is not supported`);
  const n = tensorSize(t);
  const check = (got: number): void => {
    if (got !== n) throw new ProtobufError(`tensor "${t.name}" ${dataTypeName(t.dataType)}[${t.dims.join(', ')}] holds ${got} values, expected ${n}`);
  };
  const raw = t.raw;
  const dv = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const out = new Float32Array(n);
  const fromRaw = (bytesPer: number, get: (i: number) => number): Float32Array => {
    check(raw!.length / bytesPer);
    for (let i = 0; i < n; i++) out[i] = get(i);
    return out;
  };
  switch (t.dataType) {
    case DataType.FLOAT:
      if (raw) {
        check(raw.length / 4);
        if (LITTLE_ENDIAN) return new Float32Array(raw.slice().buffer);
        return fromRaw(4, (i) => dv!.getFloat32(i * 4, true));
      }
      check(t.floatData?.length ?? 0);
      return n ? Float32Array.from(t.floatData!) : out;
    case DataType.DOUBLE:
      if (raw) return fromRaw(8, (i) => dv!.getFloat64(i * 8, true));
      check(t.doubleData?.length ?? 0);
      return n ? Float32Array.from(t.doubleData!) : out;
    case DataType.FLOAT16:
      if (raw) return fromRaw(2, (i) => float16ToFloat32(dv!.getUint16(i * 2, true)));
      check(t.int32Data?.length ?? 0);
      for (let i = 0; i < n; i++) out[i] = float16ToFloat32(t.int32Data![i] & 0xffff);
      return out;
    case DataType.UINT8:
    case DataType.BOOL:
      if (raw) return fromRaw(1, (i) => raw[i]);
      break;
    case DataType.INT8:
      if (raw) return fromRaw(1, (i) => dv!.getInt8(i));
      break;
    case DataType.UINT16:
      if (raw) return fromRaw(2, (i) => dv!.getUint16(i * 2, true));
      break;
    case DataType.INT16:
      if (raw) return fromRaw(2, (i) => dv!.getInt16(i * 2, true));
      break;
    case DataType.INT32:
      if (raw) return fromRaw(4, (i) => dv!.getInt32(i * 4, true));
      break;
    case DataType.UINT32:
      if (raw) return fromRaw(4, (i) => dv!.getUint32(i * 4, true));
      break;
    case DataType.INT64:
      if (raw) return fromRaw(8, (i) => Number(dv!.getBigInt64(i * 8, true)));
      check(t.int64Data?.length ?? 0);
      for (let i = 0; i < n; i++) out[i] = t.int64Data![i];
      return out;
    default:
      throw new ProtobufError(`tensor "${t.name}" has unsupported data type ${dataTypeName(t.dataType)}`);
  }
  // Small integer types without raw_data keep their values in int32_data.
  check(t.int32Data?.length ?? 0);
  for (let i = 0; i < n; i++) out[i] = t.int32Data![i];
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Writing: graph surgery

export interface ExtraNode {
  opType: string;
  domain?: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes?: Record<string, { i?: number; f?: number; ints?: number[]; floats?: number[]; s?: string }>;
}

function encodeAttribute(name: string, a: NonNullable<ExtraNode['attributes']>[string]): Uint8Array {
  // AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7.
  const parts = [stringField(1, name)];
  if (a.f !== undefined) parts.push(floatField(2, a.f), varintField(20, 1));
  else if (a.i !== undefined) parts.push(varintField(3, a.i), varintField(20, 2));
  else if (a.s !== undefined) parts.push(stringField(4, a.s), varintField(20, 3));
  else if (a.floats !== undefined) parts.push(packedFloatField(7, a.floats), varintField(20, 6));
  else if (a.ints !== undefined) parts.push(packedVarintField(8, a.ints), varintField(20, 7));
  else throw new ProtobufError(`attribute "${name}" has no value`);
  return concatBytes(parts);
}

/** NodeProto bytes (without the field key). */
export function encodeNode(n: ExtraNode): Uint8Array {
  return concatBytes([
    ...n.inputs.map((x) => stringField(1, x)),
    ...n.outputs.map((x) => stringField(2, x)),
    stringField(3, n.name),
    stringField(4, n.opType),
    ...Object.entries(n.attributes ?? {}).map(([k, v]) => bytesField(5, encodeAttribute(k, v))),
    ...(n.domain ? [stringField(7, n.domain)] : []),
  ]);
}

/** ValueInfoProto bytes (without the field key) of a tensor; dims null = shape unknown, a null dim = unknown dim. */
export function encodeValueInfo(v: OnnxValueInfo): Uint8Array {
  const tensorType = [varintField(1, v.elemType)];
  if (v.dims) {
    const dims = v.dims.map((d) =>
      bytesField(1, d === null ? new Uint8Array(0) : typeof d === 'number' ? varintField(1, d) : stringField(2, d)),
    );
    tensorType.push(bytesField(2, concatBytes(dims)));
  }
  return concatBytes([stringField(1, v.name), bytesField(2, bytesField(1, concatBytes(tensorType)))]);
}

/**
 * Returns new model bytes with `extraNodes` appended to the graph and `outputs` added as graph outputs.
 *
 * Only the graph's length prefix in the ModelProto changes: the new node (GraphProto field 1) and output
 * (field 12) entries are appended after the existing graph payload (protobuf allows the fields of a message
 * in any order, repeated ones concatenate), and everything else is copied byte for byte.
 */
export function addGraphOutputs(bytes: Uint8Array, outputs: OnnxValueInfo[], extraNodes: ExtraNode[] = []): Uint8Array {
  // Find the (last) graph field; under protobuf merge semantics appending to the last occurrence is the same
  // as appending to the merged graph.
  const r = ProtoReader.of(bytes);
  let graph: { keyStart: number; payloadStart: number; payloadEnd: number } | undefined;
  while (!r.done) {
    const keyStart = r.pos;
    const { field, wire } = r.tag();
    if (field === 7 && wire === WIRE_LEN) {
      const payload = r.bytes();
      graph = { keyStart, payloadStart: r.pos - payload.length, payloadEnd: r.pos };
    } else r.skip(wire);
  }
  if (!graph) throw new ProtobufError('not an ONNX model: no graph (ModelProto field 7)');
  const appended = concatBytes([
    ...extraNodes.map((n) => bytesField(1, encodeNode(n))),
    ...outputs.map((o) => bytesField(12, encodeValueInfo(o))),
  ]);
  const graphLength = graph.payloadEnd - graph.payloadStart + appended.length;
  return concatBytes([
    bytes.subarray(0, graph.keyStart),
    encodeTag(7, WIRE_LEN),
    encodeVarint(graphLength),
    bytes.subarray(graph.payloadStart, graph.payloadEnd),
    appended,
    bytes.subarray(graph.payloadEnd),
  ]);
}

/** Every tensor name the graph uses (inputs, initializers, node inputs and outputs, graph outputs). */
export function tensorNames(model: OnnxModel): Set<string> {
  const names = new Set<string>();
  for (const v of model.inputs) names.add(v.name);
  for (const v of model.outputs) names.add(v.name);
  for (const k of model.initializers.keys()) names.add(k);
  for (const n of model.nodes) {
    for (const x of n.inputs) names.add(x);
    for (const x of n.outputs) names.add(x);
  }
  return names;
}
