/**
 * The inspector's methods on a CNN whose head is not global-average-pool → linear (conv → ReLU → flatten → Gemm):
 * Grad-CAM says why it is unavailable, Score-CAM and Eigen-CAM work from the 4-D feature output the card names
 * (or the card proposal finds), run here in onnxruntime-node.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelCard } from '../../../src/core/model-card';
import { CamHeadError, findCamHead } from '../../../src/core/onnx/cam-head';
import { readOnnx } from '../../../src/core/onnx/onnx-model';
import { CamModel, planCam, type CamForward } from '../../../src/core/cam/cam-model';
import { buildOnnx } from '../../support/tiny-onnx';
import { jacobiEigen, referenceNormalize } from '../../support/cam-reference';

const S = 16; // input side
const C = 6; // feature channels
const G = 8; // feature grid (stride 2)
const K = 5; // classes

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** input → Conv 3×3 stride 2 (`features`, an output) → Relu → Flatten → Gemm → logits. No global pool. */
function flattenHeadModel(): Uint8Array {
  const r = rng(11);
  return buildOnnx({
    inputs: [{ name: 'input', dims: ['N', 3, S, S] }],
    outputs: [
      { name: 'logits', dims: ['N', K] },
      { name: 'features', dims: ['N', C, G, G] },
    ],
    nodes: [
      { op: 'Conv', inputs: ['input', 'conv_w', 'conv_b'], outputs: ['features'], intsAttrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['features'], outputs: ['relu'] },
      { op: 'Flatten', inputs: ['relu'], outputs: ['flat'], intAttrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['flat', 'fc_w', 'fc_b'], outputs: ['logits'], intAttrs: { transB: 1 } },
    ],
    initializers: [
      { name: 'conv_w', dims: [C, 3, 3, 3], values: Float32Array.from({ length: C * 27 }, () => r()) },
      { name: 'conv_b', dims: [C], values: Float32Array.from({ length: C }, () => 0.2 * r()) },
      { name: 'fc_w', dims: [K, C * G * G], values: Float32Array.from({ length: K * C * G * G }, () => 0.2 * r()) },
      { name: 'fc_b', dims: [K], values: Float32Array.from({ length: K }, () => r()) },
    ],
  });
}

/** Eigen-CAM by its definition with an independent eigen-solver (Jacobi): centre X (HW × C) per channel, project
 *  on the leading eigenvector of XᵀX, sign so that the projection agrees with the centred channel sum, ReLU. */
function referenceEigenCam(data: Float32Array, c: number, hw: number): Float64Array {
  const x = Array.from({ length: hw }, (_, p) => Array.from({ length: c }, (_, k) => data[k * hw + p]));
  for (let k = 0; k < c; k++) {
    const m = x.reduce((s, row) => s + row[k], 0) / hw;
    for (const row of x) row[k] -= m;
  }
  const cov = Array.from({ length: c }, (_, a) => Array.from({ length: c }, (_, b) => x.reduce((s, row) => s + row[a] * row[b], 0)));
  const { values, vectors } = jacobiEigen(cov);
  const top = values.indexOf(Math.max(...values));
  const v = vectors.map((row) => row[top]);
  let proj = x.map((row) => row.reduce((s, e, k) => s + e * v[k], 0));
  const dot = proj.reduce((s, pv, p) => s + pv * x[p].reduce((a, b) => a + b, 0), 0);
  if (dot < 0) proj = proj.map((e) => -e);
  return Float64Array.from(proj, (e) => Math.max(0, e));
}

describe('CAM methods without a GAP → linear head (conv → ReLU → flatten → Gemm)', () => {
  const bytes = flattenHeadModel();
  let session: ort.InferenceSession;
  const forward: CamForward = async (input, n, outputs) => {
    const out = await session.run({ input: new ort.Tensor('float32', input, [n, 3, S, S]) }, outputs);
    return Object.fromEntries(outputs.map((o) => [o, { data: out[o].data as Float32Array, dims: out[o].dims }]));
  };
  const r = rng(5);
  const input = Float32Array.from({ length: 3 * S * S }, () => 2 * r());

  beforeAll(async () => {
    session = await ort.InferenceSession.create(bytes);
  });
  afterAll(async () => {
    await session?.release();
  });

  it('has no Grad-CAM head (what made every method fail before)', () => {
    expect(() => findCamHead(readOnnx(bytes), 'logits')).toThrow(CamHeadError);
  });

  for (const how of ['the card names it', 'the card proposal finds it'] as const) {
    it(`Score-CAM and Eigen-CAM read the 4-D feature output when ${how}; Grad-CAM says why it is unavailable`, async () => {
      const card = parseModelCard(JSON.stringify({ inputSize: S, resizeTo: S, logitsOutput: 'logits', ...(how === 'the card names it' ? { featureOutput: 'features' } : {}) })).card;
      const plan = planCam(bytes, card, 'logits');
      expect(plan.head).toBeNull();
      expect(plan.featureOutput).toBe('features');
      expect(plan.featureSource).toBe(how === 'the card names it' ? 'card' : 'graph');
      expect(plan.featureChannels).toBe(C);
      expect(plan.bytes).toBe(bytes); // no surgery without a head
      const available = Object.fromEntries(plan.methods.map((m) => [m.id, m.unavailable]));
      expect(available.scorecam).toBeNull();
      expect(available.eigencam).toBeNull();
      expect(available.gradcam).toMatch(/global-average-pool/);
      expect(available.gradcam).toContain(plan.headError!);
      expect(available.attention).toMatch(/no \[CLS\] attention/);

      const model = new CamModel(plan, forward, S);
      const a = await model.analyse(input);
      expect(a.features && [a.features.channels, a.features.height, a.features.width]).toEqual([C, G, G]);
      expect(a.headFeatures).toBeNull();

      await expect(model.cam(a, 'gradcam', 0)).rejects.toThrow(/Grad-CAM is not available: .*global-average-pool/);

      const eigen = await model.cam(a, 'eigencam', 0);
      expect([eigen.height, eigen.width]).toEqual([G, G]);
      const ref = referenceNormalize(referenceEigenCam(a.features!.data, C, G * G));
      for (let i = 0; i < ref.length; i++) expect(eigen.values[i]).toBeCloseTo(ref[i], 4);

      for (const [choice, used] of [['all', C], [4, 4]] as const) {
        const score = await model.cam(a, 'scorecam', a.top5[0].index, { scoreCamChannels: choice });
        expect([score.height, score.width]).toEqual([G, G]);
        expect(score.channels).toEqual({ used, of: C });
        expect(Math.max(...score.values)).toBeGreaterThan(0.99);
        expect(Math.min(...score.values)).toBeGreaterThanOrEqual(0);
      }
    });
  }

  it('a card featureOutput that is not a 4-D map is reported, and the graph’s is used instead', () => {
    const card = parseModelCard(JSON.stringify({ inputSize: S, featureOutput: 'logits' })).card;
    const plan = planCam(bytes, card, 'logits');
    expect(plan.notes.join(' ')).toMatch(/featureOutput logits \[N, 5\] is not a 4-D/);
    expect(plan.featureOutput).toBe('features');
  });
});
