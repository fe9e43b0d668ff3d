import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { buildOnnx } from '../../support/tiny-onnx';
import { argmaxLocation, scoreCam, scoreCamWeights, type FeatureMap } from '../../../src/core/cam';

/**
 * A tiny CNN: input [N,3,8,8] → 2×2 stride-2 conv to 4 channels ('features' [N,4,4,4], also a graph output)
 * → global average pool → flatten → Gemm to 3 classes ('logits').
 *   f0 = mean of input channel 0 over each 2×2 patch, f1 = the same of channel 1, f2 = of channel 2,
 *   f3 = f0 + f1.
 *   logit0 = 100·GAP(f0) (class 0 reads only f0), logit1 = 100·GAP(f1), logit2 = GAP(f2).
 */
function tinyCnn(): Uint8Array {
  const conv = new Float32Array(4 * 3 * 2 * 2);
  const put = (out: number, inp: number, v: number) => conv.fill(v, (out * 3 + inp) * 4, (out * 3 + inp) * 4 + 4);
  put(0, 0, 0.25);
  put(1, 1, 0.25);
  put(2, 2, 0.25);
  put(3, 0, 0.25);
  put(3, 1, 0.25);
  const gemm = Float32Array.from([100, 0, 0, 0, 0, 100, 0, 0, 0, 0, 1, 0]); // [3 classes][4 channels]
  return buildOnnx({
    inputs: [{ name: 'input', dims: ['N', 3, 8, 8] }],
    outputs: [
      { name: 'logits', dims: ['N', 3] },
      { name: 'features', dims: ['N', 4, 4, 4] },
    ],
    nodes: [
      { op: 'Conv', inputs: ['input', 'convW', 'convB'], outputs: ['features'], intsAttrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'GlobalAveragePool', inputs: ['features'], outputs: ['pooled'] },
      { op: 'Flatten', inputs: ['pooled'], outputs: ['flat'], intAttrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['flat', 'fcW', 'fcB'], outputs: ['logits'], intAttrs: { transB: 1 } },
    ],
    initializers: [
      { name: 'convW', dims: [4, 3, 2, 2], values: conv },
      { name: 'convB', dims: [4], values: new Float32Array(4) },
      { name: 'fcW', dims: [3, 4], values: gemm },
      { name: 'fcB', dims: [3], values: new Float32Array(3) },
    ],
  });
}

const S = 8;
/** Input channel 0: a 4×4 blob of 3s with top-left corner (y0, x0); channel 1: blob at (y1, x1); channel 2: all 1. */
function image(y0: number, x0: number, y1: number, x1: number): Float32Array {
  const x = new Float32Array(3 * S * S);
  for (let y = 0; y < 4; y++) {
    for (let xx = 0; xx < 4; xx++) {
      x[(y0 + y) * S + x0 + xx] = 3;
      x[S * S + (y1 + y) * S + x1 + xx] = 3;
    }
  }
  x.fill(1, 2 * S * S);
  return x;
}

async function setup() {
  const session = await ort.InferenceSession.create(tinyCnn(), { intraOpNumThreads: 1 });
  const run = async (x: Float32Array, n: number) => session.run({ input: new ort.Tensor('float32', x, [n, 3, S, S]) });
  let calls = 0;
  const forward = async (x: Float32Array, n: number) => {
    calls++;
    return (await run(x, n)).logits.data as Float32Array;
  };
  const features = async (x: Float32Array): Promise<FeatureMap> => ({ channels: 4, height: 4, width: 4, data: (await run(x, 1)).features.data as Float32Array });
  return { run, forward, features, calls: () => calls };
}

/** align_corners=True bilinear, written out: src = d·(n−1)/(out−1). */
function upsampleAlignCorners(a: ArrayLike<number>, n: number, out: number): number[] {
  const res: number[] = [];
  const pos = (d: number) => {
    const s = (d * (n - 1)) / (out - 1);
    const i = Math.min(Math.floor(s), n - 1);
    return { i, j: Math.min(i + 1, n - 1), t: s - i };
  };
  for (let y = 0; y < out; y++) {
    const py = pos(y);
    for (let x = 0; x < out; x++) {
      const px = pos(x);
      const v = (yy: number, xx: number) => a[yy * n + xx];
      const top = v(py.i, px.i) * (1 - px.t) + v(py.i, px.j) * px.t;
      const bottom = v(py.j, px.i) * (1 - px.t) + v(py.j, px.j) * px.t;
      res.push(top * (1 - py.t) + bottom * py.t);
    }
  }
  return res;
}

/** Score-CAM channel scores computed one channel at a time: mask, forward, target logit (and class softmax). */
async function independentScores(f: FeatureMap, input: Float32Array, target: number, run: (x: Float32Array, n: number) => Promise<ort.InferenceSession.ReturnType>) {
  const logits: number[] = [];
  const probs: number[] = [];
  for (let k = 0; k < f.channels; k++) {
    const up = upsampleAlignCorners(f.data.subarray(k * 16, k * 16 + 16), 4, S);
    const lo = Math.min(...up);
    const hi = Math.max(...up);
    const mask = up.map((v) => (v - lo) / (hi - lo + 1e-8));
    const x = new Float32Array(input.length);
    for (let c = 0; c < 3; c++) for (let i = 0; i < S * S; i++) x[c * S * S + i] = input[c * S * S + i] * mask[i];
    const out = Array.from((await run(x, 1)).logits.data as Float32Array);
    logits.push(out[target]);
    const m = Math.max(...out);
    const e = out.map((v) => Math.exp(v - m));
    probs.push(e[target] / e.reduce((s, v) => s + v, 0));
  }
  return { logits, probs };
}

const softmax = (xs: number[]) => {
  const m = Math.max(...xs);
  const e = xs.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const camOf = (f: FeatureMap, w: ArrayLike<number>) =>
  Array.from({ length: 16 }, (_, p) => Math.max(0, Array.from({ length: f.channels }, (_, k) => w[k] * f.data[k * 16 + p]).reduce((a, b) => a + b, 0)));

describe('scoreCam on a tiny ONNX model (onnxruntime-node)', () => {
  it('weights = softmax over channels of the target logit on each masked input (pytorch-grad-cam), batched', async () => {
    const { run, forward, features, calls } = await setup();
    const input = image(0, 0, 4, 4); // class-0 evidence top-left, class-1 evidence bottom-right
    const f = await features(input);
    const progress: [number, number][] = [];
    const got = await scoreCamWeights(f, input, S, 0, forward, { batch: 3, onProgress: (d, t) => progress.push([d, t]) });
    expect(calls()).toBe(2); // 4 channels in batches of 3
    expect(progress).toEqual([
      [0, 4],
      [3, 4],
      [4, 4],
    ]);
    const ref = await independentScores(f, input, 0, run);
    expect(got.channels).toEqual([0, 1, 2, 3]);
    Array.from(got.scores).forEach((s, k) => expect(s).toBeCloseTo(ref.logits[k], 4));
    const w = softmax(ref.logits);
    Array.from(got.weights).forEach((v, k) => expect(v).toBeCloseTo(w[k], 9));
    // The CAM is ReLU(Σ_k w_k A_k) with those weights.
    const cam = await scoreCam(f, input, S, 0, forward, { batch: 3 });
    camOf(f, w).forEach((v, p) => expect(cam[p]).toBeCloseTo(v, 5));
  });

  it('a channel the target class ignores, over a region without its evidence, gets (numerically) no weight', async () => {
    const { forward, features } = await setup();
    const input = image(0, 0, 4, 4);
    const f = await features(input);
    const { weights, scores } = await scoreCamWeights(f, input, S, 0, forward);
    // f1 (read only by class 1, high bottom-right) and the constant f2 (mask all 0 → zero input): target logit ≈ 0,
    // against ≈ 55 for f0 and f3, whose masks keep the class-0 blob.
    expect(scores[0]).toBeGreaterThan(40);
    expect(Math.abs(scores[3] - scores[0])).toBeLessThan(1);
    expect(scores[1]).toBeLessThan(10);
    expect(scores[2]).toBeCloseTo(0, 6);
    expect(weights[1]).toBeLessThan(1e-12);
    expect(weights[2]).toBeLessThan(1e-12);
    // Dropping channels 1 and 2 leaves the CAM unchanged.
    const cam = await scoreCam(f, input, S, 0, forward);
    const without = camOf(f, [weights[0], 0, 0, weights[3]]);
    without.forEach((v, p) => expect(cam[p]).toBeCloseTo(v, 6)); // float32 output
  });

  it('the highlighted region follows the target evidence', async () => {
    const { forward, features } = await setup();
    const cases: { blob0: [number, number]; blob1: [number, number]; target: number; cell: [number, number] }[] = [
      { blob0: [0, 0], blob1: [4, 4], target: 0, cell: [0, 0] },
      { blob0: [4, 0], blob1: [0, 4], target: 0, cell: [2, 0] },
      { blob0: [4, 0], blob1: [0, 4], target: 1, cell: [0, 2] },
      { blob0: [0, 4], blob1: [4, 0], target: 1, cell: [2, 0] },
    ];
    for (const { blob0, blob1, target, cell } of cases) {
      const input = image(blob0[0], blob0[1], blob1[0], blob1[1]);
      const f = await features(input);
      const cam = await scoreCam(f, input, S, target, forward);
      const { y, x } = argmaxLocation(cam, 4);
      // The 8×8 blob covers a 2×2 block of feature cells starting at `cell`.
      expect([Math.floor(y / 2) * 2, Math.floor(x / 2) * 2]).toEqual(cell);
    }
  });

  it('maxChannels keeps the channels of highest mean activation; the softmax runs over those only', async () => {
    const { run, forward, features } = await setup();
    const input = image(0, 0, 4, 4);
    const f = await features(input);
    // Means: f0 = f1 = 0.75, f2 = 1, f3 = 1.5 → the top two are f3 and f2.
    const got = await scoreCamWeights(f, input, S, 0, forward, { maxChannels: 2 });
    expect(got.channels).toEqual([2, 3]);
    const ref = await independentScores(f, input, 0, run);
    const w = softmax([ref.logits[2], ref.logits[3]]);
    expect(got.weights[0]).toBe(0);
    expect(got.weights[1]).toBe(0);
    expect(got.weights[2]).toBeCloseTo(w[0], 9);
    expect(got.weights[3]).toBeCloseTo(w[1], 9);
  });

  it("'class-softmax' weighting (authors' code): class probability of the target, constant maps skipped", async () => {
    const { run, forward, features } = await setup();
    const input = image(0, 0, 4, 4);
    const f = await features(input);
    const got = await scoreCamWeights(f, input, S, 0, forward, { weighting: 'class-softmax' });
    expect(got.channels).toEqual([0, 1, 3]); // f2 is constant
    const ref = await independentScores(f, input, 0, run);
    for (const k of [0, 1, 3]) expect(got.weights[k]).toBeCloseTo(ref.probs[k], 6);
    expect(got.weights[2]).toBe(0);
  });
});
