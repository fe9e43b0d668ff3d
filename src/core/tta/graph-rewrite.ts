/**
 * Whole-graph rewriting of an ONNX model for test-time adaptation: the graph is written anew from a list of
 * nodes (original ones copied byte for byte, by index, or new ones), the original initializers that are still
 * wanted plus new ones, and new graph inputs and outputs. Everything outside the graph (opsets, IR version,
 * metadata) is copied unchanged. Pure TypeScript (no DOM or Node APIs): runs in workers and in Node.
 *
 * `GraphBuilder` hands out fresh tensor names, interns small constants and writes the opset-dependent forms of
 * the reduction ops (ReduceMean takes its axes as an attribute before opset 18, ReduceSum before opset 13).
 */
import {
  DataType,
  opsetVersion,
  readOnnx,
  tensorNames,
  type ExtraNode,
  type OnnxModel,
  type OnnxNode,
  type OnnxValueInfo,
  encodeNode,
  encodeValueInfo,
} from '../onnx/onnx-model';
import {
  ProtoReader,
  ProtobufError,
  WIRE_LEN,
  bytesField,
  concatBytes,
  encodeTag,
  encodeVarint,
  packedVarintField,
  stringField,
  varintField,
} from '../onnx/protobuf';

/** A tensor to add as an initializer. */
export interface NewTensor {
  name: string;
  /** DataType.FLOAT or DataType.INT64. */
  dataType: number;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

export interface GraphRewrite {
  /** The new graph's nodes, in order: the index of an original node (copied as written) or a new node. */
  nodes: (number | ExtraNode)[];
  /** Original initializers to drop even though a node reads them (they become graph inputs, say). */
  dropInitializers?: ReadonlySet<string>;
  addInitializers?: NewTensor[];
  /** Graph inputs added after the original ones (those fed at run time). */
  addInputs?: OnnxValueInfo[];
  /** Original inputs to drop (by name). */
  dropInputs?: ReadonlySet<string>;
  /** The graph outputs: a name of an original output (kept as written) or a new value info. Default: unchanged. */
  outputs?: (string | OnnxValueInfo)[];
}

interface Field {
  field: number;
  /** The whole field, key included. */
  bytes: Uint8Array;
  /** Payload of a length-delimited field. */
  payload?: Uint8Array;
}

function fieldsOf(buf: Uint8Array): Field[] {
  const r = ProtoReader.of(buf);
  const out: Field[] = [];
  while (!r.done) {
    const start = r.pos;
    const { field, wire } = r.tag();
    if (wire === WIRE_LEN) {
      const payload = r.bytes();
      out.push({ field, bytes: buf.subarray(start, r.pos), payload });
    } else {
      r.skip(wire);
      out.push({ field, bytes: buf.subarray(start, r.pos) });
    }
  }
  return out;
}

/** The string field `nameField` of a message (TensorProto name = 8, ValueInfoProto name = 1). */
function nameOf(payload: Uint8Array, nameField: number): string {
  const r = ProtoReader.of(payload);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === nameField && wire === WIRE_LEN) return r.string();
    r.skip(wire);
  }
  return '';
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** TensorProto bytes (without the field key), values as raw_data (little-endian). */
export function encodeTensor(t: NewTensor): Uint8Array {
  const bytesPer = t.dataType === DataType.FLOAT ? 4 : t.dataType === DataType.INT64 ? 8 : 0;
  if (!bytesPer) throw new ProtobufError(`initializer "${t.name}": only float and int64 are written`);
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== n) throw new ProtobufError(`initializer "${t.name}": ${t.data.length} values for dims [${t.dims.join(', ')}]`);
  const raw = new Uint8Array(n * bytesPer);
  const dv = new DataView(raw.buffer);
  if (LITTLE_ENDIAN) raw.set(new Uint8Array(t.data.buffer, t.data.byteOffset, n * bytesPer));
  else if (t.data instanceof Float32Array) t.data.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  else t.data.forEach((v, i) => dv.setBigInt64(i * 8, v, true));
  return concatBytes([
    ...(t.dims.length ? [packedVarintField(1, t.dims)] : []),
    varintField(2, t.dataType),
    stringField(8, t.name),
    bytesField(9, raw),
  ]);
}

/** Returns a new model with the graph rewritten as `edit` says. */
export function rewriteGraph(bytes: Uint8Array, edit: GraphRewrite): Uint8Array {
  const top = fieldsOf(bytes);
  const graphs = top.filter((f) => f.field === 7);
  if (graphs.length !== 1) throw new ProtobufError(`expected one graph in the model, found ${graphs.length}`);
  const g = fieldsOf(graphs[0].payload!);
  const nodes = g.filter((f) => f.field === 1);

  const parts: Uint8Array[] = [];
  const newNames = new Set<string>();
  for (const n of edit.nodes) {
    if (typeof n === 'number') {
      if (!nodes[n]) throw new ProtobufError(`no node ${n} in the graph`);
      parts.push(nodes[n].bytes);
    } else {
      parts.push(bytesField(1, encodeNode(n)));
      n.outputs.forEach((o) => newNames.add(o));
    }
  }
  // Tensors the new graph reads: decides which original initializers stay by default.
  const read = new Set<string>();
  const model = readOnnx(bytes);
  for (const n of edit.nodes) for (const x of typeof n === 'number' ? model.nodes[n].inputs : n.inputs) read.add(x);
  // Original initializers that no node reads any more are dropped (onnxruntime would warn and drop them).
  const keep = (name: string) => read.has(name) && !edit.dropInitializers?.has(name);

  for (const f of g) {
    switch (f.field) {
      case 1:
        break; // nodes: written above
      case 5:
        if (keep(nameOf(f.payload!, 8))) parts.push(f.bytes);
        break;
      case 11: {
        const name = nameOf(f.payload!, 1);
        // IR < 4 lists initializers as inputs too: drop those of dropped initializers.
        if (!edit.dropInputs?.has(name) && (!model.initializers.has(name) || keep(name))) parts.push(f.bytes);
        break;
      }
      case 12:
        if (!edit.outputs) parts.push(f.bytes);
        break;
      case 13:
        break; // value_info: written below, for the tensors that still exist
      default:
        parts.push(f.bytes);
    }
  }
  for (const t of edit.addInitializers ?? []) parts.push(bytesField(5, encodeTensor(t)));
  for (const v of edit.addInputs ?? []) parts.push(bytesField(11, encodeValueInfo(v)));
  if (edit.outputs) {
    const original = new Map(g.filter((f) => f.field === 12).map((f) => [nameOf(f.payload!, 1), f.bytes]));
    for (const o of edit.outputs) {
      if (typeof o === 'string') {
        const b = original.get(o);
        if (!b) throw new ProtobufError(`"${o}" is not an output of the model`);
        parts.push(b);
      } else parts.push(bytesField(12, encodeValueInfo(o)));
    }
  }
  // value_info of tensors that original nodes still produce (new nodes may reuse a name with another shape).
  const produced = new Set<string>();
  for (const n of edit.nodes) if (typeof n === 'number') model.nodes[n].outputs.forEach((o) => produced.add(o));
  for (const f of g) if (f.field === 13 && produced.has(nameOf(f.payload!, 1)) && !newNames.has(nameOf(f.payload!, 1))) parts.push(f.bytes);

  const graph = concatBytes(parts);
  const out: Uint8Array[] = [];
  for (const f of top) {
    if (f.field === 7) out.push(encodeTag(7, WIRE_LEN), encodeVarint(graph.length), graph);
    else out.push(f.bytes);
  }
  return concatBytes(out);
}

/** An original node as a new one (for re-emitting it with changes); refuses attributes it cannot write. */
export function asExtraNode(n: OnnxNode): ExtraNode {
  const attributes: NonNullable<ExtraNode['attributes']> = {};
  for (const [k, a] of Object.entries(n.attributes)) {
    if (a.t) throw new ProtobufError(`node "${n.name}" (${n.opType}): tensor attribute "${k}" cannot be rewritten`);
    attributes[k] = a;
  }
  return { opType: n.opType, domain: n.domain || undefined, inputs: [...n.inputs], outputs: [...n.outputs], name: n.name, attributes };
}

type Attrs = ExtraNode['attributes'];

/** Emits nodes and constants with fresh names into a node list. */
export class GraphBuilder {
  readonly nodes: (number | ExtraNode)[] = [];
  readonly initializers: NewTensor[] = [];
  readonly opset: number;
  private readonly used: Set<string>;
  private readonly constants = new Map<string, string>();
  private count = 0;

  constructor(
    readonly model: OnnxModel,
    private readonly prefix = 'tta',
  ) {
    this.used = tensorNames(model);
    for (const n of model.nodes) this.used.add(n.name);
    this.opset = opsetVersion(model) ?? 0;
  }

  /** A name not used anywhere in the graph. */
  fresh(hint: string): string {
    const base = `${this.prefix}/${hint}`;
    let name = base;
    while (this.used.has(name)) name = `${base}_${++this.count}`;
    this.used.add(name);
    return name;
  }

  /** Marks a name as taken (a graph input added by the caller, say). */
  reserve(name: string): void {
    this.used.add(name);
  }

  isUsed(name: string): boolean {
    return this.used.has(name);
  }

  /** Copies original node `index` as written. */
  keep(index: number): void {
    this.nodes.push(index);
  }

  /** Adds a node; its outputs get fresh names from `hint` unless given. */
  op(opType: string, inputs: string[], attributes?: Attrs, hint = opType, outputs?: string[]): string {
    return this.opN(opType, inputs, 1, attributes, hint, outputs)[0];
  }

  opN(opType: string, inputs: string[], n: number, attributes?: Attrs, hint = opType, outputs?: string[]): string[] {
    const outs = outputs ?? Array.from({ length: n }, (_, i) => this.fresh(n > 1 ? `${hint}_${i}` : hint));
    this.nodes.push({ opType, inputs, outputs: outs, name: this.fresh(`${hint}_node`), ...(attributes ? { attributes } : {}) });
    return outs;
  }

  /** A float32 constant (initializer), shared between uses with the same values and dims. */
  float(values: ArrayLike<number>, dims: number[] = values.length === 1 ? [] : [values.length], hint = 'const'): string {
    const data = Float32Array.from(values as ArrayLike<number>);
    const key = `f[${dims.join(',')}]${data.length <= 16 ? Array.from(data).join(',') : this.initializers.length}`;
    return this.constant(key, () => ({ name: this.fresh(hint), dataType: DataType.FLOAT, dims, data }));
  }

  /** An int64 constant (initializer). */
  int64(values: ArrayLike<number>, dims: number[] = [values.length], hint = 'const'): string {
    const data = BigInt64Array.from(Array.from(values as ArrayLike<number>, (v) => BigInt(v)));
    const key = `i[${dims.join(',')}]${data.length <= 16 ? data.join(',') : this.initializers.length}`;
    return this.constant(key, () => ({ name: this.fresh(hint), dataType: DataType.INT64, dims, data }));
  }

  private constant(key: string, make: () => NewTensor): string {
    const known = this.constants.get(key);
    if (known) return known;
    const t = make();
    this.initializers.push(t);
    this.constants.set(key, t.name);
    return t.name;
  }

  /** ReduceMean / ReduceSum / ReduceProd over `axes` (all axes when omitted), in the form the opset wants. */
  reduce(op: 'ReduceMean' | 'ReduceSum' | 'ReduceProd', x: string, axes: number[] | undefined, keepdims: boolean, hint: string = op, outputs?: string[]): string {
    const axesAsInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    if (axesAsInput) return this.op(op, axes ? [x, this.int64(axes)] : [x], { keepdims: { i: keepdims ? 1 : 0 } }, hint, outputs);
    return this.op(op, [x], { keepdims: { i: keepdims ? 1 : 0 }, ...(axes ? { axes: { ints: axes } } : {}) }, hint, outputs);
  }

  /** Reshape to constant dims (-1 and 0 as ONNX reads them). */
  reshape(x: string, dims: number[], hint = 'Reshape'): string {
    return this.op('Reshape', [x, this.int64(dims)], undefined, hint);
  }
}

/** Follows Identity nodes back to an initializer; undefined when `name` is not a constant. */
export function resolveInitializer(model: OnnxModel, name: string): string | undefined {
  const producer = new Map<string, OnnxNode>();
  for (const n of model.nodes) for (const o of n.outputs) producer.set(o, n);
  let at = name;
  for (let hops = 0; hops < 64; hops++) {
    if (model.initializers.has(at)) return at;
    const p = producer.get(at);
    if (!p || p.opType !== 'Identity') return undefined;
    at = p.inputs[0];
  }
  return undefined;
}
