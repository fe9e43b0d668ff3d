import { checkFeatureMap, type FeatureMap } from './feature-map';
import { upsampleBilinearAlignCorners } from './resample';

export type ScoreCamForward = (batch: Float32Array, n: number) => Promise<Float32Array>;

export interface ScoreCamOptions {
  /** Masked inputs per forward call (default 32). */
  batch?: number;
  /** Use only the N channels of highest mean activation (default: all); the others get weight 0. */
  maxChannels?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * How a channel's forward pass becomes its weight.
   * - 'channel-softmax' (default): pytorch-grad-cam's ScoreCAM — score_k = the target's *logit* on the masked
   *   input (ClassifierOutputTarget), weights = softmax over the channels of those scores.
   * - 'class-softmax': the authors' reference code (Wang et al. 2020) — weight_k = softmax over the classes of
   *   the masked input's logits, taken at the target; channels whose map is constant are skipped (weight 0).
   */
  weighting?: 'channel-softmax' | 'class-softmax';
}

export interface ScoreCamWeights {
  /** The channels that were scored, ascending. */
  channels: number[];
  /** The score of each scored channel (same order as `channels`): target logit, or target probability. */
  scores: Float64Array;
  /** One weight per feature channel (0 for channels not scored). */
  weights: Float64Array;
}

/**
 * The mask of one channel as pytorch-grad-cam's ScoreCAM builds it: the activation map upsampled to the input
 * size with align_corners=True bilinear (torch.nn.UpsamplingBilinear2d), then (x − min)/(max − min + 1e-8).
 */
export function scoreCamMask(f: FeatureMap, channel: number, inputSize: number): Float32Array {
  const hw = checkFeatureMap(f);
  const plane = f.data.subarray(channel * hw, (channel + 1) * hw);
  const up = upsampleBilinearAlignCorners(plane, f.height, f.width, inputSize, inputSize);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < up.length; i++) {
    if (up[i] < min) min = up[i];
    if (up[i] > max) max = up[i];
  }
  const d = max - min + 1e-8;
  for (let i = 0; i < up.length; i++) up[i] = (up[i] - min) / d;
  return up;
}

/** The channels Score-CAM scores: all, or the `maxChannels` of highest mean activation (ties: lower index). */
export function scoreCamChannels(f: FeatureMap, maxChannels?: number): number[] {
  const hw = checkFeatureMap(f);
  const all = Array.from({ length: f.channels }, (_, k) => k);
  if (maxChannels === undefined || maxChannels >= f.channels) return all;
  if (!(Number.isInteger(maxChannels) && maxChannels > 0)) throw new Error(`maxChannels must be a positive integer, got ${maxChannels}`);
  const means = all.map((k) => {
    let s = 0;
    for (let p = 0, q = k * hw; p < hw; p++, q++) s += f.data[q];
    return s / hw;
  });
  return all
    .sort((a, b) => means[b] - means[a] || a - b)
    .slice(0, maxChannels)
    .sort((a, b) => a - b);
}

/** The per-channel Score-CAM weights (see {@link scoreCam}); exposed so callers and tests can inspect them. */
export async function scoreCamWeights(
  f: FeatureMap,
  input: Float32Array,
  inputSize: number,
  target: number,
  forward: ScoreCamForward,
  opts: ScoreCamOptions = {},
): Promise<ScoreCamWeights> {
  checkFeatureMap(f);
  const plane = inputSize * inputSize;
  if (input.length % plane !== 0) throw new Error(`input of ${input.length} values is not C×${inputSize}×${inputSize}`);
  const inChannels = input.length / plane;
  const batch = opts.batch ?? 32;
  if (!(Number.isInteger(batch) && batch > 0)) throw new Error(`batch must be a positive integer, got ${batch}`);
  const weighting = opts.weighting ?? 'channel-softmax';
  let channels = scoreCamChannels(f, opts.maxChannels);

  if (weighting === 'class-softmax') {
    // The reference code skips channels whose upsampled map is constant.
    channels = channels.filter((k) => {
      const hw = f.height * f.width;
      const a = f.data.subarray(k * hw, (k + 1) * hw);
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < a.length; i++) {
        if (a[i] < lo) lo = a[i];
        if (a[i] > hi) hi = a[i];
      }
      return hi > lo;
    });
  }
  const total = channels.length;
  const scores = new Float64Array(total);
  opts.onProgress?.(0, total);
  for (let start = 0; start < total; start += batch) {
    const n = Math.min(batch, total - start);
    const x = new Float32Array(n * input.length);
    for (let j = 0; j < n; j++) {
      const k = channels[start + j];
      const mask = scoreCamMask(f, k, inputSize);
      const base = j * input.length;
      for (let c = 0; c < inChannels; c++) {
        const off = c * plane;
        for (let i = 0; i < plane; i++) x[base + off + i] = input[off + i] * mask[i];
      }
    }
    const logits = await forward(x, n);
    if (logits.length % n !== 0) throw new Error(`forward returned ${logits.length} values for ${n} inputs`);
    const classes = logits.length / n;
    if (!(target >= 0 && target < classes)) throw new Error(`target ${target} outside 0..${classes - 1}`);
    for (let j = 0; j < n; j++) {
      const row = logits.subarray(j * classes, (j + 1) * classes);
      scores[start + j] = weighting === 'channel-softmax' ? row[target] : softmaxAt(row, target);
    }
    opts.onProgress?.(start + n, total);
  }

  const weights = new Float64Array(f.channels);
  if (weighting === 'channel-softmax') {
    let max = -Infinity;
    for (const s of scores) if (s > max) max = s;
    let sum = 0;
    const e = scores.map((s) => Math.exp(s - max));
    for (const v of e) sum += v;
    channels.forEach((k, i) => (weights[k] = e[i] / sum));
  } else {
    channels.forEach((k, i) => (weights[k] = scores[i]));
  }
  return { channels, scores, weights };
}

function softmaxAt(row: Float32Array, target: number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return Math.exp(row[target] - max) / sum;
}

/**
 * Score-CAM (Wang et al. 2020) as pytorch-grad-cam's ScoreCAM computes it (score_cam.py + base_cam.py):
 * for each channel k, upsample A_k to the input size (bilinear, align_corners=True), min-max normalise it
 * ((x − min)/(max − min + 1e-8)), multiply the input (every colour plane) by it, run the model, and take the
 * target class's raw logit; the channel weights are the softmax of those logits *over the channels* (not a
 * softmax over classes); CAM = ReLU(Σ_k w_k A_k) at feature resolution, not normalised.
 * `opts.weighting: 'class-softmax'` gives the authors' variant instead (see {@link ScoreCamOptions}).
 *
 * `forward(batch, n)` gets n masked inputs (n×C×S×S, float32) and returns n×classes logits. Channels go
 * through it in batches of `opts.batch` (default 32).
 */
export async function scoreCam(
  f: FeatureMap,
  input: Float32Array,
  inputSize: number,
  target: number,
  forward: ScoreCamForward,
  opts: ScoreCamOptions = {},
): Promise<Float32Array> {
  const { weights } = await scoreCamWeights(f, input, inputSize, target, forward, opts);
  const hw = f.height * f.width;
  const acc = new Float64Array(hw);
  for (let k = 0; k < f.channels; k++) {
    const w = weights[k];
    if (w === 0) continue;
    for (let p = 0, q = k * hw; p < hw; p++, q++) acc[p] += w * f.data[q];
  }
  const out = new Float32Array(hw);
  for (let p = 0; p < hw; p++) out[p] = acc[p] > 0 ? acc[p] : 0;
  return out;
}
