/**
 * Attention "CAM" for a ViT/DeiT whose export exposes the last layer's attention probabilities
 * (heads × T × T, row = query token): the mean over heads of the CLS token's row, without the CLS column
 * (and the distillation token's, for DeiT-distilled), reshaped to gridH×gridW patches (row-major).
 */
export function vitClsAttention(attn: Float32Array, heads: number, tokens: number, gridH: number, gridW: number, hasDistToken = false): Float32Array {
  if (attn.length !== heads * tokens * tokens) throw new Error(`attention has ${attn.length} values, expected ${heads}×${tokens}×${tokens}`);
  const skip = hasDistToken ? 2 : 1;
  if (tokens - skip !== gridH * gridW) throw new Error(`${tokens} tokens minus ${skip} special do not make a ${gridH}×${gridW} grid`);
  const out = new Float32Array(gridH * gridW);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let h = 0; h < heads; h++) s += attn[h * tokens * tokens + skip + i]; // row 0 (CLS) of head h
    out[i] = s / heads;
  }
  return out;
}

/** One image's attention map on the patch grid (row-major), not normalised. */
export interface AttentionGrid {
  values: Float32Array;
  height: number;
  width: number;
  heads: number;
}

const squareSide = (n: number): number | null => {
  const g = Math.round(Math.sqrt(n));
  return g > 0 && g * g === n ? g : null;
};

/**
 * Whether an output's shape is a [CLS] attention the inspector can show: the exporter's `cls_attention`
 * [N, heads, P] (P = g² patches, or 1 + g² with a distillation token first), or a full attention
 * [N, heads, T, T] with T = 1 + g² (or 2 + g²). Unknown dims are allowed (checked again on the data).
 */
export function isClsAttentionShape(dims: readonly (number | string | null)[] | null): boolean {
  if (!dims) return false;
  const last = dims[dims.length - 1];
  const known = typeof last === 'number' && last > 0;
  if (dims.length === 3) return !known || squareSide(last) !== null || squareSide(last - 1) !== null;
  if (dims.length === 4) {
    const rows = dims[2];
    if (typeof rows === 'number' && known && rows !== last) return false;
    return !known || squareSide(last - 1) !== null || squareSide(last - 2) !== null;
  }
  return false;
}

/**
 * The attention "CAM" of image `n` of a batch, from a [CLS] attention output: the mean over heads of the
 * attention from [CLS] to each patch, reshaped to the patch grid.
 *  - [N, heads, P] (tools/export-onnx `cls_attention`: the [CLS] row without its own column): P = g² patches
 *    (row by row), or 1 + g² when a distillation token comes first (it is dropped).
 *  - [N, heads, T, T] (the full attention probabilities, row = query): row 0, CLS (and distillation) columns
 *    dropped, as {@link vitClsAttention}.
 */
export function clsAttentionMap(data: Float32Array, dims: readonly number[], n = 0): AttentionGrid {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`attention output has ${data.length} values for shape [${dims.join(', ')}]`);
  if (!(n >= 0 && n < dims[0])) throw new Error(`image ${n} of a batch of ${dims[0]}`);
  if (dims.length === 3) {
    const [, heads, p] = dims;
    const g = squareSide(p);
    const skip = g !== null ? 0 : squareSide(p - 1) !== null ? 1 : -1;
    if (skip < 0) throw new Error(`attention output [${dims.join(', ')}]: ${p} patches do not make a square grid`);
    const side = g ?? squareSide(p - 1)!;
    const out = new Float32Array(side * side);
    const base = n * heads * p;
    for (let i = 0; i < out.length; i++) {
      let s = 0;
      for (let h = 0; h < heads; h++) s += data[base + h * p + skip + i];
      out[i] = s / heads;
    }
    return { values: out, height: side, width: side, heads };
  }
  if (dims.length === 4 && dims[2] === dims[3]) {
    const [, heads, t] = dims;
    const g1 = squareSide(t - 1);
    const g2 = g1 === null ? squareSide(t - 2) : null;
    const side = g1 ?? g2;
    if (side === null) throw new Error(`attention output [${dims.join(', ')}]: ${t} tokens are not CLS (+ distillation) + a square grid`);
    const per = heads * t * t;
    const values = vitClsAttention(data.subarray(n * per, (n + 1) * per), heads, t, side, side, g1 === null);
    return { values, height: side, width: side, heads };
  }
  throw new Error(`attention output [${dims.join(', ')}] is neither [N, heads, patches] nor [N, heads, tokens, tokens]`);
}
