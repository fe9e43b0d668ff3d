/**
 * Finds the class-activation-map (CAM) head of an ONNX image classifier: the last feature map and the linear
 * map from its channels to the class logits, so that Grad-CAM / CAM can be computed from one forward pass
 * that also returns the feature map.
 *
 * Supported heads, walking back from the logits:
 *  - 'gap-linear':       features → global average pool → (Flatten/Reshape/Squeeze) → linear (+ bias) → logits
 *                        linear = Gemm, MatMul (+ Add), QLinearMatMul (+ QLinearAdd), QGemm, MatMulInteger
 *                        (→ Cast → Mul scale, + Add), or a MatMul with DequantizeLinear'd weights; a 1×1 Conv
 *                        straight before the pool (no ReLU) is linear too and is reported as 'gap-linear'.
 *  - 'conv1x1-relu-gap': features → Conv 1×1 (+ bias) → ReLU → global average pool → Flatten/Reshape → logits
 *                        (SqueezeNet); also a QLinearConv whose output range starts at 0 (fused ReLU).
 * Global pools: GlobalAveragePool, ReduceMean over axes [2, 3], com.microsoft QLinearGlobalAveragePool.
 * Quantize/DequantizeLinear, Identity, Cast and Softmax/LogSoftmax along the way are looked through: the
 * weights are those of the float-equivalent model (quantized values dequantised: w = (q − zp) · scale).
 *
 * Pure TypeScript, no DOM or Node APIs.
 */
import {
  DataType,
  addGraphOutputs,
  realInputs,
  tensorNames,
  tensorToFloat32,
  type ExtraNode,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-model';

export type CamHeadKind = 'gap-linear' | 'conv1x1-relu-gap';

export interface QuantizedFeature {
  scale: number;
  zeroPoint: number;
  scaleName: string;
  /** '' when the graph gives no zero point (it is then 0). */
  zeroPointName: string;
  /** TensorProto data type of the quantized feature map (UINT8 2 or INT8 3). */
  elemType: number;
}

export interface CamHead {
  kind: CamHeadKind;
  /** Name of the tensor that holds the last feature map [N, C, H, W] (float, or quantized uint8/int8). */
  featureTensor: string;
  /** Name of an existing graph output carrying that map as float32, if any. */
  featureOutput: string | null;
  channels: number;
  classes: number;
  /** [classes][channels] row-major, float32, dequantised. */
  weights: Float32Array;
  /** [classes], or null when the head has no bias. */
  bias: Float32Array | null;
  /** Set when featureTensor is quantized: what a DequantizeLinear of it needs. */
  quantizedFeature?: QuantizedFeature;
  /** The tensors/ops walked from the logits back to the feature map, e.g. ['logits', 'Flatten', …, 'features']
   *  (always set by findCamHead). */
  chain?: string[];
}

export class CamHeadError extends Error {
  override name = 'CamHeadError';
}

// ---------------------------------------------------------------------------------------------------------

interface Const {
  values: Float32Array;
  dims: number[];
  /** TensorProto data type of the stored values (before any dequantisation). */
  dataType: number;
}

interface Ctx {
  model: OnnxModel;
  producer: Map<string, OnnxNode>;
  constCache: Map<string, Const | null>;
}

const PASS_THROUGH = new Set(['Identity', 'Cast', 'DequantizeLinear', 'QuantizeLinear', 'Softmax', 'LogSoftmax', 'Flatten', 'Reshape', 'Squeeze']);
const BEFORE_POOL_PASS = new Set(['Identity', 'Cast', 'DequantizeLinear', 'QuantizeLinear', 'DynamicQuantizeLinear', 'Flatten', 'Reshape', 'Squeeze']);
const QDQ_PASS = new Set(['Identity', 'DequantizeLinear', 'QuantizeLinear']);
const LINEAR_OPS = new Set(['Gemm', 'MatMul', 'QLinearMatMul', 'QGemm', 'MatMulInteger']);
const POOL_OPS = new Set(['GlobalAveragePool', 'ReduceMean', 'QLinearGlobalAveragePool']);

function makeCtx(model: OnnxModel): Ctx {
  const producer = new Map<string, OnnxNode>();
  for (const n of model.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  return { model, producer, constCache: new Map() };
}

const fmtDims = (d: number[]) => `[${d.join(', ')}]`;
const nodeLabel = (n: OnnxNode) => `${n.opType}${n.name ? ` "${n.name}"` : ''}`;

function tensorConst(t: OnnxTensor): Const {
  return { values: tensorToFloat32(t), dims: t.dims.slice(), dataType: t.dataType };
}

/** Per-tensor or per-axis dequantisation w = (q − zp) · scale, computed in double and rounded once to float32. */
function dequantize(q: Const, scale: Const, zp: Const | null, axis: number): Float32Array {
  const out = new Float32Array(q.values.length);
  const s = scale.values;
  const z = zp?.values;
  if (s.length === 1) {
    const z0 = z ? z[0] : 0;
    for (let i = 0; i < out.length; i++) out[i] = (q.values[i] - z0) * s[0];
    return out;
  }
  const ax = axis < 0 ? axis + q.dims.length : axis;
  if (ax < 0 || ax >= q.dims.length || q.dims[ax] !== s.length) {
    throw new CamHeadError(`cannot dequantise a tensor ${fmtDims(q.dims)} with ${s.length} scales along axis ${axis}`);
  }
  if (z && z.length !== 1 && z.length !== s.length) throw new CamHeadError(`${z.length} zero points for ${s.length} scales`);
  let inner = 1;
  for (let i = ax + 1; i < q.dims.length; i++) inner *= q.dims[i];
  const n = s.length;
  for (let i = 0; i < out.length; i++) {
    const c = Math.floor(i / inner) % n;
    out[i] = (q.values[i] - (z ? z[z.length === 1 ? 0 : c] : 0)) * s[c];
  }
  return out;
}

/** The value of a tensor that does not depend on the model input (initializers, Constant nodes, DequantizeLinear
 *  of constants, Identity/Cast of constants), or null. Optional inputs ('') are null. */
function constValue(ctx: Ctx, name: string): Const | null {
  if (!name) return null;
  if (ctx.constCache.has(name)) return ctx.constCache.get(name)!;
  ctx.constCache.set(name, null); // cycle guard
  let v: Const | null = null;
  const init = ctx.model.initializers.get(name);
  if (init) v = tensorConst(init);
  else {
    const n = ctx.producer.get(name);
    if (n?.opType === 'Constant') {
      const a = n.attributes;
      if (a.value?.t) v = tensorConst(a.value.t);
      else if (a.value_float?.f !== undefined) v = { values: Float32Array.of(a.value_float.f), dims: [], dataType: DataType.FLOAT };
      else if (a.value_floats?.floats) v = { values: Float32Array.from(a.value_floats.floats), dims: [a.value_floats.floats.length], dataType: DataType.FLOAT };
      else if (a.value_int?.i !== undefined) v = { values: Float32Array.of(a.value_int.i), dims: [], dataType: DataType.INT64 };
      else if (a.value_ints?.ints) v = { values: Float32Array.from(a.value_ints.ints), dims: [a.value_ints.ints.length], dataType: DataType.INT64 };
    } else if (n && (n.opType === 'Identity' || n.opType === 'Cast')) {
      const x = constValue(ctx, n.inputs[0]);
      if (x) v = n.opType === 'Cast' ? { ...x, dataType: n.attributes.to?.i ?? x.dataType } : x;
    } else if (n?.opType === 'DequantizeLinear') {
      const q = constValue(ctx, n.inputs[0]);
      const s = constValue(ctx, n.inputs[1]);
      if (q && s) {
        const zp = constValue(ctx, n.inputs[2] ?? '');
        v = { values: dequantize(q, s, zp, n.attributes.axis?.i ?? 1), dims: q.dims, dataType: DataType.FLOAT };
      }
    }
  }
  ctx.constCache.set(name, v);
  return v;
}

/** Like constValue, for inputs that must be constant. */
function requireConst(ctx: Ctx, name: string, what: string, node: OnnxNode): Const {
  const v = constValue(ctx, name);
  if (!v) throw new CamHeadError(`${what} "${name}" of ${nodeLabel(node)} is not a constant (initializer), so the head weights cannot be read`);
  return v;
}

/** A scale expression for Mul: constants, DynamicQuantizeLinear scales (kept as symbols) and products of them. */
function scaleExpr(ctx: Ctx, name: string, depth = 0): { values: Float32Array; symbols: string[] } | null {
  const c = constValue(ctx, name);
  if (c) return { values: c.values, symbols: [] };
  const n = ctx.producer.get(name);
  if (!n || depth > 4) return null;
  if (n.opType === 'DynamicQuantizeLinear' && n.outputs[1] === name) return { values: Float32Array.of(1), symbols: [name] };
  if (n.opType === 'Mul') {
    const a = scaleExpr(ctx, n.inputs[0], depth + 1);
    const b = scaleExpr(ctx, n.inputs[1], depth + 1);
    if (!a || !b) return null;
    return { values: broadcastMul(a.values, b.values), symbols: [...a.symbols, ...b.symbols] };
  }
  return null;
}

function broadcastMul(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length === 1) return b.map((x) => x * a[0]);
  if (b.length === 1) return a.map((x) => x * b[0]);
  if (a.length !== b.length) throw new CamHeadError(`cannot multiply scales of lengths ${a.length} and ${b.length}`);
  return a.map((x, i) => x * b[i]);
}

/** A per-class vector from a constant broadcast over [N, classes]: a scalar, [classes] or [1, classes]. */
function perClass(c: Float32Array, classes: number, what: string): (o: number) => number {
  if (c.length === 1) return () => c[0];
  if (c.length === classes) return (o) => c[o];
  throw new CamHeadError(`${what} has ${c.length} values, expected 1 or ${classes} (one per class)`);
}

interface Linear {
  /** [out][in] */
  w: Float32Array;
  b: Float32Array | null;
  out: number;
  in: number;
  /** The data input (float-equivalent) of the linear layer. */
  input: string;
}

/** W[out][in] from a 2-D matrix stored [in][out] (transposed = false) or [out][in] (transposed = true). */
function toOutIn(m: Float32Array, dims: number[], outIn: boolean, scale = 1): { w: Float32Array; out: number; in: number } {
  if (dims.length !== 2) throw new CamHeadError(`the weight matrix has shape ${fmtDims(dims)}, expected 2-D`);
  const [r, c] = dims;
  // Always a new array: the caller scales it in place, and `m` may be a cached constant.
  if (outIn) return { w: scale === 1 ? m.slice() : m.map((x) => x * scale), out: r, in: c };
  const w = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let o = 0; o < c; o++) w[o * r + i] = scale === 1 ? m[i * c + o] : m[i * c + o] * scale;
  return { w, out: c, in: r };
}

interface PostOp {
  kind: 'add' | 'mul';
  values: Float32Array;
  symbols: string[];
  label: string;
}

function linearOf(ctx: Ctx, n: OnnxNode, post: PostOp[]): Linear {
  const a = n.attributes;
  switch (n.opType) {
    case 'Gemm': {
      if ((a.transA?.i ?? 0) !== 0) throw new CamHeadError(`${nodeLabel(n)} has transA = 1 (the features are not the left operand)`);
      const B = requireConst(ctx, n.inputs[1], 'weight B', n);
      const alpha = a.alpha?.f ?? 1;
      const beta = a.beta?.f ?? 1;
      const m = toOutIn(B.values, B.dims, (a.transB?.i ?? 0) === 1, alpha);
      let b: Float32Array | null = null;
      if (n.inputs[2]) {
        const C = requireConst(ctx, n.inputs[2], 'bias C', n);
        const at = perClass(C.values, m.out, `bias C of ${nodeLabel(n)}`);
        b = new Float32Array(m.out);
        for (let o = 0; o < m.out; o++) b[o] = beta * at(o);
      }
      return { ...m, b, input: n.inputs[0] };
    }
    case 'MatMul': {
      const B = constValue(ctx, n.inputs[1]);
      if (!B) {
        if (constValue(ctx, n.inputs[0])) throw new CamHeadError(`${nodeLabel(n)} multiplies constant weights from the left; expected features × weights`);
        throw new CamHeadError(`weight "${n.inputs[1]}" of ${nodeLabel(n)} is not a constant (initializer or DequantizeLinear of one)`);
      }
      return { ...toOutIn(B.values, B.dims, false), b: null, input: n.inputs[0] };
    }
    case 'QLinearMatMul': {
      // a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point
      const q = requireConst(ctx, n.inputs[3], 'weight b', n);
      const s = requireConst(ctx, n.inputs[4], 'b_scale', n);
      const zp = constValue(ctx, n.inputs[5] ?? '');
      return { ...toOutIn(dequantize(q, s, zp, q.dims.length - 1), q.dims, false), b: null, input: n.inputs[0] };
    }
    case 'QGemm': {
      // com.microsoft: A, a_scale, a_zero_point, B, b_scale, b_zero_point, C (int32, scale alpha·a_scale·b_scale), y_scale, y_zero_point
      if ((a.transA?.i ?? 0) !== 0) throw new CamHeadError(`${nodeLabel(n)} has transA = 1 (the features are not the left operand)`);
      const transB = (a.transB?.i ?? 0) === 1;
      const alpha = a.alpha?.f ?? 1;
      const q = requireConst(ctx, n.inputs[3], 'weight B', n);
      const s = requireConst(ctx, n.inputs[4], 'b_scale', n);
      const zp = constValue(ctx, n.inputs[5] ?? '');
      const m = toOutIn(dequantize(q, s, zp, transB ? 0 : 1), q.dims, transB, alpha);
      let b: Float32Array | null = null;
      if (n.inputs[6]) {
        const C = requireConst(ctx, n.inputs[6], 'bias C', n);
        const aScale = requireConst(ctx, n.inputs[1], 'a_scale', n).values[0];
        const at = perClass(C.values, m.out, `bias C of ${nodeLabel(n)}`);
        const bs = perClass(s.values, m.out, `b_scale of ${nodeLabel(n)}`);
        b = new Float32Array(m.out);
        for (let o = 0; o < m.out; o++) b[o] = at(o) * alpha * aScale * bs(o);
      }
      return { ...m, b, input: n.inputs[0] };
    }
    case 'MatMulInteger': {
      // (A − a_zp) · (B − b_zp) in int32; the float scale comes from a later Mul (a_scale · b_scale).
      const q = requireConst(ctx, n.inputs[1], 'weight B', n);
      const zp = constValue(ctx, n.inputs[3] ?? '');
      const one: Const = { values: Float32Array.of(1), dims: [], dataType: DataType.FLOAT };
      const m = toOutIn(dequantize(q, one, zp, q.dims.length - 1), q.dims, false);
      // Float-equivalent input: A_float = (A − a_zp) · a_scale, so the weights must be divided by a_scale.
      const src = ctx.producer.get(n.inputs[0]);
      let aScaleSymbol: string | null = null;
      let aScaleConst: number | null = null;
      if (src?.opType === 'DynamicQuantizeLinear') aScaleSymbol = src.outputs[1];
      else if (src?.opType === 'QuantizeLinear') aScaleConst = constValue(ctx, src.inputs[1])?.values[0] ?? null;
      let cancelled = false;
      for (const p of post) {
        const i = aScaleSymbol ? p.symbols.indexOf(aScaleSymbol) : -1;
        if (i >= 0 && !cancelled) {
          p.symbols.splice(i, 1);
          cancelled = true;
        }
      }
      if (!cancelled) {
        if (aScaleConst === null) {
          throw new CamHeadError(`cannot tell the input scale of ${nodeLabel(n)} (its input comes from ${src ? nodeLabel(src) : 'no node'}), so its float weights are unknown`);
        }
        post.push({ kind: 'mul', values: Float32Array.of(1 / aScaleConst), symbols: [], label: 'input scale' });
      }
      return { ...m, b: null, input: n.inputs[0] };
    }
  }
  throw new CamHeadError(`unsupported linear op ${n.opType}`);
}

/** Applies the ops found between the linear layer and the logits (innermost first) to W and b. */
function applyPost(lin: { w: Float32Array; b: Float32Array | null; out: number; in: number }, post: PostOp[]): void {
  for (let k = post.length - 1; k >= 0; k--) {
    const p = post[k];
    if (p.symbols.length) throw new CamHeadError(`the head scales the logits by a computed tensor (${p.symbols.join(', ')}), so its float weights are unknown`);
    const at = perClass(p.values, lin.out, p.label);
    if (p.kind === 'add') {
      lin.b ??= new Float32Array(lin.out);
      for (let o = 0; o < lin.out; o++) lin.b[o] += at(o);
    } else {
      for (let o = 0; o < lin.out; o++) {
        const s = at(o);
        for (let i = 0; i < lin.in; i++) lin.w[o * lin.in + i] *= s;
        if (lin.b) lin.b[o] *= s;
      }
    }
  }
}

/** Checks that a ReduceMean averages over the spatial axes [2, 3] of an NCHW map. */
function isSpatialMean(ctx: Ctx, n: OnnxNode): boolean {
  const axes = n.attributes.axes?.ints ?? (n.inputs[1] ? Array.from(constValue(ctx, n.inputs[1])?.values ?? []) : null);
  if (!axes) return false;
  const norm = axes.map((x) => (x < 0 ? x + 4 : x)).sort();
  return norm.length === 2 && norm[0] === 2 && norm[1] === 3;
}

function poolFeature(ctx: Ctx, pool: OnnxNode): { feature: string; quantized?: QuantizedFeature } {
  if (pool.opType === 'ReduceMean' && !isSpatialMean(ctx, pool)) {
    throw new CamHeadError(`${nodeLabel(pool)} does not average over the spatial axes [2, 3], so it is not a global average pool`);
  }
  if (pool.opType === 'QLinearGlobalAveragePool') {
    if ((pool.attributes.channels_last?.i ?? 0) !== 0) throw new CamHeadError(`${nodeLabel(pool)} pools a channels-last (NHWC) map; only NCHW is supported`);
    return { feature: pool.inputs[0], quantized: quantParams(ctx, pool, pool.inputs[1], pool.inputs[2] ?? '') };
  }
  return { feature: pool.inputs[0] };
}

function quantParams(ctx: Ctx, node: OnnxNode, scaleName: string, zpName: string): QuantizedFeature {
  const s = requireConst(ctx, scaleName, 'scale', node);
  const z = zpName ? requireConst(ctx, zpName, 'zero point', node) : null;
  if (s.values.length !== 1 || (z && z.values.length !== 1)) throw new CamHeadError(`the feature map of ${nodeLabel(node)} is quantized per channel; expected one scale and zero point`);
  return { scale: s.values[0], zeroPoint: z ? z.values[0] : 0, scaleName, zeroPointName: zpName, elemType: z ? z.dataType : DataType.UINT8 };
}

/** Follows Identity/Q/DQ nodes back from a tensor; returns the first other producer and the tensor it makes. */
function skipQdq(ctx: Ctx, name: string, chain: string[]): { node: OnnxNode | undefined; tensor: string } {
  let t = name;
  for (let i = 0; i < 16; i++) {
    const n = ctx.producer.get(t);
    if (!n || !QDQ_PASS.has(n.opType)) return { node: n, tensor: t };
    chain.push(n.opType);
    t = n.inputs[0];
  }
  return { node: ctx.producer.get(t), tensor: t };
}

/** The 1×1 convolution of a conv head, as a linear map of its input channels. */
function conv1x1(ctx: Ctx, n: OnnxNode): Linear & { quantized?: QuantizedFeature; impliedRelu: boolean } {
  const a = n.attributes;
  const q = n.opType === 'QLinearConv';
  // Conv: X, W, B. QLinearConv: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B (int32).
  const W = requireConst(ctx, n.inputs[q ? 3 : 1], 'weight W', n);
  if (W.dims.length !== 4 || W.dims[2] !== 1 || W.dims[3] !== 1) throw new CamHeadError(`${nodeLabel(n)} before the global pool has weights ${fmtDims(W.dims)}, not a 1×1 convolution`);
  if ((a.group?.i ?? 1) !== 1) throw new CamHeadError(`${nodeLabel(n)} before the global pool is a grouped convolution (group ${a.group?.i})`);
  if ((a.strides?.ints ?? []).some((s) => s !== 1) || (a.pads?.ints ?? []).some((p) => p !== 0)) {
    throw new CamHeadError(`${nodeLabel(n)} before the global pool has strides ${fmtDims(a.strides?.ints ?? [])} / pads ${fmtDims(a.pads?.ints ?? [])}; expected 1 and 0`);
  }
  const [out, inC] = W.dims;
  let w = W.values;
  let b: Float32Array | null = null;
  let quantized: QuantizedFeature | undefined;
  let impliedRelu = false;
  if (q) {
    const ws = requireConst(ctx, n.inputs[4], 'w_scale', n);
    const wz = constValue(ctx, n.inputs[5] ?? '');
    w = dequantize(W, ws, wz, 0);
    quantized = quantParams(ctx, n, n.inputs[1], n.inputs[2] ?? '');
    if (n.inputs[8]) {
      const B = requireConst(ctx, n.inputs[8], 'bias B', n);
      const wsAt = perClass(ws.values, out, `w_scale of ${nodeLabel(n)}`);
      const bAt = perClass(B.values, out, `bias B of ${nodeLabel(n)}`);
      b = new Float32Array(out);
      for (let o = 0; o < out; o++) b[o] = bAt(o) * quantized.scale * wsAt(o);
    }
    // A quantized output whose range starts at the real value 0 clamps like a ReLU.
    const yz = constValue(ctx, n.inputs[7] ?? '');
    const yType = yz?.dataType ?? DataType.UINT8;
    const yz0 = yz?.values[0] ?? 0;
    impliedRelu = (yType === DataType.UINT8 && yz0 === 0) || (yType === DataType.INT8 && yz0 === -128);
  } else if (n.inputs[2]) {
    const B = requireConst(ctx, n.inputs[2], 'bias B', n);
    b = Float32Array.from({ length: out }, (_, o) => perClass(B.values, out, `bias of ${nodeLabel(n)}`)(o));
  }
  return { w: w === W.values ? w.slice() : w, b, out, in: inC, input: n.inputs[0], quantized, impliedRelu };
}

function outputCandidates(model: OnnxModel): string[] {
  const twoD = model.outputs.filter((o) => o.dims === null || o.dims.length === 2);
  const named = twoD.filter((o) => /logit|output|prob|score|class/i.test(o.name) && !/feature|map/i.test(o.name));
  return [...new Set([...named, ...twoD].map((o) => o.name))];
}

/**
 * Finds the CAM head that produces `logitsOutput` (default: the model's [N, classes] output; with several,
 * each is tried). Throws CamHeadError saying what was found when the head is not a supported one.
 */
export function findCamHead(model: OnnxModel, logitsOutput?: string): CamHead {
  const ctx = makeCtx(model);
  if (logitsOutput !== undefined) return headFor(ctx, logitsOutput);
  const candidates = outputCandidates(model);
  if (candidates.length === 0) {
    throw new CamHeadError(`no graph output has the shape [N, classes]: ${model.outputs.map((o) => `${o.name} [${o.dims?.map((d) => d ?? '?').join(', ') ?? '?'}]`).join('; ')}`);
  }
  let first: unknown;
  for (const c of candidates) {
    try {
      return headFor(ctx, c);
    } catch (e) {
      if (!(e instanceof CamHeadError)) throw e;
      first ??= e;
    }
  }
  throw first;
}

function headFor(ctx: Ctx, logits: string): CamHead {
  const { model } = ctx;
  if (!ctx.producer.has(logits)) {
    const known = model.outputs.some((o) => o.name === logits) || model.inputs.some((o) => o.name === logits);
    throw new CamHeadError(
      known
        ? `"${logits}" is not computed by any node of the graph`
        : `the model has no tensor "${logits}"; its outputs are ${model.outputs.map((o) => o.name).join(', ')}`,
    );
  }
  const chain: string[] = [logits];
  const fail = (what: string): never => {
    throw new CamHeadError(`no supported CAM head before "${logits}": ${what} (walked back: ${chain.join(' ← ')})`);
  };
  const post: PostOp[] = [];
  let t = logits;
  for (let step = 0; ; step++) {
    if (step > 64) fail('more than 64 ops without a linear layer or global pool');
    const n = ctx.producer.get(t);
    if (!n) fail(`"${t}" is ${model.inputs.some((i) => i.name === t) ? 'a graph input' : 'not computed by any node'}`);
    const node = n!;
    chain.push(node.opType);
    if (PASS_THROUGH.has(node.opType)) {
      t = node.inputs[0];
      continue;
    }
    if (node.opType === 'Add' || node.opType === 'Sub' || node.opType === 'QLinearAdd') {
      const [x, y] = node.opType === 'QLinearAdd' ? [node.inputs[0], node.inputs[3]] : [node.inputs[0], node.inputs[1]];
      const constOf = (name: string, at: number): Float32Array | null => {
        if (node.opType !== 'QLinearAdd') return constValue(ctx, name)?.values ?? null;
        const q = constValue(ctx, name);
        const s = constValue(ctx, node.inputs[at + 1]);
        return q && s ? dequantize(q, s, constValue(ctx, node.inputs[at + 2] ?? ''), q.dims.length - 1) : null;
      };
      const cy = constOf(y, 3);
      const cx = cy ? null : constOf(x, 0);
      if (!cx && !cy) fail(`${nodeLabel(node)} adds two computed tensors ("${x}", "${y}")`);
      if (node.opType === 'Sub' && cx) fail(`${nodeLabel(node)} subtracts the features from a constant`);
      const c = cy ?? cx!;
      post.push({ kind: 'add', values: node.opType === 'Sub' ? c.map((v) => -v) : c, symbols: [], label: `the constant of ${nodeLabel(node)}` });
      t = cy ? x : y;
      continue;
    }
    if (node.opType === 'Mul' || node.opType === 'Div') {
      const sy = scaleExpr(ctx, node.inputs[1]);
      const sx = sy || node.opType === 'Div' ? null : scaleExpr(ctx, node.inputs[0]);
      if (!sx && !sy) fail(`${nodeLabel(node)} multiplies two computed tensors`);
      const s = (sy ?? sx)!;
      if (node.opType === 'Div' && s.symbols.length) fail(`${nodeLabel(node)} divides by a computed tensor`);
      post.push({ kind: 'mul', values: node.opType === 'Div' ? s.values.map((v) => 1 / v) : s.values, symbols: s.symbols, label: `the scale of ${nodeLabel(node)}` });
      t = sy ? node.inputs[0] : node.inputs[1];
      continue;
    }
    if (LINEAR_OPS.has(node.opType)) return gapLinear(ctx, logits, node, post, chain);
    if (POOL_OPS.has(node.opType)) return convHead(ctx, logits, node, post, chain);
    fail(`found ${nodeLabel(node)}, which is neither a linear layer (Gemm, MatMul, QLinearMatMul, QGemm, MatMulInteger) nor a global average pool`);
  }
}

function gapLinear(ctx: Ctx, logits: string, linNode: OnnxNode, post: PostOp[], chain: string[]): CamHead {
  const fail = (what: string): never => {
    throw new CamHeadError(`no supported CAM head before "${logits}": ${what} (walked back: ${chain.join(' ← ')})`);
  };
  let lin: Linear;
  try {
    lin = linearOf(ctx, linNode, post);
  } catch (e) {
    if (e instanceof CamHeadError) fail(e.message);
    throw e;
  }
  applyPost(lin!, post);
  let t = lin!.input;
  for (let step = 0; ; step++) {
    const n = ctx.producer.get(t);
    if (!n || step > 32) fail(`the input "${t}" of ${nodeLabel(linNode)} does not come from a global average pool`);
    chain.push(n!.opType);
    if (BEFORE_POOL_PASS.has(n!.opType)) {
      t = n!.inputs[0];
      continue;
    }
    if (!POOL_OPS.has(n!.opType)) fail(`the input of ${nodeLabel(linNode)} comes from ${nodeLabel(n!)}, not from a global average pool (GlobalAveragePool, ReduceMean over [2, 3] or QLinearGlobalAveragePool)`);
    let pf: ReturnType<typeof poolFeature>;
    try {
      pf = poolFeature(ctx, n!);
    } catch (e) {
      if (e instanceof CamHeadError) fail(e.message);
      throw e;
    }
    chain.push(pf!.feature);
    return finish(ctx, { kind: 'gap-linear', featureTensor: pf!.feature, quantizedFeature: pf!.quantized, lin: lin!, chain });
  }
}

function convHead(ctx: Ctx, logits: string, pool: OnnxNode, post: PostOp[], chain: string[]): CamHead {
  const fail = (what: string): never => {
    throw new CamHeadError(`no supported CAM head before "${logits}": ${what} (walked back: ${chain.join(' ← ')})`);
  };
  const describeSource = (n: OnnxNode | undefined, t: string) =>
    n ? nodeLabel(n) : ctx.model.inputs.some((i) => i.name === t) ? `the graph input "${t}"` : `"${t}"`;
  if (pool.opType === 'ReduceMean' && !isSpatialMean(ctx, pool)) fail(`${nodeLabel(pool)} does not average over the spatial axes [2, 3]`);
  if (pool.opType === 'QLinearGlobalAveragePool' && (pool.attributes.channels_last?.i ?? 0) !== 0) fail(`${nodeLabel(pool)} pools a channels-last (NHWC) map`);
  let { node, tensor } = skipQdq(ctx, pool.inputs[0], chain);
  let relu = false;
  if (node?.opType === 'Relu') {
    relu = true;
    chain.push('Relu');
    ({ node, tensor } = skipQdq(ctx, node.inputs[0], chain));
  }
  if (node?.opType !== 'Conv' && node?.opType !== 'QLinearConv') {
    if (node) chain.push(node.opType);
    fail(
      `the global pool ${nodeLabel(pool)} feeds the logits with no linear layer after it, and its input comes from ${describeSource(node, tensor)}${relu ? ' via Relu' : ''}, not from a 1×1 Conv (+ Relu)`,
    );
  }
  chain.push(node!.opType);
  let conv: ReturnType<typeof conv1x1>;
  try {
    conv = conv1x1(ctx, node!);
  } catch (e) {
    if (e instanceof CamHeadError) fail(e.message);
    throw e;
  }
  relu ||= conv!.impliedRelu;
  if (relu && post.length) fail(`the logits are ${post.map((p) => p.kind).join('/')}-transformed after the Relu → global pool, which a CAM head does not allow`);
  if (!relu) applyPost(conv!, post);
  chain.push(conv!.input);
  return finish(ctx, { kind: relu ? 'conv1x1-relu-gap' : 'gap-linear', featureTensor: conv!.input, quantizedFeature: conv!.quantized, lin: conv!, chain });
}

function finish(
  ctx: Ctx,
  h: { kind: CamHeadKind; featureTensor: string; quantizedFeature?: QuantizedFeature; lin: { w: Float32Array; b: Float32Array | null; out: number; in: number }; chain: string[] },
): CamHead {
  const { lin } = h;
  const info = valueInfoOf(ctx.model, h.featureTensor);
  const c = info?.dims?.[1];
  if (info?.dims && (info.dims.length !== 4 || (typeof c === 'number' && c !== lin.in))) {
    throw new CamHeadError(`the feature map "${h.featureTensor}" has shape [${info.dims.map((d) => d ?? '?').join(', ')}], but the head takes ${lin.in} channels`);
  }
  const head: CamHead = {
    kind: h.kind,
    featureTensor: h.featureTensor,
    featureOutput: null,
    channels: lin.in,
    classes: lin.out,
    weights: lin.w,
    bias: lin.b,
    chain: h.chain,
  };
  if (h.quantizedFeature) head.quantizedFeature = h.quantizedFeature;
  head.featureOutput = existingFeatureOutput(ctx, head);
  return head;
}

function valueInfoOf(model: OnnxModel, name: string): OnnxValueInfo | undefined {
  return model.valueInfo.find((v) => v.name === name) ?? model.outputs.find((v) => v.name === name) ?? model.inputs.find((v) => v.name === name);
}

/** A graph output that already carries the feature map as float32 (itself, an Identity of it, or its DequantizeLinear). */
function existingFeatureOutput(ctx: Ctx, head: CamHead): string | null {
  const q = head.quantizedFeature;
  const same = (name: string, value: number) => {
    const c = constValue(ctx, name);
    return c !== null && c.values.length === 1 && c.values[0] === value;
  };
  for (const o of ctx.model.outputs) {
    if (o.elemType !== 0 && o.elemType !== DataType.FLOAT) continue;
    let t = o.name;
    let n = ctx.producer.get(t);
    while (n?.opType === 'Identity') {
      t = n.inputs[0];
      n = ctx.producer.get(t);
    }
    if (!q && t === head.featureTensor) return o.name;
    if (q && n?.opType === 'DequantizeLinear' && n.inputs[0] === head.featureTensor) {
      const zpOk = n.inputs[2] ? same(n.inputs[2], q.zeroPoint) : q.zeroPoint === 0;
      if (same(n.inputs[1], q.scale) && zpOk) return o.name;
    }
  }
  return null;
}

/**
 * Adds a float32 graph output [N, C, H, W] carrying the head's feature map (through a new DequantizeLinear
 * node when the feature tensor is quantized, an Identity node otherwise). When head.featureOutput is set,
 * returns `bytes` unchanged with that name.
 */
export function withFeatureOutput(bytes: Uint8Array, model: OnnxModel, head: CamHead, outputName?: string): { bytes: Uint8Array; outputName: string } {
  if (head.featureOutput) return { bytes, outputName: head.featureOutput };
  const names = tensorNames(model);
  if (!names.has(head.featureTensor)) throw new CamHeadError(`the model has no tensor "${head.featureTensor}"`);
  let name = outputName ?? 'cam_features';
  if (names.has(name)) {
    if (outputName !== undefined) throw new CamHeadError(`the model already has a tensor named "${outputName}"`);
    let i = 1;
    while (names.has(`cam_features_${i}`)) i++;
    name = `cam_features_${i}`;
  }
  const batch = realInputs(model)[0]?.dims?.[0] ?? null;
  const known = valueInfoOf(model, head.featureTensor)?.dims;
  const dims: (number | string | null)[] = [batch, head.channels, known?.[2] ?? null, known?.[3] ?? null];
  const q = head.quantizedFeature;
  const node: ExtraNode = q
    ? {
        opType: 'DequantizeLinear',
        inputs: q.zeroPointName ? [head.featureTensor, q.scaleName, q.zeroPointName] : [head.featureTensor, q.scaleName],
        outputs: [name],
        name: `${name}_dequantize`,
      }
    : { opType: 'Identity', inputs: [head.featureTensor], outputs: [name], name: `${name}_identity` };
  const nodeNames = new Set(model.nodes.map((n) => n.name));
  while (nodeNames.has(node.name)) node.name += '_';
  return { bytes: addGraphOutputs(bytes, [{ name, elemType: DataType.FLOAT, dims }], [node]), outputName: name };
}

