import { describe, expect, it } from 'vitest';
import {
  argmaxLocation,
  colormapLut,
  convReluPositiveCount,
  gradCamConvReluGap,
  gradCamLinear,
  normalizeCam,
  overlayRgba,
  pearson,
  upsampleBilinear,
  upsampleBilinearAlignCorners,
  vitClsAttention,
  type FeatureMap,
} from '../../../src/core/cam';

const fm = (channels: number, height: number, width: number, values: number[]): FeatureMap => ({ channels, height, width, data: Float32Array.from(values) });
const arr = (a: ArrayLike<number>) => Array.from(a);
/** 2 channels on a 2×2 grid: A0 = [1 2; 3 4], A1 = [4 3; 2 1]. */
const small = fm(2, 2, 2, [1, 2, 3, 4, 4, 3, 2, 1]);

/** A deterministic pseudo-random stream (LCG), for maps that are not hand-made. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Grad-CAM from numerical gradients: the logit as a black-box function of the feature map, its gradient by
 * central differences, α_k = mean gradient of channel k, CAM = ReLU(Σ α_k A_k). Independent of the closed forms.
 */
function finiteDifferenceGradCam(f: FeatureMap, logit: (a: Float64Array) => number): Float64Array {
  const hw = f.height * f.width;
  const a = Float64Array.from(f.data);
  const alpha = new Float64Array(f.channels);
  const h = 1e-4;
  for (let k = 0; k < f.channels; k++) {
    let sum = 0;
    for (let p = 0; p < hw; p++) {
      const i = k * hw + p;
      const v = a[i];
      a[i] = v + h;
      const up = logit(a);
      a[i] = v - h;
      const down = logit(a);
      a[i] = v;
      sum += (up - down) / (2 * h);
    }
    alpha[k] = sum / hw;
  }
  const cam = new Float64Array(hw);
  for (let p = 0; p < hw; p++) {
    let s = 0;
    for (let k = 0; k < f.channels; k++) s += alpha[k] * a[k * hw + p];
    cam[p] = Math.max(0, s);
  }
  return cam;
}

describe('gradCamLinear (GAP → linear head)', () => {
  it('is ReLU(Σ_k w_k A_k), by hand', () => {
    // w = [1, −1]: [1−4, 2−3, 3−2, 4−1] = [−3, −1, 1, 3] → ReLU.
    expect(arr(gradCamLinear(small, Float32Array.from([1, -1])))).toEqual([0, 0, 1, 3]);
    // w = [0.5, 0.25]: [0.5+1, 1+0.75, 1.5+0.5, 2+0.25].
    expect(arr(gradCamLinear(small, Float32Array.from([0.5, 0.25])))).toEqual([1.5, 1.75, 2, 2.25]);
    // All negative evidence: nothing survives the ReLU.
    expect(arr(gradCamLinear(small, Float32Array.from([-1, -1])))).toEqual([0, 0, 0, 0]);
  });

  it('equals HW × the Grad-CAM of numerical gradients of b + Σ_k w_k mean(A_k)', () => {
    const r = rng(7);
    const f = fm(5, 3, 4, Array.from({ length: 60 }, () => r() * 3));
    const w = Float32Array.from({ length: 5 }, () => r() * 2 - 0.8);
    const hw = 12;
    const logit = (a: Float64Array) => {
      let s = 0.3;
      for (let k = 0; k < 5; k++) for (let p = 0; p < hw; p++) s += (w[k] * a[k * hw + p]) / hw;
      return s;
    };
    const fd = finiteDifferenceGradCam(f, logit);
    const cam = gradCamLinear(f, w);
    for (let p = 0; p < hw; p++) expect(cam[p] / hw).toBeCloseTo(fd[p], 6);
    expect(Math.max(...cam)).toBeGreaterThan(0);
  });

  it('rejects a weight row of the wrong length', () => {
    expect(() => gradCamLinear(small, Float32Array.from([1, 2, 3]))).toThrow(/3 values for 2 channels/);
  });
});

describe('gradCamConvReluGap (1×1 conv → ReLU → GAP head, SqueezeNet)', () => {
  const w = Float32Array.from([1, -1]); // Σ_k w_k A_k = [−3, −1, 1, 3]

  it('is (P/(HW)²)·ReLU(Σ_k w_k A_k) with P = #{z > 0}, by hand', () => {
    // bias 0: z = [−3, −1, 1, 3], P = 2, scale 2/16.
    expect(convReluPositiveCount(small, w, 0)).toBe(2);
    expect(arr(gradCamConvReluGap(small, w, 0))).toEqual([0, 0, 0.125, 0.375]);
    // bias −2: z = [−5, −3, −1, 1], P = 1, scale 1/16.
    expect(arr(gradCamConvReluGap(small, w, -2))).toEqual([0, 0, 1 / 16, 3 / 16]);
  });

  it('a bias that changes P changes the scale, never the shape (the bias is not in the map)', () => {
    // bias 2: z = [−1, 1, 3, 5], P = 3: position 1 now passes the ReLU, yet its CAM value stays 0 (Σ w A = −1 there).
    expect(convReluPositiveCount(small, w, 2)).toBe(3);
    const withBias = gradCamConvReluGap(small, w, 2);
    expect(arr(withBias)).toEqual([0, 0, 3 / 16, 9 / 16]);
    // The model's own class map ReLU(z) = [0, 1, 3, 5] has a different shape: the bias shows in it.
    const unbiased = normalizeCam(gradCamConvReluGap(small, w, 0));
    normalizeCam(withBias).forEach((v, i) => expect(v).toBeCloseTo(unbiased[i], 6));
    expect(arr(normalizeCam(withBias))).not.toEqual(arr(normalizeCam(Float32Array.from([0, 1, 3, 5]))));
  });

  it('is all zeros when no position passes the ReLU (P = 0: no gradient), even where Σ w A > 0', () => {
    // bias −4: z = [−7, −5, −3, −1].
    expect(convReluPositiveCount(small, w, -4)).toBe(0);
    expect(arr(gradCamConvReluGap(small, w, -4))).toEqual([0, 0, 0, 0]);
    // The linear-head form of the same weights is not zero: the difference is the ReLU in the head.
    expect(arr(gradCamLinear(small, w))).toEqual([0, 0, 1, 3]);
  });

  it('equals the Grad-CAM of numerical gradients of mean ReLU(Σ_k w_k A_k + b)', () => {
    const r = rng(11);
    for (const bias of [-1.5, 0, 0.7]) {
      const f = fm(4, 4, 4, Array.from({ length: 64 }, () => r() * 2));
      const wr = Float32Array.from({ length: 4 }, () => r() * 2 - 1);
      const hw = 16;
      const logit = (a: Float64Array) => {
        let s = 0;
        for (let p = 0; p < hw; p++) {
          let z = bias;
          for (let k = 0; k < 4; k++) z += wr[k] * a[k * hw + p];
          s += Math.max(0, z);
        }
        return s / hw;
      };
      // Keep every z away from 0 so the finite differences do not straddle the kink.
      for (let p = 0; p < hw; p++) {
        let z = bias;
        for (let k = 0; k < 4; k++) z += wr[k] * f.data[k * hw + p];
        if (Math.abs(z) < 1e-3) f.data[p] += 0.01;
      }
      const fd = finiteDifferenceGradCam(f, logit);
      const cam = gradCamConvReluGap(f, wr, bias);
      for (let p = 0; p < hw; p++) expect(cam[p]).toBeCloseTo(fd[p], 6);
    }
  });
});

describe('normalizeCam (pytorch-grad-cam scale_cam_image)', () => {
  it('subtracts the minimum and divides by 1e-7 + the shifted maximum', () => {
    const out = normalizeCam(Float32Array.from([2, 4, 6, 3]));
    const d = 4 + 1e-7;
    expect(arr(out)).toEqual(arr(Float32Array.from([0, 2 / d, 4 / d, 1 / d])));
    expect(out[2]).toBeLessThanOrEqual(1); // 4/(4 + 1e-7) rounds to 1 in float32
  });
  it('maps a constant map (and an all-zero CAM) to zeros', () => {
    expect(arr(normalizeCam(Float32Array.from([5, 5, 5])))).toEqual([0, 0, 0]);
    expect(arr(normalizeCam(new Float32Array(4)))).toEqual([0, 0, 0, 0]);
  });
  it('handles negative values (min below zero)', () => {
    const d = 3 + 1e-7;
    expect(arr(normalizeCam(Float32Array.from([-1, 2, 0])))).toEqual(arr(Float32Array.from([0, 3 / d, 1 / d])));
  });
});

describe('upsampleBilinear (cv2.resize INTER_LINEAR)', () => {
  it('2×2 → 4×4 as cv2 computes it: src = (dst + 0.5)/2 − 0.5, clamped at the edges', () => {
    // Per axis, dst 0..3 → src −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1): [a, ¾a+¼b, ¼a+¾b, b].
    const src = Float32Array.from([0, 4, 8, 12]);
    expect(arr(upsampleBilinear(src, 2, 2, 4, 4))).toEqual([
      0, 1, 3, 4, //
      2, 3, 5, 6, //
      6, 7, 9, 10, //
      8, 9, 11, 12,
    ]);
  });
  it('non-square and downscaling: 1×3 → 1×2 (scale 1.5: src 0.25 and 1.75)', () => {
    expect(arr(upsampleBilinear(Float32Array.from([0, 10, 20]), 1, 3, 1, 2))).toEqual([2.5, 17.5]);
    // 1 row → 2 rows replicates it.
    expect(arr(upsampleBilinear(Float32Array.from([1, 3]), 1, 2, 2, 2))).toEqual([1, 3, 1, 3]);
  });
  it('is the identity at the same size', () => {
    const src = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(arr(upsampleBilinear(src, 2, 3, 2, 3))).toEqual(arr(src));
  });
  it('7×7 → 224×224 keeps the maximum cell where it was', () => {
    const cam = new Float32Array(49);
    cam[2 * 7 + 5] = 1;
    const up = upsampleBilinear(cam, 7, 7, 224, 224);
    const { y, x } = argmaxLocation(up, 224);
    expect(Math.floor(y / 32)).toBe(2);
    expect(Math.floor(x / 32)).toBe(5);
    // Cell centres land on 32·j + 15.5: pixel 16 of a cell reads src = 16.5/32 − 0.5 + j = j + 1/64 on each axis.
    expect(up[(2 * 32 + 16) * 224 + 5 * 32 + 16]).toBeCloseTo((1 - 1 / 64) ** 2, 6);
    expect(up[(2 * 32 + 15) * 224 + 5 * 32 + 15]).toBeCloseTo((1 - 1 / 64) ** 2, 6);
  });
  it('align-corners variant (torch UpsamplingBilinear2d): src = dst·(in−1)/(out−1)', () => {
    const out = upsampleBilinearAlignCorners(Float32Array.from([0, 3]), 1, 2, 1, 4);
    expect(arr(out).map((v) => +v.toFixed(6))).toEqual([0, 1, 2, 3]);
    expect(arr(upsampleBilinearAlignCorners(Float32Array.from([0, 4, 8, 12]), 2, 2, 3, 3))).toEqual([0, 2, 4, 4, 6, 8, 8, 10, 12]);
  });
});

describe('argmaxLocation', () => {
  it('returns the first maximum as (y, x, index)', () => {
    expect(argmaxLocation(Float32Array.from([1, 5, 5, 2, 0, 3]), 3)).toEqual({ y: 0, x: 1, index: 1 });
    expect(argmaxLocation(Float32Array.from([1, 2, 3, 4, 9, 0]), 2)).toEqual({ y: 2, x: 0, index: 4 });
  });
  it('ignores NaN and rejects a width that does not divide the map', () => {
    expect(argmaxLocation(Float32Array.from([NaN, 1, 2, NaN]), 2)).toEqual({ y: 1, x: 0, index: 2 });
    expect(() => argmaxLocation(Float32Array.from([1, 2, 3]), 2)).toThrow();
  });
});

describe('pearson', () => {
  it('matches hand-computed correlations', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // deviations (−1.5, −.5, .5, 1.5) and (−1.5, .5, −.5, 1.5): Σab = 4, Σa² = Σb² = 5 → 0.8.
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(pearson(Float32Array.from([0, 0, 1]), [0, 1, 0])).toBeCloseTo(-0.5, 12);
  });
  it('is NaN for a constant input and throws on different lengths', () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => pearson([1, 2], [1, 2, 3])).toThrow();
  });
});

describe('overlayRgba and colormaps', () => {
  it('jet runs dark blue → blue → cyan → yellow → red → dark red as cv2.COLORMAP_JET', () => {
    const lut = colormapLut('jet');
    const at = (i: number) => arr(lut.subarray(3 * i, 3 * i + 3));
    expect(at(0)).toEqual([0, 0, 128]);
    expect(at(32)).toEqual([0, 0, 255]);
    expect(at(64)).toEqual([0, 128, 255]);
    expect(at(128)).toEqual([130, 255, 126]);
    expect(at(191)).toEqual([255, 128, 0]);
    expect(at(223)).toEqual([255, 0, 0]);
    expect(at(255)).toEqual([128, 0, 0]);
    // Every entry within one level of the Octave formula.
    const clamp = (v: number) => Math.min(1, Math.max(0, v));
    for (let i = 0; i < 256; i++) {
      const x = i / 255;
      const want = [clamp(Math.min(4 * x - 1.5, 4.5 - 4 * x)), clamp(Math.min(4 * x - 0.5, 3.5 - 4 * x)), clamp(Math.min(4 * x + 0.5, 2.5 - 4 * x))];
      for (let c = 0; c < 3; c++) expect(Math.abs(lut[3 * i + c] - want[c] * 255)).toBeLessThanOrEqual(0.5 + 1e-9);
    }
  });
  it('viridis has matplotlib’s end and mid colours', () => {
    const lut = colormapLut('viridis');
    const hex = (i: number) => arr(lut.subarray(3 * i, 3 * i + 3)).map((v) => v.toString(16).padStart(2, '0')).join('');
    expect(hex(0)).toBe('440154');
    expect(hex(128)).toBe('21918c');
    expect(hex(255)).toBe('fde725');
  });
  it('blends (1 − opacity)·pixel + opacity·colour with colour index floor(255·v)', () => {
    const pixels = Uint8Array.from([100, 50, 200, 7, 0, 0, 0, 255, 255, 255, 255, 0]);
    const cam = Float32Array.from([0, 1, 0.5]);
    const out = overlayRgba(pixels, cam, 0.25, 'jet');
    // pixel 0: jet[0] = (0,0,128): 0.75·(100,50,200) + 0.25·(0,0,128) = (75, 37.5, 182) → (75, 38, 182); alpha 255.
    expect(arr(out.subarray(0, 4))).toEqual([75, 38, 182, 255]);
    // pixel 1: jet[255] = (128,0,0): (32, 0, 0).
    expect(arr(out.subarray(4, 8))).toEqual([32, 0, 0, 255]);
    // pixel 2: v = 0.5 → index 127 (np.uint8(127.5) truncates).
    const j127 = arr(colormapLut('jet').subarray(381, 384));
    expect(arr(out.subarray(8, 12))).toEqual(j127.map((c) => Math.round(0.75 * 255 + 0.25 * c)).concat(255));
    expect(arr(overlayRgba(pixels, cam, 0, 'viridis').subarray(0, 3))).toEqual([100, 50, 200]);
    expect(arr(overlayRgba(pixels, cam, 1, 'viridis').subarray(0, 3))).toEqual([0x44, 0x01, 0x54]);
    expect(() => overlayRgba(pixels, Float32Array.from([0, 1]), 0.5, 'jet')).toThrow();
  });
});

describe('vitClsAttention', () => {
  it('averages the CLS row over heads, drops the CLS (and distillation) token, reshapes to the grid', () => {
    // 2 heads, 5 tokens (CLS + 2×2 patches); row 0 of head h is [h, 1+h, 2+h, 3+h, 4+h]·0.1, other rows noise.
    const heads = 2;
    const t = 5;
    const attn = new Float32Array(heads * t * t).fill(9);
    for (let h = 0; h < heads; h++) for (let j = 0; j < t; j++) attn[h * t * t + j] = (j + h) * 0.1;
    const out = vitClsAttention(attn, heads, t, 2, 2);
    expect(arr(out).map((v) => +v.toFixed(6))).toEqual([0.15, 0.25, 0.35, 0.45]);
    // With a distillation token: tokens 0 and 1 are special, the grid is 1×3.
    expect(arr(vitClsAttention(attn, heads, t, 1, 3, true)).map((v) => +v.toFixed(6))).toEqual([0.25, 0.35, 0.45]);
    expect(() => vitClsAttention(attn, heads, t, 3, 3)).toThrow();
  });
});
