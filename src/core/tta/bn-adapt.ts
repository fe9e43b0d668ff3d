/**
 * Batch-norm adaptation by graph rewrite (Schneider, Rusak et al. 2020, "Improving robustness against common
 * corruptions by covariate shift adaptation"): every inference-mode BatchNormalization of an ONNX model is
 * replaced by plain ops that normalise with the statistics of the current batch mixed with the source (running)
 * statistics, exactly as robusta's `BayesianBatchNorm` (bethgelab/robustness, robusta/batchnorm/bn.py):
 *
 *   a    = N / (N + n)                       n = images in the batch (read from the input's shape at run time)
 *   mean = a·μ_source + (1 − a)·μ_batch
 *   var  = a·σ²_source + (1 − a)·σ²_batch    σ²_batch unbiased (robusta reads it from a momentum-1 BatchNorm)
 *   y    = (x − mean) / √(var + ε) · scale + shift
 *
 * with the batch statistics per channel over (batch, spatial…). N is the prior strength in pseudo-samples;
 * N = 0 is full adaptation. (robusta computes a from the nominal batch size; here n is the actual batch, which
 * differs only for a smaller last batch.)
 *
 * Only opset-13-era plain ops are used (Reshape, ReduceMean, Sub, Mul, Add, Div, Sqrt, Reciprocal, Shape, Cast,
 * Gather): onnxruntime-web runs them on WASM, and on WebGPU (the small int64 shape ops land on the CPU).
 */
import { ProtobufError, readOnnx, type OnnxModel, type OnnxNode } from '../onnx/onnx-model';
import { GraphBuilder, rewriteGraph } from './graph-rewrite';

/** What the app says when a model has no BatchNormalization left to adapt. */
export const BN_FOLDED_MESSAGE =
  'This model has no BatchNormalization nodes: they were folded into the convolutions when it was exported, so ' +
  'there are no batch-norm statistics to adapt. Re-export it with tools/export-onnx, which keeps them.';

export interface BatchNormNode {
  /** Index of the node in model.nodes. */
  index: number;
  node: OnnxNode;
  x: string;
  scale: string;
  bias: string;
  mean: string;
  variance: string;
  y: string;
  epsilon: number;
}

const TO_FLOAT = 1;

/** The model's inference-mode BatchNormalization nodes (one output, not training_mode), in graph order. */
export function batchNormNodes(model: OnnxModel): BatchNormNode[] {
  const out: BatchNormNode[] = [];
  model.nodes.forEach((node, index) => {
    if (node.opType !== 'BatchNormalization' || (node.domain && node.domain !== 'ai.onnx')) return;
    const used = node.outputs.filter((o) => o !== '');
    if (used.length !== 1 || node.attributes.training_mode?.i) return;
    if (node.attributes.spatial && node.attributes.spatial.i === 0) return; // opset < 9 per-activation BN
    const [x, scale, bias, mean, variance] = node.inputs;
    out.push({ index, node, x, scale, bias, mean, variance, y: node.outputs[0], epsilon: node.attributes.epsilon?.f ?? 1e-5 });
  });
  return out;
}

/** How many BatchNormalization nodes the model has (0: folded at export, see BN_FOLDED_MESSAGE). */
export function countBatchNorms(model: OnnxModel): number {
  return batchNormNodes(model).length;
}

/** robusta's prior weight a = N / (N + n) for prior strength N and batch size n. */
export const priorWeight = (prior: number, batch: number): number => (prior === 0 ? 0 : prior / (prior + batch));

export interface BnAdaptOptions {
  /** N, the prior strength in pseudo-samples (≥ 0; 0 = the batch statistics alone). */
  prior: number;
}

/** The model with every BatchNormalization replaced by robusta-style Bayesian batch-norm adaptation. */
export function adaptBatchNorm(bytes: Uint8Array, options: BnAdaptOptions): Uint8Array {
  const { prior } = options;
  if (!(prior >= 0) || !Number.isFinite(prior)) throw new RangeError(`BN adaptation prior N must be a finite number ≥ 0, got ${prior}`);
  const model = readOnnx(bytes);
  const bns = batchNormNodes(model);
  if (bns.length === 0) throw new ProtobufError(BN_FOLDED_MESSAGE);
  const byIndex = new Map(bns.map((b) => [b.index, b]));
  const g = new GraphBuilder(model, 'bn_adapt');
  model.nodes.forEach((_, i) => {
    const bn = byIndex.get(i);
    if (bn) emitAdaptedBatchNorm(g, bn, prior);
    else g.keep(i);
  });
  return rewriteGraph(bytes, { nodes: g.nodes, addInitializers: g.initializers });
}

function emitAdaptedBatchNorm(g: GraphBuilder, bn: BatchNormNode, prior: number): void {
  const h = (s: string) => `${bn.node.name || bn.y}/${s}`;
  // [n, C, spatial…] → [n, C, S]: one code path for BatchNorm1d/2d/3d inputs; statistics over axes 0 and 2.
  const x3 = g.reshape(bn.x, [0, 0, -1], h('x3'));
  const axes = [0, 2];
  const col = (name: string) => g.reshape(name, [-1, 1], h('c1')); // [C] → [C, 1], broadcasts against [1, C, 1]
  const mu = g.reduce('ReduceMean', x3, axes, true, h('batch_mean'));
  const d = g.op('Sub', [x3, mu], undefined, h('centred'));
  const biased = g.reduce('ReduceMean', g.op('Mul', [d, d], undefined, h('sq')), axes, true, h('batch_var_biased'));
  const shape = g.op('Cast', [g.op('Shape', [x3], undefined, h('shape'))], { to: { i: TO_FLOAT } }, h('shape_f'));
  const n = g.op('Gather', [shape, g.int64([0], [])], { axis: { i: 0 } }, h('n'));
  const m = g.op('Mul', [n, g.op('Gather', [shape, g.int64([2], [])], { axis: { i: 0 } }, h('spatial'))], undefined, h('count'));
  const one = g.float([1]);
  const unbiased = g.op('Mul', [biased, g.op('Div', [m, g.op('Sub', [m, one], undefined, h('count_1'))], undefined, h('bessel'))], undefined, h('batch_var'));
  let mean = mu;
  let variance = unbiased;
  let centred = d;
  if (prior > 0) {
    const N = g.float([prior]);
    const a = g.op('Div', [N, g.op('Add', [N, n], undefined, h('N_plus_n'))], undefined, h('a'));
    const b = g.op('Sub', [one, a], undefined, h('one_minus_a'));
    const mix = (source: string, batch: string, what: string) =>
      g.op('Add', [g.op('Mul', [a, col(source)], undefined, h(`${what}_src`)), g.op('Mul', [b, batch], undefined, h(`${what}_tgt`))], undefined, h(what));
    mean = mix(bn.mean, mu, 'mean');
    variance = mix(bn.variance, unbiased, 'var');
    centred = g.op('Sub', [x3, mean], undefined, h('centred_mix'));
  }
  const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, g.float([bn.epsilon])], undefined, h('var_eps'))], undefined, h('std'))], undefined, h('inv_std'));
  const k = g.op('Mul', [col(bn.scale), inv], undefined, h('gain'));
  const y3 = g.op('Add', [g.op('Mul', [centred, k], undefined, h('scaled')), col(bn.bias)], undefined, h('y3'));
  g.op('Reshape', [y3, g.op('Shape', [bn.x], undefined, h('x_shape'))], undefined, h('y'), [bn.y]);
}
