/**
 * What the inspector can compute for a model, and the computation itself, independent of where the model runs
 * (a browser worker in the app, onnxruntime-node in tests): the caller supplies `forward`.
 *
 *  - Grad-CAM needs the exact head (global-average-pool → linear, or 1×1 conv → ReLU → pool) read from the graph.
 *  - Score-CAM and Eigen-CAM need only a 4-D feature map [N, C, H, W]: the card's `featureOutput`, else the
 *    head's feature map (exposed by graph surgery when it is not an output), else the 4-D output the card
 *    proposal picks from the graph.
 *  - Attention needs a [CLS] attention output (tools/export-onnx `cls_attention` [N, heads, patches]): the
 *    card's `attentionOutput`, else an output the card lists as `cls_attention`, else a graph output whose
 *    name says attention and whose shape fits.
 * Pure TypeScript, no DOM or Node APIs.
 */
import type { ModelCard } from '../model-card';
import { proposeCard } from '../card-proposal';
import { readOnnx, type OnnxModel, type OnnxValueInfo } from '../onnx/onnx-model';
import { CamHeadError, findCamHead, withFeatureOutput, type CamHead } from '../onnx/cam-head';
import { topK } from '../topk';
import type { FeatureMap } from './feature-map';
import { eigenCam } from './eigen-cam';
import { gradCamConvReluGap, gradCamLinear } from './grad-cam';
import { scoreCam, scoreCamChannels } from './score-cam';
import { normalizeCam } from './stats';
import { clsAttentionMap, isClsAttentionShape, type AttentionGrid } from './vit';

export type CamMethod = 'gradcam' | 'scorecam' | 'eigencam' | 'attention';

export const CAM_METHODS: readonly { id: CamMethod; label: string }[] = [
  { id: 'gradcam', label: 'Grad-CAM (exact, from the head weights)' },
  { id: 'scorecam', label: 'Score-CAM (forward passes only)' },
  { id: 'eigencam', label: 'Eigen-CAM (first principal component)' },
  { id: 'attention', label: 'Attention ([CLS] → patches, mean over heads)' },
];

export interface MethodAvailability {
  id: CamMethod;
  label: string;
  /** null when available; otherwise why not, in a sentence. */
  unavailable: string | null;
}

export interface CamPlan {
  /** The model to run: the input bytes, or a copy with the head's feature map added as an output. */
  bytes: Uint8Array;
  surgery: boolean;
  logitsOutput: string;
  head: CamHead | null;
  /** Why Grad-CAM cannot be computed (no supported head), or null. */
  headError: string | null;
  /** The output Grad-CAM reads (the head's feature map), or null without a head. */
  headFeatureOutput: string | null;
  /** The 4-D output Score-CAM and Eigen-CAM read, or null. */
  featureOutput: string | null;
  /** Where featureOutput came from. */
  featureSource: 'card' | 'head' | 'surgery' | 'graph' | null;
  /** Channels of featureOutput, when the graph says. */
  featureChannels: number | null;
  /** The [CLS] attention output, or null. */
  attentionOutput: string | null;
  methods: MethodAvailability[];
  /** Sentences about what was found (card names that did not fit, and the like). */
  notes: string[];
}

const fmt = (v: OnnxValueInfo) => `${v.name} [${v.dims ? v.dims.map((d) => d ?? '?').join(', ') : '?'}]`;
/** A graph output that can be a feature map: float32 (or untyped) and 4-D (or of unknown rank). */
const mapLike = (v: OnnxValueInfo) => (v.elemType === 0 || v.elemType === 1) && (v.dims === null || v.dims.length === 4);

/** Decides which outputs each CAM method reads, adding the head's feature map to the graph when needed. */
export function planCam(model: Uint8Array, card: ModelCard, logitsOutput: string, graph: OnnxModel = readOnnx(model)): CamPlan {
  const notes: string[] = [];
  const outputs = new Map(graph.outputs.map((o) => [o.name, o]));

  let head: CamHead | null = null;
  let headError: string | null = null;
  try {
    head = findCamHead(graph, logitsOutput);
  } catch (e) {
    if (!(e instanceof CamHeadError)) throw e;
    headError = e.message;
  }
  let bytes = model;
  let headFeatureOutput: string | null = null;
  if (head) {
    const prepared = withFeatureOutput(model, graph, head);
    bytes = prepared.bytes;
    headFeatureOutput = prepared.outputName;
  }

  let featureOutput: string | null = null;
  let featureSource: CamPlan['featureSource'] = null;
  const named = typeof card.featureOutput === 'string' ? card.featureOutput : null;
  if (named) {
    const o = outputs.get(named);
    if (!o) notes.push(`the card's featureOutput "${named}" is not an output of the model`);
    else if (!mapLike(o)) notes.push(`the card's featureOutput ${fmt(o)} is not a 4-D float feature map [N, C, H, W]`);
    else {
      featureOutput = named;
      featureSource = 'card';
    }
  }
  if (!featureOutput && headFeatureOutput) {
    featureOutput = headFeatureOutput;
    featureSource = bytes !== model ? 'surgery' : 'head';
  }
  if (!featureOutput) {
    const proposed = proposeCard(graph, 'model').card.featureOutput;
    const o = proposed ? outputs.get(proposed) : undefined;
    if (o && o.name !== logitsOutput && o.dims?.length === 4) {
      featureOutput = o.name;
      featureSource = 'graph';
    }
  }
  const c = featureOutput ? (outputs.get(featureOutput)?.dims?.[1] ?? (featureSource !== 'card' && featureSource !== 'graph' ? head?.channels : null)) : null;
  const featureChannels = typeof c === 'number' && c > 0 ? c : null;

  let attentionOutput: string | null = null;
  const namedAttention = typeof card.attentionOutput === 'string' ? card.attentionOutput : null;
  const listed = Array.isArray(card.outputs)
    ? (card.outputs as unknown[]).flatMap((o) => {
        const name = (o as { name?: unknown })?.name;
        return typeof name === 'string' && /cls_attention/i.test(name) ? [name] : [];
      })
    : [];
  for (const name of [namedAttention, ...listed, ...graph.outputs.filter((o) => /attn|attention/i.test(o.name)).map((o) => o.name)]) {
    if (!name) continue;
    const o = outputs.get(name);
    if (o && isClsAttentionShape(o.dims) && (o.elemType === 0 || o.elemType === 1)) {
      attentionOutput = name;
      break;
    }
    if (name === namedAttention) notes.push(`the card's attentionOutput "${name}" is ${o ? `${fmt(o)}, not a [CLS] attention [N, heads, patches]` : 'not an output of the model'}`);
  }

  const noMap = 'the model has no 4-D feature-map output [N, C, H, W]: name one in the card’s featureOutput';
  const why: Record<CamMethod, string | null> = {
    gradcam: head ? null : `Grad-CAM needs a global-average-pool → linear (or 1×1 conv → ReLU → pool) head, and ${headError ?? 'none was found'}`,
    scorecam: featureOutput ? null : noMap,
    eigencam: featureOutput ? null : noMap,
    attention: attentionOutput ? null : 'the model has no [CLS] attention output (export a ViT with tools/export-onnx --cls-attention)',
  };
  const methods = CAM_METHODS.map((m) => ({ ...m, unavailable: why[m.id] }));
  return { bytes, surgery: bytes !== model, logitsOutput, head, headError, headFeatureOutput, featureOutput, featureSource, featureChannels, attentionOutput, methods, notes };
}

export type CamForward = (input: Float32Array, batch: number, outputs: string[]) => Promise<Record<string, { data: Float32Array; dims: readonly number[] }>>;

/** One image through the model: logits, top-5 and what the CAM methods read. */
export interface CamAnalysis {
  readonly input: Float32Array;
  readonly size: number;
  readonly logits: Float32Array;
  readonly top5: { index: number; logit: number; prob: number }[];
  /** The map Score-CAM and Eigen-CAM read, or null. */
  readonly features: FeatureMap | null;
  /** The head's feature map (Grad-CAM), or null; the same object as `features` when they are one output. */
  readonly headFeatures: FeatureMap | null;
  readonly attention: AttentionGrid | null;
}

/** A CAM at its own resolution (feature map or patch grid), normalised to [0, 1]. */
export interface CamMap {
  values: Float32Array;
  height: number;
  width: number;
  /** Score-CAM: how many channels were scored, of how many. */
  channels?: { used: number; of: number };
}

export interface CamOptions {
  /** Score-CAM: the channels of highest mean activation to score (default 256; 'all' for every one). */
  scoreCamChannels?: number | 'all';
  scoreCamBatch?: number;
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_SCORECAM_CHANNELS = 256;

function featureMap(out: { data: Float32Array; dims: readonly number[] }, name: string): FeatureMap {
  if (out.dims.length !== 4) throw new Error(`the feature output "${name}" is [${out.dims.join(', ')}], not a 4-D map [N, C, H, W]`);
  const [, channels, height, width] = out.dims;
  return { channels, height, width, data: out.data.subarray(0, channels * height * width) };
}

/** The CAM computations over one planned model and a way to run it. */
export class CamModel {
  constructor(
    readonly plan: CamPlan,
    private readonly forward: CamForward,
    readonly inputSize: number,
  ) {}

  available(method: CamMethod): boolean {
    return this.plan.methods.some((m) => m.id === method && m.unavailable === null);
  }

  /** Runs one normalised CHW input (3 × size × size). */
  async analyse(input: Float32Array): Promise<CamAnalysis> {
    const p = this.plan;
    const names = [...new Set([p.logitsOutput, p.featureOutput, p.headFeatureOutput, p.attentionOutput].filter((n): n is string => !!n))];
    const out = await this.forward(input.slice(), 1, names);
    const logits = out[p.logitsOutput].data;
    const max = logits.reduce((m, v) => Math.max(m, v), -Infinity);
    const sum = logits.reduce((s, v) => s + Math.exp(v - max), 0);
    const t = topK(logits, 5);
    const features = p.featureOutput ? featureMap(out[p.featureOutput], p.featureOutput) : null;
    const headFeatures = p.headFeatureOutput ? (p.headFeatureOutput === p.featureOutput ? features : featureMap(out[p.headFeatureOutput], p.headFeatureOutput)) : null;
    const a = p.attentionOutput ? out[p.attentionOutput] : null;
    return {
      input,
      size: this.inputSize,
      logits,
      top5: t.indices.map((index, i) => ({ index, logit: t.values[i], prob: Math.exp(t.values[i] - max) / sum })),
      features,
      headFeatures,
      attention: a ? clsAttentionMap(a.data, a.dims) : null,
    };
  }

  /** The map of `method` for class `target`, at its own resolution, normalised as pytorch-grad-cam does. */
  async cam(a: CamAnalysis, method: CamMethod, target: number, opts: CamOptions = {}): Promise<CamMap> {
    const m = this.plan.methods.find((x) => x.id === method);
    if (!m) throw new Error(`unknown CAM method ${String(method)}`);
    if (m.unavailable) throw new Error(`${m.label.split(' (')[0]} is not available: ${m.unavailable}`);
    if (method === 'attention') {
      const g = a.attention!;
      return { values: normalizeCam(g.values), height: g.height, width: g.width };
    }
    if (method === 'gradcam') {
      const f = a.headFeatures!;
      const h = this.plan.head!;
      if (f.channels !== h.channels) throw new Error(`the feature map has ${f.channels} channels but the head takes ${h.channels}`);
      const row = h.weights.subarray(target * h.channels, (target + 1) * h.channels);
      const raw = h.kind === 'gap-linear' ? gradCamLinear(f, row) : gradCamConvReluGap(f, row, h.bias ? h.bias[target] : 0);
      return { values: normalizeCam(raw), height: f.height, width: f.width };
    }
    const f = a.features!;
    if (method === 'eigencam') return { values: normalizeCam(eigenCam(f)), height: f.height, width: f.width };
    const choice = opts.scoreCamChannels ?? DEFAULT_SCORECAM_CHANNELS;
    const maxChannels = choice === 'all' ? undefined : choice;
    const used = scoreCamChannels(f, maxChannels).length;
    const logitsName = this.plan.logitsOutput;
    const forward = async (batch: Float32Array, n: number) => (await this.forward(batch, n, [logitsName]))[logitsName].data;
    const raw = await scoreCam(f, a.input, a.size, target, forward, { batch: opts.scoreCamBatch ?? 16, maxChannels, onProgress: opts.onProgress });
    return { values: normalizeCam(raw), height: f.height, width: f.width, channels: { used, of: f.channels } };
  }
}
