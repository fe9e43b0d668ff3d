import { checkFeatureMap, type FeatureMap } from './feature-map';

/** Σ_k w_k·A_k(y, x) for every position, accumulated in float64 (channel-outer for contiguous reads). */
export function weightedChannelSum(f: FeatureMap, weightsRow: ArrayLike<number>): Float64Array {
  const hw = checkFeatureMap(f);
  if (weightsRow.length !== f.channels) throw new Error(`weights row has ${weightsRow.length} values for ${f.channels} channels`);
  const acc = new Float64Array(hw);
  const a = f.data;
  for (let k = 0; k < f.channels; k++) {
    const w = weightsRow[k];
    if (w === 0) continue;
    for (let p = 0, q = k * hw; p < hw; p++, q++) acc[p] += w * a[q];
  }
  return acc;
}

/**
 * Grad-CAM for a head `features → global average pool → linear` (MobileNet, ResNet, EfficientNet, ...).
 *
 * logit_c = b_c + Σ_k W_ck · mean_{y,x} A_k(y,x), so ∂logit_c/∂A_k(y,x) = W_ck/(HW) everywhere and Grad-CAM's
 * channel weight α_k = mean_{y,x} of that gradient = W_ck/(HW). The CAM ReLU(Σ_k α_k A_k) is then
 * (1/HW)·ReLU(Σ_k W_ck A_k); the positive constant 1/(HW) is dropped (every consumer normalises).
 *
 * Returns H×W, row-major, not normalised. The bias plays no part (it has no gradient w.r.t. A).
 */
export function gradCamLinear(f: FeatureMap, weightsRow: Float32Array): Float32Array {
  const acc = weightedChannelSum(f, weightsRow);
  const out = new Float32Array(acc.length);
  for (let p = 0; p < acc.length; p++) out[p] = acc[p] > 0 ? acc[p] : 0;
  return out;
}

/**
 * Grad-CAM for a head `features → 1×1 conv (W, b) → ReLU → global average pool` (SqueezeNet), derived exactly:
 *
 *   z_c(y,x)   = Σ_k W_ck A_k(y,x) + b_c                     (the conv output for class c)
 *   logit_c    = mean_{y,x} ReLU(z_c(y,x))
 *   ∂logit_c/∂A_k(y,x) = W_ck/(HW) · [z_c(y,x) > 0]          (ReLU' = 0 at 0, as in PyTorch)
 *   α_k        = mean_{y,x} ∂logit_c/∂A_k(y,x) = W_ck · P/(HW)²,   P = #{(y,x) : z_c(y,x) > 0}
 *   Grad-CAM   = ReLU(Σ_k α_k A_k) = (P/(HW)²) · ReLU(Σ_k W_ck A_k)
 *
 * So it is the GAP-linear form *without the bias*, scaled by P/(HW)², and all zeros when P = 0 (no position
 * passes the ReLU, so the logit has no gradient at all — this is what pytorch-grad-cam returns there too).
 * The bias only enters through P: it decides which positions count, never the shape of the map.
 * Note that this is *not* the class activation map ReLU(z_c) itself (the model's own `class_maps`): that one
 * includes b_c on the positive support, which changes the normalised map unless every position is positive.
 */
export function gradCamConvReluGap(f: FeatureMap, weightsRow: Float32Array, bias: number): Float32Array {
  const acc = weightedChannelSum(f, weightsRow);
  const hw = acc.length;
  let positive = 0;
  for (let p = 0; p < hw; p++) if (acc[p] + bias > 0) positive++;
  const out = new Float32Array(hw);
  if (positive === 0) return out;
  const scale = positive / (hw * hw);
  for (let p = 0; p < hw; p++) out[p] = acc[p] > 0 ? scale * acc[p] : 0;
  return out;
}

/** P of {@link gradCamConvReluGap}: the number of positions where the pre-ReLU conv map of the class is > 0. */
export function convReluPositiveCount(f: FeatureMap, weightsRow: Float32Array, bias: number): number {
  const acc = weightedChannelSum(f, weightsRow);
  let positive = 0;
  for (let p = 0; p < acc.length; p++) if (acc[p] + bias > 0) positive++;
  return positive;
}
