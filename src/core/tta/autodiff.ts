/**
 * Self-learning on the batch-norm affine parameters (TENT: Wang et al. 2021; robust pseudo-labelling: Rusak,
 * Schneider et al. 2022) without a training runtime: reverse-mode differentiation of the ONNX forward graph into
 * one ONNX graph that runs in onnxruntime-web's inference engine and outputs the logits, the loss and the
 * gradient of the loss with respect to every BatchNormalization scale and shift.
 *
 * In that graph every BatchNormalization is in train mode (statistics of the current batch, biased variance, as
 * PyTorch's BatchNorm2d in train mode with track_running_stats = False, what tent.configure_model sets), and its
 * scale and shift are graph inputs (fed from JS at each step: see TrainableParam and sgd.ts). Only gradients
 * that flow back to BN parameters are built: no convolution weight gradients, no input gradient.
 *
 * Losses, as the reference code computes them:
 *  - 'entropy' (DequanWang/tent softmax_entropy): mean over the batch of −Σ_k p_k log p_k.
 *  - 'gce' (robusta.selflearning GeneralizedCrossEntropy, q = 0.8): hard pseudo-labels ŷ = argmax of the logits
 *    (no gradient through the argmax), mean over the batch of (1 − p_ŷ^q) / q.
 *
 * Forward ops supported on the gradient path: Conv (NOTSET padding), BatchNormalization, Relu, MaxPool, Add,
 * Sub, Mul, GlobalAveragePool, Flatten, Reshape, Identity, Gemm (transA = 0), MatMul (constant 2-D right
 * operand); any op off the path (shape arithmetic, a second output) is copied as it is. Backward ops used:
 * ConvTranspose (input gradient of Conv), ScatterElements with reduction add on MaxPool's Indices output,
 * Where/Greater (Relu), Expand, Reshape, ReduceSum/ReduceMean, Gemm/MatMul, elementwise arithmetic.
 */
import { DataType, ProtobufError, opsetVersion, readOnnx, realInputs, tensorToFloat32, type OnnxModel, type OnnxNode } from '../onnx/onnx-model';
import { batchNormNodes, type BatchNormNode } from './bn-adapt';
import { GraphBuilder, asExtraNode, resolveInitializer, rewriteGraph } from './graph-rewrite';
import { inferShapes, type Dims } from './shapes';

export type TtaLoss = { kind: 'entropy' } | { kind: 'gce'; q?: number };

/** robusta's default for generalised cross-entropy. */
export const GCE_Q = 0.8;

export interface TrainableParam {
  /** Graph input that takes the current value (float32 [size]). */
  input: string;
  /** Graph output with the gradient of the loss (float32 [size]). */
  grad: string;
  kind: 'scale' | 'bias';
  /** Name of the BatchNormalization node(s) using it. */
  batchNorm: string;
  size: number;
  /** The value in the source model. */
  initial: Float32Array;
}

export interface TrainingGraph {
  bytes: Uint8Array;
  /** The image input (the model's own). */
  input: string;
  logits: string;
  /** Scalar float32: the loss over the batch. */
  loss: string;
  params: TrainableParam[];
  /**
   * The tensors that hold the graph's switching decisions, in forward order: each Relu's mask (bool, output > 0)
   * and each MaxPool's Indices (int64, flat over N·C·H·W). Not graph outputs; tests add them as outputs to replay
   * the same decisions in a reference implementation (float rounding flips a few of them between implementations).
   */
  decisions: { kind: 'relu-mask' | 'maxpool-indices'; node: string; tensor: string }[];
}

export interface TrainingGraphOptions {
  loss: TtaLoss;
  /** The model output holding the logits (default: `logits` if present, else the first output). */
  logits?: string;
}

const TO_FLOAT = 1;

/** Ops whose outputs carry no gradient. */
const NON_DIFFERENTIABLE = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'Equal', 'Greater', 'Less', 'NonZero', 'ConstantOfShape']);

interface BnRecord {
  bn: BatchNormNode;
  xhat: string;
  invStd: string;
  scaleCol: string;
  axes: number[];
  /** Elements per channel in the batch (scalar float). */
  count: string;
}

function safeName(name: string): string {
  return name.replace(/^\/+/, '').replace(/[^A-Za-z0-9_.]+/g, '_');
}

/** Builds the forward + backward graph for self-learning on the BN affine parameters. */
export function buildTrainingGraph(bytes: Uint8Array, options: TrainingGraphOptions): TrainingGraph {
  const model = readOnnx(bytes);
  const inputs = realInputs(model);
  if (inputs.length !== 1) throw new ProtobufError(`the training graph needs a model with one input, this one has ${inputs.length}`);
  const input = inputs[0].name;
  const logits = options.logits ?? (model.outputs.some((o) => o.name === 'logits') ? 'logits' : model.outputs[0]?.name);
  if (!logits || !model.outputs.some((o) => o.name === logits)) throw new ProtobufError(`no output "${logits}" to take the loss of`);
  const bns = batchNormNodes(model);
  if (bns.length === 0) throw new ProtobufError('the model has no BatchNormalization nodes to adapt (folded at export?)');

  const opset = opsetVersion(model) ?? 0;
  if (opset < 13) throw new ProtobufError(`the training graph needs opset ≥ 13, the model has ${opset}; re-export it with tools/export-onnx (opset 17)`);
  const shapes = inferShapes(model);
  const shapeOf = (name: string, why: string): Dims => {
    const s = shapes.get(name);
    if (!s) throw new ProtobufError(`no static shape for "${name}" (${why})`);
    return s;
  };
  const producer = new Map<string, number>();
  model.nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));

  // Parameters: the names the BN nodes read their scale and shift from; one graph input per distinct name.
  const bnByIndex = new Map(bns.map((b) => [b.index, b]));
  const paramNames = new Map<string, { kind: 'scale' | 'bias'; bns: string[]; size: number }>();
  for (const b of bns) {
    for (const [kind, name] of [['scale', b.scale], ['bias', b.bias]] as const) {
      const p = paramNames.get(name);
      const size = shapeOf(b.x, 'BatchNormalization input')[1];
      if (typeof size !== 'number') throw new ProtobufError(`BatchNormalization "${b.node.name}": channel count unknown`);
      if (p) {
        if (p.kind !== kind) throw new ProtobufError(`"${name}" is both a BN scale and a BN shift`);
        p.bns.push(b.node.name);
      } else paramNames.set(name, { kind, bns: [b.node.name], size });
    }
  }
  // Nothing but BN nodes may read a parameter (it becomes a graph input, fed from JS).
  const droppedIdentity = new Set<number>();
  for (const name of paramNames.keys()) {
    const p = producer.get(name);
    if (p !== undefined) {
      if (model.nodes[p].opType !== 'Identity') throw new ProtobufError(`BN parameter "${name}" is computed by a ${model.nodes[p].opType} node`);
      droppedIdentity.add(p);
    }
  }
  model.nodes.forEach((n, i) => {
    if (bnByIndex.has(i) || droppedIdentity.has(i)) return;
    for (const x of n.inputs) if (paramNames.has(x)) throw new ProtobufError(`BN parameter "${x}" is also read by ${n.opType} node "${n.name}"`);
  });
  const params: TrainableParam[] = [...paramNames].map(([name, p]) => {
    const init = resolveInitializer(model, name);
    if (!init) throw new ProtobufError(`BN parameter "${name}" is not a constant of the model`);
    const initial = tensorToFloat32(model.initializers.get(init)!);
    if (initial.length !== p.size) throw new ProtobufError(`BN parameter "${name}" has ${initial.length} values for ${p.size} channels`);
    return { input: name, grad: '', kind: p.kind, batchNorm: p.bns.join(', '), size: p.size, initial };
  });

  // Which tensors need a gradient: those computed from a parameter (BN outputs onwards) that the logits depend on.
  const fromParam = new Set<string>();
  model.nodes.forEach((n, i) => {
    if (NON_DIFFERENTIABLE.has(n.opType)) return;
    if (bnByIndex.has(i) || n.inputs.some((x) => fromParam.has(x))) n.outputs.forEach((o) => o && fromParam.add(o));
  });
  const toLogits = new Set<string>([logits]);
  for (let i = model.nodes.length - 1; i >= 0; i--) {
    const n = model.nodes[i];
    if (n.outputs.some((o) => toLogits.has(o))) n.inputs.forEach((x) => x && toLogits.add(x));
  }
  const needsGrad = (t: string) => fromParam.has(t) && toLogits.has(t);

  const g = new GraphBuilder(model, 'tta');
  for (const p of params) {
    g.reserve(p.input);
    p.grad = g.fresh(`grad/${safeName(p.input)}`);
  }
  const lossName = g.fresh('loss');
  const zero = g.float([0]);

  // Batch size as a float scalar, from the input's shape.
  const batch = g.op('Cast', [g.op('Gather', [g.op('Shape', [input], undefined, 'input_shape'), g.int64([0], [])], { axis: { i: 0 } }, 'batch_i')], { to: { i: TO_FLOAT } }, 'batch');

  // ---- forward
  const bnRecords = new Map<number, BnRecord>();
  const decisions: TrainingGraph['decisions'] = [];
  const reluMasks = new Map<number, string>();
  const maxPoolIndices = new Map<number, { indices: string; shape: string }>();
  model.nodes.forEach((n, i) => {
    if (droppedIdentity.has(i)) return;
    const bn = bnByIndex.get(i);
    if (bn) {
      bnRecords.set(i, emitTrainBatchNorm(g, bn, shapeOf(bn.x, 'BatchNormalization input'), batch));
      return;
    }
    const outNeeds = n.outputs.some((o) => o && needsGrad(o));
    if (n.opType === 'MaxPool' && outNeeds && needsGrad(n.inputs[0])) {
      if ((n.attributes.storage_order?.i ?? 0) !== 0) throw new ProtobufError(`MaxPool "${n.name}": storage_order 1 is not supported`);
      if (g.opset < 16) throw new ProtobufError(`MaxPool "${n.name}": its backward needs opset ≥ 16 (ScatterElements with reduction), the model has ${g.opset}; re-export it with tools/export-onnx (opset 17)`);
      const e = asExtraNode(n);
      const indices = n.outputs[1] || g.fresh(`${safeName(n.name)}/indices`);
      e.outputs = [n.outputs[0], indices];
      g.nodes.push(e);
      maxPoolIndices.set(i, { indices, shape: g.op('Shape', [n.inputs[0]], undefined, `${safeName(n.name)}/x_shape`) });
      decisions.push({ kind: 'maxpool-indices', node: n.name, tensor: indices });
      return;
    }
    g.keep(i);
    if (n.opType === 'Relu' && outNeeds && needsGrad(n.inputs[0])) {
      reluMasks.set(i, g.op('Greater', [n.outputs[0], zero], undefined, `${safeName(n.name)}/mask`));
      decisions.push({ kind: 'relu-mask', node: n.name, tensor: reluMasks.get(i)! });
    }
  });

  // ---- loss and its gradient w.r.t. the logits
  const lshape = shapeOf(logits, 'logits');
  if (lshape.length !== 2 || typeof lshape[1] !== 'number') throw new ProtobufError(`logits "${logits}" must be [batch, classes], got [${lshape.join(', ')}]`);
  const classes = lshape[1];
  const p = g.op('Softmax', [logits], { axis: { i: 1 } }, 'probs');
  let dLogits: string;
  if (options.loss.kind === 'entropy') {
    const logp = g.op('LogSoftmax', [logits], { axis: { i: 1 } }, 'log_probs');
    const h = g.op('Neg', [g.reduce('ReduceSum', g.op('Mul', [p, logp], undefined, 'p_logp'), [1], true, 'neg_entropy')], undefined, 'entropy');
    g.reduce('ReduceMean', h, undefined, false, 'loss', [lossName]);
    // dH/dz_j = −p_j (log p_j + H); the mean over the batch divides by n.
    const t = g.op('Mul', [p, g.op('Add', [logp, h], undefined, 'logp_plus_h')], undefined, 'p_logp_h');
    dLogits = g.op('Div', [g.op('Neg', [t], undefined, 'd_entropy'), batch], undefined, 'd_logits');
  } else {
    const q = options.loss.q ?? GCE_Q;
    const label = g.op('ArgMax', [logits], { axis: { i: 1 }, keepdims: { i: 1 } }, 'pseudo_label');
    const pq = g.op('Pow', [g.op('GatherElements', [p, label], { axis: { i: 1 } }, 'p_label'), g.float([q])], undefined, 'p_label_q');
    const per = g.op('Div', [g.op('Sub', [g.float([1]), pq], undefined, 'one_minus_pq'), g.float([q])], undefined, 'gce');
    g.reduce('ReduceMean', per, undefined, false, 'loss', [lossName]);
    // dL_i/dz_j = p_ŷ^q (p_j − [j = ŷ]); the mean over the batch divides by n.
    const classIds = g.int64(Array.from({ length: classes }, (_, k) => k), [1, classes], 'class_ids');
    const onehot = g.op('Cast', [g.op('Equal', [classIds, label], undefined, 'is_label')], { to: { i: TO_FLOAT } }, 'onehot');
    const t = g.op('Mul', [pq, g.op('Sub', [p, onehot], undefined, 'p_minus_onehot')], undefined, 'd_gce');
    dLogits = g.op('Div', [t, batch], undefined, 'd_logits');
  }

  // ---- backward
  const grads = new Map<string, string[]>();
  const addGrad = (t: string, gr: string) => {
    const l = grads.get(t);
    if (l) l.push(gr);
    else grads.set(t, [gr]);
  };
  const total = (t: string): string | undefined => {
    const l = grads.get(t);
    if (!l) return undefined;
    let acc = l[0];
    for (let k = 1; k < l.length; k++) acc = g.op('Add', [acc, l[k]], undefined, `grad_sum`);
    return acc;
  };
  addGrad(logits, dLogits);
  const paramGrads = new Map<string, string[]>();
  for (let i = model.nodes.length - 1; i >= 0; i--) {
    const n = model.nodes[i];
    if (droppedIdentity.has(i)) continue;
    const bnRec = bnRecords.get(i);
    if (!bnRec && !n.outputs.some((o) => o && needsGrad(o))) continue;
    const dy = total(n.outputs[0]);
    if (!dy) continue; // output reaches the logits only through a non-differentiable path
    const hint = safeName(n.name || n.outputs[0]);
    if (bnRec) {
      emitBatchNormBackward(g, bnRec, dy, needsGrad(bnRec.bn.x), hint, addGrad, (name, gr) => {
        const l = paramGrads.get(name);
        if (l) l.push(gr);
        else paramGrads.set(name, [gr]);
      });
      continue;
    }
    emitBackward(g, model, n, i, dy, hint, { shapes: shapeOf, needsGrad, addGrad, zero, reluMasks, maxPoolIndices });
  }

  // Parameter gradients as graph outputs.
  for (const prm of params) {
    const l = paramGrads.get(prm.input);
    if (!l) {
      g.op('Identity', [g.float(new Float32Array(prm.size), [prm.size])], undefined, 'grad_zero', [prm.grad]);
      continue;
    }
    let acc = l[0];
    for (let k = 1; k < l.length - 1; k++) acc = g.op('Add', [acc, l[k]], undefined, 'grad_sum');
    if (l.length === 1) g.op('Identity', [acc], undefined, 'grad_out', [prm.grad]);
    else g.op('Add', [acc, l[l.length - 1]], undefined, 'grad_sum', [prm.grad]);
  }

  const out = rewriteGraph(bytes, {
    nodes: g.nodes,
    addInitializers: g.initializers,
    dropInitializers: new Set(paramNames.keys()),
    addInputs: params.map((prm) => ({ name: prm.input, elemType: DataType.FLOAT, dims: [prm.size] })),
    outputs: [
      logits,
      { name: lossName, elemType: DataType.FLOAT, dims: [] },
      ...params.map((prm) => ({ name: prm.grad, elemType: DataType.FLOAT, dims: [prm.size] })),
    ],
  });
  return { bytes: out, input, logits, loss: lossName, params, decisions };
}

/** Train-mode BN forward from plain ops; keeps x̂ and 1/σ for the backward pass. */
function emitTrainBatchNorm(g: GraphBuilder, bn: BatchNormNode, xShape: Dims, batch: string): BnRecord {
  const h = (s: string) => `${safeName(bn.node.name || bn.y)}/${s}`;
  const rank = xShape.length;
  if (rank < 2) throw new ProtobufError(`BatchNormalization "${bn.node.name}": input of rank ${rank}`);
  const axes = [0, ...Array.from({ length: rank - 2 }, (_, k) => k + 2)];
  const spatial = xShape.slice(2).reduce<number | null>((a, b) => (a === null || b === null ? null : a * b), 1);
  if (spatial === null) throw new ProtobufError(`BatchNormalization "${bn.node.name}": spatial size unknown`);
  const colDims = [-1, ...Array(rank - 2).fill(1)];
  const mu = g.reduce('ReduceMean', bn.x, axes, true, h('mean'));
  const d = g.op('Sub', [bn.x, mu], undefined, h('centred'));
  const variance = g.reduce('ReduceMean', g.op('Mul', [d, d], undefined, h('sq')), axes, true, h('var'));
  const invStd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, g.float([bn.epsilon])], undefined, h('var_eps'))], undefined, h('std'))], undefined, h('inv_std'));
  const xhat = g.op('Mul', [d, invStd], undefined, h('xhat'));
  const scaleCol = g.reshape(bn.scale, colDims, h('scale_col'));
  const biasCol = g.reshape(bn.bias, colDims, h('bias_col'));
  g.op('Add', [g.op('Mul', [xhat, scaleCol], undefined, h('scaled')), biasCol], undefined, h('y'), [bn.y]);
  const count = spatial === 1 ? batch : g.op('Mul', [batch, g.float([spatial])], undefined, h('count'));
  return { bn, xhat, invStd, scaleCol, axes, count };
}

/**
 * BN backward (batch statistics): dβ = Σ dy, dγ = Σ dy·x̂,
 * dx = γ/σ · (dy − dβ/m − x̂ · dγ/m), sums over the batch and spatial axes, m = their element count.
 */
function emitBatchNormBackward(
  g: GraphBuilder,
  r: BnRecord,
  dy: string,
  inputNeedsGrad: boolean,
  hint: string,
  addGrad: (t: string, gr: string) => void,
  addParamGrad: (name: string, gr: string) => void,
): void {
  const dyx = g.op('Mul', [dy, r.xhat], undefined, `${hint}/dy_xhat`);
  const dGammaK = g.reduce('ReduceSum', dyx, r.axes, true, `${hint}/d_scale_k`);
  const dBetaK = g.reduce('ReduceSum', dy, r.axes, true, `${hint}/d_bias_k`);
  addParamGrad(r.bn.scale, g.reshape(dGammaK, [-1], `${hint}/d_scale`));
  addParamGrad(r.bn.bias, g.reshape(dBetaK, [-1], `${hint}/d_bias`));
  if (!inputNeedsGrad) return;
  const meanDy = g.op('Div', [dBetaK, r.count], undefined, `${hint}/mean_dy`);
  const meanDyx = g.op('Div', [dGammaK, r.count], undefined, `${hint}/mean_dy_xhat`);
  const t = g.op('Sub', [g.op('Sub', [dy, meanDy], undefined, `${hint}/dy_c`), g.op('Mul', [r.xhat, meanDyx], undefined, `${hint}/xhat_m`)], undefined, `${hint}/dy_proj`);
  const k = g.op('Mul', [r.scaleCol, r.invStd], undefined, `${hint}/gain`);
  addGrad(r.bn.x, g.op('Mul', [t, k], undefined, `${hint}/dx`));
}

interface BackwardContext {
  shapes: (name: string, why: string) => Dims;
  needsGrad: (t: string) => boolean;
  addGrad: (t: string, gr: string) => void;
  zero: string;
  reluMasks: Map<number, string>;
  maxPoolIndices: Map<number, { indices: string; shape: string }>;
}

/** Static dims as a Reshape target: the one unknown dim (the batch) as −1. */
function reshapeTarget(dims: Dims, what: string): number[] {
  if (dims.filter((d) => d === null).length > 1) throw new ProtobufError(`${what}: more than one dynamic dim`);
  return dims.map((d) => (d === null ? -1 : d));
}

/** Sums a gradient of shape `outShape` down to the broadcast input shape `inShape`. */
function unbroadcast(g: GraphBuilder, dy: string, inShape: Dims, outShape: Dims, hint: string): string {
  if (inShape.length === outShape.length && inShape.every((d, k) => d === outShape[k])) return dy;
  const lead = outShape.length - inShape.length;
  const axes: number[] = [];
  for (let k = 0; k < outShape.length; k++) if (k < lead || (inShape[k - lead] === 1 && outShape[k] !== 1)) axes.push(k);
  const summed = axes.length ? g.reduce('ReduceSum', dy, axes, true, `${hint}/unbroadcast`) : dy;
  return g.reshape(summed, reshapeTarget(inShape, hint), `${hint}/unbroadcast_shape`);
}

function emitBackward(g: GraphBuilder, model: OnnxModel, n: OnnxNode, index: number, dy: string, hint: string, c: BackwardContext): void {
  const need = (k: number) => !!n.inputs[k] && c.needsGrad(n.inputs[k]);
  const a = n.attributes;
  switch (n.opType) {
    case 'Identity':
    case 'Dropout':
      if (need(0)) c.addGrad(n.inputs[0], dy);
      return;
    case 'Relu': {
      if (!need(0)) return;
      const mask = c.reluMasks.get(index)!;
      c.addGrad(n.inputs[0], g.op('Where', [mask, dy, c.zero], undefined, `${hint}/dx`));
      return;
    }
    case 'Add':
    case 'Sub': {
      const out = c.shapes(n.outputs[0], n.opType);
      if (need(0)) c.addGrad(n.inputs[0], unbroadcast(g, dy, c.shapes(n.inputs[0], n.opType), out, `${hint}/da`));
      if (need(1)) {
        const d = unbroadcast(g, dy, c.shapes(n.inputs[1], n.opType), out, `${hint}/db`);
        c.addGrad(n.inputs[1], n.opType === 'Sub' ? g.op('Neg', [d], undefined, `${hint}/db_neg`) : d);
      }
      return;
    }
    case 'Mul': {
      const out = c.shapes(n.outputs[0], n.opType);
      for (const [k, other] of [[0, 1], [1, 0]] as const) {
        if (!need(k)) continue;
        const d = g.op('Mul', [dy, n.inputs[other]], undefined, `${hint}/d${k}`);
        c.addGrad(n.inputs[k], unbroadcast(g, d, c.shapes(n.inputs[k], n.opType), out, `${hint}/d${k}`));
      }
      return;
    }
    case 'Conv': {
      if (!need(0)) return;
      if (need(1)) throw new ProtobufError(`Conv "${n.name}": weights computed from BN parameters are not supported`);
      const autoPad = a.auto_pad?.s ?? 'NOTSET';
      if (autoPad !== 'NOTSET') throw new ProtobufError(`Conv "${n.name}": auto_pad ${autoPad} is not supported`);
      const x = c.shapes(n.inputs[0], 'Conv input');
      const y = c.shapes(n.outputs[0], 'Conv output');
      const w = c.shapes(n.inputs[1], 'Conv weight');
      const kernel = (a.kernel_shape?.ints ?? w.slice(2)) as number[];
      const r = kernel.length;
      const strides = a.strides?.ints ?? Array(r).fill(1);
      const dil = a.dilations?.ints ?? Array(r).fill(1);
      const pads = a.pads?.ints ?? Array(2 * r).fill(0);
      const outputPadding = kernel.map((k, s) => {
        const xs = x[2 + s];
        const ys = y[2 + s];
        if (xs === null || ys === null) throw new ProtobufError(`Conv "${n.name}": spatial size unknown`);
        const op = xs - ((ys - 1) * strides[s] - pads[s] - pads[r + s] + dil[s] * (k - 1) + 1);
        if (op < 0 || op >= Math.max(strides[s], dil[s])) throw new ProtobufError(`Conv "${n.name}": no ConvTranspose gives back size ${xs}`);
        return op;
      });
      c.addGrad(
        n.inputs[0],
        g.op(
          'ConvTranspose',
          [dy, n.inputs[1]],
          {
            kernel_shape: { ints: kernel },
            strides: { ints: strides },
            dilations: { ints: dil },
            pads: { ints: pads },
            group: { i: a.group?.i ?? 1 },
            ...(outputPadding.some((v) => v) ? { output_padding: { ints: outputPadding } } : {}),
          },
          `${hint}/dx`,
        ),
      );
      return;
    }
    case 'MaxPool': {
      if (!need(0)) return;
      const mp = c.maxPoolIndices.get(index)!;
      const flat = (t: string, what: string) => g.reshape(t, [-1], `${hint}/${what}_flat`);
      const zeros = flat(g.op('ConstantOfShape', [mp.shape], undefined, `${hint}/zeros`), 'zeros');
      const scattered = g.op('ScatterElements', [zeros, flat(mp.indices, 'indices'), flat(dy, 'dy')], { axis: { i: 0 }, reduction: { s: 'add' } }, `${hint}/scatter`);
      c.addGrad(n.inputs[0], g.op('Reshape', [scattered, mp.shape], undefined, `${hint}/dx`));
      return;
    }
    case 'GlobalAveragePool': {
      if (!need(0)) return;
      const x = c.shapes(n.inputs[0], 'GlobalAveragePool input');
      const spatial = x.slice(2);
      if (spatial.some((d) => d === null)) throw new ProtobufError(`GlobalAveragePool "${n.name}": spatial size unknown`);
      const size = (spatial as number[]).reduce((p, q) => p * q, 1);
      const scaled = g.op('Mul', [dy, g.float([1 / size])], undefined, `${hint}/dy_mean`);
      c.addGrad(n.inputs[0], g.op('Expand', [scaled, g.int64([1, 1, ...(spatial as number[])])], undefined, `${hint}/dx`));
      return;
    }
    case 'Flatten':
    case 'Reshape':
    case 'Squeeze':
    case 'Unsqueeze':
      if (!need(0)) return;
      c.addGrad(n.inputs[0], g.reshape(dy, reshapeTarget(c.shapes(n.inputs[0], `${n.opType} input`), n.name), `${hint}/dx`));
      return;
    case 'Gemm': {
      if (need(1) || need(2)) throw new ProtobufError(`Gemm "${n.name}": weights computed from BN parameters are not supported`);
      if (!need(0)) return;
      if (a.transA?.i) throw new ProtobufError(`Gemm "${n.name}": transA is not supported`);
      // Y = α A·op(B) + β C  ⇒  dA = α dY·op(B)ᵀ
      c.addGrad(n.inputs[0], g.op('Gemm', [dy, n.inputs[1]], { alpha: { f: a.alpha?.f ?? 1 }, transB: { i: a.transB?.i ? 0 : 1 } }, `${hint}/dx`));
      return;
    }
    case 'MatMul': {
      if (need(1)) throw new ProtobufError(`MatMul "${n.name}": right operand computed from BN parameters is not supported`);
      if (!need(0)) return;
      const b = c.shapes(n.inputs[1], 'MatMul right operand');
      if (b.length !== 2) throw new ProtobufError(`MatMul "${n.name}": right operand of rank ${b.length}`);
      const bt = g.op('Transpose', [n.inputs[1]], { perm: { ints: [1, 0] } }, `${hint}/bt`);
      c.addGrad(n.inputs[0], g.op('MatMul', [dy, bt], undefined, `${hint}/dx`));
      return;
    }
    default:
      void model;
      throw new ProtobufError(`self-learning cannot differentiate ${n.opType} node "${n.name}" (supported: Conv, BatchNormalization, Relu, MaxPool, Add, Sub, Mul, GlobalAveragePool, Flatten, Reshape, Gemm, MatMul)`);
  }
}
