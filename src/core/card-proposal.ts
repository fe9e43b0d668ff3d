import { DEFAULT_CARD, parseModelCard, type ModelCard } from './model-card';
import { resolveModelIO, type Dim, type TensorInfo } from './model-io';
import { opsetVersion, readOnnx, realInputs, type OnnxModel, type OnnxValueInfo } from './onnx/onnx-model';
import { isClsAttentionShape } from './cam/vit';
import { countBatchNorms } from './tta/bn-adapt';
import { sha256Hex } from './sha256';

export { CARD_PRESETS, applyPreset, matchPreset, type CardPreset } from './card-presets';

/** What an output is for, as the exporter's cards say it (`outputs: [{name, role, shape}]`). */
export type OutputRole = 'logits' | 'features' | 'other';

export interface CardOutput {
  name: string;
  role: OutputRole;
  shape: Dim[];
}

/** The graph facts the card editor offers as choices. */
export interface GraphSummary {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  opset: number | undefined;
  producer: string;
  /** Classes of the logits output, when its size is fixed. */
  numClasses: number | undefined;
}

export interface CardProposal {
  card: ModelCard;
  /** What was read from the graph and what was assumed, one sentence each. */
  findings: string[];
  graph: GraphSummary;
}

/** ONNX TensorProto.DataType → the type names onnxruntime reports (what resolveModelIO expects). */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'float64',
};

const tensorInfo = (v: OnnxValueInfo): TensorInfo => ({ name: v.name, type: TYPE_NAMES[v.elemType] ?? `type ${v.elemType}`, shape: v.dims ?? [] });
const fixed = (d: Dim | undefined): d is number => typeof d === 'number' && d > 0;
const describe = (t: TensorInfo) => `${t.name} [${t.shape.map((d) => d ?? '?').join(', ')}]`;

/** [N, 1 + p², D]: a ViT's token sequence (CLS + a square grid of patches). */
function vitTokens(t: TensorInfo): { grid: number; dim: number } | null {
  const [, tokens, dim] = t.shape;
  if (t.shape.length !== 3 || !fixed(tokens) || !fixed(dim)) return null;
  const grid = Math.round(Math.sqrt(tokens - 1));
  return grid > 0 && grid * grid === tokens - 1 ? { grid, dim } : null;
}

/**
 * Proposes a card from the graph alone: the image input and its size, the logits output, the last feature map
 * (4-D, or ViT tokens), the opset. Preprocessing is torchvision's standard until the user picks a preset.
 */
export function proposeCard(model: OnnxModel, fileName: string): CardProposal {
  const findings: string[] = [];
  const inputs = realInputs(model).map(tensorInfo);
  const outputs = model.outputs.map(tensorInfo);
  const opset = opsetVersion(model);
  const card: ModelCard = { ...DEFAULT_CARD, name: fileName.replace(/\.onnx$/i, '') || DEFAULT_CARD.name, interpolation: 'bilinear' };

  const images = inputs.filter((i) => i.shape.length === 4);
  const input = inputs.length === 1 ? inputs[0] : images.length === 1 ? images[0] : undefined;
  if (!input) {
    findings.push(`cannot tell the image input among ${inputs.length} inputs (${inputs.map(describe).join('; ')}): set the input name`);
  } else {
    card.inputName = input.name;
    const [, c, h, w] = input.shape;
    if (input.shape.length !== 4) {
      findings.push(`input ${describe(input)} is not 4-D: the app feeds [N, 3, H, W]`);
    } else if (!fixed(c) || c === 3) {
      const size = DEFAULT_CARD.inputSize;
      if (!fixed(h) || !fixed(w)) {
        findings.push(`input ${describe(input)}: NCHW with a dynamic size, fed ${size}×${size}`);
      } else if (h === size && w === size) {
        findings.push(`input ${describe(input)}: NCHW, ${size}×${size}`);
      } else {
        // ImageNet-C images are 224×224; feeding another size means resizing them, which is not the benchmark's
        // protocol, so the card keeps 224 (the run refuses) until the user sets the size deliberately.
        findings.push(
          h !== w
            ? `input ${describe(input)} is not square (${h}×${w}): only square inputs are supported`
            : `input ${describe(input)} is fixed at ${h}×${w} but ImageNet-C images are ${size}×${size}: set the input size to ${h} to resize them (not the ImageNet-C protocol; clean images: resize ${Math.round(h / 0.875)}, crop ${h})`,
        );
      }
    } else if (w === 3) {
      findings.push(`input ${describe(input)} looks channels-last (NHWC): the app feeds NCHW, so this model needs a transpose first`);
    } else {
      findings.push(`input ${describe(input)} has ${c} channels: the app feeds 3 (RGB)`);
    }
    if (input.type !== 'float32') findings.push(`input ${describe(input)} is ${input.type}: the app feeds float32`);
  }
  let logits: TensorInfo | undefined;
  try {
    // The logits are chosen exactly as the run will choose them; the size check is the run's business.
    const size = input && fixed(input.shape[2]) ? input.shape[2] : card.inputSize;
    const io = resolveModelIO(input ? [input] : inputs, outputs, { ...card, inputSize: size });
    logits = outputs.find((o) => o.name === io.logitsOutput);
  } catch (e) {
    // Not a classifier the app can run as is; still propose what we know, and say why.
    findings.push((e as Error).message);
    logits = outputs.find((o) => o.shape.length === 2);
  }
  const numClasses = logits && fixed(logits.shape[1]) ? logits.shape[1] : undefined;
  if (logits) {
    card.logitsOutput = logits.name;
    findings.push(`logits: ${describe(logits)}${numClasses ? `, ${numClasses} classes` : ', class count dynamic'}${numClasses === 1000 ? ' (ImageNet-1k)' : ''}`);
  }

  // A ViT's [CLS] attention ([N, heads, patches]) is no feature map, though its shape can pass for tokens.
  const attention = outputs.find((o) => o !== logits && o.type === 'float32' && /attn|attention/i.test(o.name) && isClsAttentionShape(o.shape));
  const rest = outputs.filter((o) => o !== logits && o !== attention && o.type === 'float32');
  const maps = rest.filter((o) => o.shape.length === 4);
  const feature =
    maps.find((o) => /feature/i.test(o.name)) ??
    maps.find((o) => !fixed(o.shape[1]) || o.shape[1] !== numClasses) ??
    rest.find((o) => vitTokens(o) !== null) ??
    maps[0];
  if (feature) {
    card.featureOutput = feature.name;
    const vit = vitTokens(feature);
    findings.push(
      vit
        ? `feature output: ${describe(feature)}, ViT tokens (CLS + ${vit.grid}×${vit.grid} patches, width ${vit.dim})`
        : `feature output: ${describe(feature)}${fixed(feature.shape[1]) ? `, ${feature.shape[1]} channels` : ''}`,
    );
  } else {
    findings.push('no feature-map output: class-activation maps will add one by graph surgery when the head allows it');
  }
  if (attention) findings.push(`[CLS] attention: ${describe(attention)} (attention maps in the inspector)`);
  const role = (o: TensorInfo): OutputRole => (o === logits ? 'logits' : o === feature ? 'features' : 'other');
  card.outputs = outputs.map((o): CardOutput => ({ name: o.name, role: role(o), shape: [...o.shape] }));
  if (opset !== undefined) {
    card.opset = opset;
    findings.push(`opset ${opset} (${model.producerName || 'unknown producer'})`);
  }
  // Test-time adaptation needs the BN nodes (issue 15): say up front when the exporter folded them.
  const batchNorms = countBatchNorms(model);
  findings.push(
    batchNorms
      ? `${batchNorms} BatchNormalization nodes: test-time adaptation (BN statistics, self-learning) is available`
      : `no BatchNormalization nodes (folded into the convolutions at export): test-time adaptation is unavailable — re-export with tools/export-onnx, which keeps them`,
  );
  return { card, findings, graph: { inputs, outputs, opset, producer: model.producerName, numClasses } };
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A loaded card JSON over the proposal: every field the JSON gives wins (validated by parseModelCard), every
 * field it leaves out keeps the graph's value, so a minimal `{name, mean, std, reportedTop1}` still gets the
 * model's input size and output names. Notes say what does not fit the graph.
 */
export function mergeCard(proposal: CardProposal | null, text: string): { card: ModelCard; notes: string[] } {
  const base = proposal?.card ?? DEFAULT_CARD;
  const { card: parsed, notes } = parseModelCard(text, base.name);
  const raw = JSON.parse(text) as Record<string, unknown>;
  const card: ModelCard = { ...base };
  for (const key of Object.keys(raw)) if (!UNSAFE_KEYS.has(key)) card[key] = parsed[key];
  card.name = parsed.name;
  if (card.interpolation === undefined) card.interpolation = 'bilinear';
  if (proposal) {
    const has = (list: TensorInfo[], name: unknown) => typeof name !== 'string' || list.some((t) => t.name === name);
    if (!has(proposal.graph.inputs, card.inputName)) notes.push(`the card names input "${card.inputName}", which the model does not have`);
    for (const key of ['logitsOutput', 'featureOutput'] as const) {
      if (!has(proposal.graph.outputs, card[key])) notes.push(`the card names output "${card[key]}" (${key}), which the model does not have`);
    }
    const classes = proposal.graph.numClasses;
    if (card.labels && classes !== undefined && card.labels.length !== classes) {
      notes.push(`the card lists ${card.labels.length} labels but the model has ${classes} classes`);
    }
  }
  return { card, notes };
}

export interface ModelFileFacts {
  readonly sha256: string;
  /** null when the file is not an ONNX model this reader understands; `problem` says why. */
  readonly proposal: CardProposal | null;
  readonly problem?: string;
}

/** A model file's sha256 and the card its graph suggests (the whole protobuf is parsed: a worker's job). */
export async function modelFileFactsOf(bytes: Uint8Array<ArrayBuffer>, fileName: string): Promise<ModelFileFacts> {
  const sha256 = await sha256Hex(bytes);
  try {
    return { sha256, proposal: proposeCard(readOnnx(bytes), fileName) };
  } catch (e) {
    return { sha256, proposal: null, problem: `${fileName} could not be read as ONNX: ${(e as Error).message}` };
  }
}
