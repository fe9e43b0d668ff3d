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
