/**
 * ViT attention end to end below the UI: a tiny synthetic DINO ViT exported by tools/export-onnx with
 * --cls-attention; the inspector's plan finds its `cls_attention` output from the exporter's card, and the map it
 * computes from the ONNX output (run in onnxruntime-node) equals PyTorch's mean over heads of the last block's
 * [CLS] → patch attention (torchvision's VisionTransformer, test/support/make-tiny-vit.py) for the same input.
 * Without /usr/bin/python3 + torch the suite skips with a message, except under CI, where it must run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeCard, proposeCard } from '../../../src/core/card-proposal';
import { CamModel, planCam, type CamForward } from '../../../src/core/cam/cam-model';
import { clsAttentionMap } from '../../../src/core/cam';
import { readOnnx } from '../../../src/core/onnx/onnx-model';
import { PROJECT_ROOT } from '../../support/fixtures';
import { referenceNormalize } from '../../support/cam-reference';

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
const HAVE_TORCH = probe.status === 0;
if (!HAVE_TORCH) {
  const why = (probe.stderr || probe.error?.message || '').trim().split('\n').pop();
  if (process.env.CI) console.error(`CI is set but ${PYTHON} cannot import torch/torchvision (${why}): the ViT attention test fails`);
  else console.warn(`[skip] ViT attention: ${PYTHON} cannot import torch/torchvision (${why}); install Debian's python3-torch python3-torchvision to run it`);
}

const f32 = (path: string) => {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

describe.skipIf(!HAVE_TORCH && !process.env.CI)('ViT [CLS] attention maps (tools/export-onnx --cls-attention)', () => {
  let dir = '';
  beforeAll(() => {
    if (!HAVE_TORCH) throw new Error(`CI is set but ${PYTHON} cannot import torch/torchvision`);
    dir = mkdtempSync(join(tmpdir(), 'shiftlens-tiny-vit-'));
    const r = spawnSync(PYTHON, [join(PROJECT_ROOT, 'test/support/make-tiny-vit.py'), dir], { encoding: 'utf8', timeout: 240_000 });
    if (r.status !== 0) throw new Error(`make-tiny-vit.py failed (exit ${r.status}):\n${r.stderr}`);
  }, 300_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the attention map computed from the ONNX output equals PyTorch’s mean over heads of the [CLS] attention', async () => {
    const bytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
    // The card as the app builds it: the graph's proposal, with the exporter's card loaded over it.
    const proposal = proposeCard(readOnnx(bytes), 'model.onnx');
    expect(proposal.card.featureOutput).toBe('features');
    expect(proposal.findings.join(' ')).toMatch(/\[CLS\] attention: cls_attention \[.*, 2, 49\]/);
    const { card } = mergeCard(proposal, readFileSync(join(dir, 'model.card.json'), 'utf8'));
    const plan = planCam(bytes, card, 'logits');
    expect(plan.attentionOutput).toBe('cls_attention');
    const why = Object.fromEntries(plan.methods.map((m) => [m.id, m.unavailable]));
    expect(why.attention).toBeNull();
    expect(why.gradcam).toMatch(/Grad-CAM needs/);
    expect(why.eigencam).toMatch(/4-D feature-map/); // the ViT's `features` are tokens [N, 50, 128]

    const session = await ort.InferenceSession.create(plan.bytes);
    try {
      const forward: CamForward = async (input, n, outputs) => {
        const out = await session.run({ input: new ort.Tensor('float32', input, [n, 3, 224, 224]) }, outputs);
        return Object.fromEntries(outputs.map((o) => [o, { data: out[o].data as Float32Array, dims: out[o].dims }]));
      };
      const model = new CamModel(plan, forward, 224);
      const a = await model.analyse(f32(join(dir, 'input.f32')));
      const expected = f32(join(dir, 'cls_attention_mean.f32'));
      expect(a.attention).not.toBeNull();
      expect([a.attention!.height, a.attention!.width, a.attention!.heads]).toEqual([7, 7, 2]);
      let worst = 0;
      for (let i = 0; i < 49; i++) worst = Math.max(worst, Math.abs(a.attention!.values[i] - expected[i]));
      expect(worst).toBeLessThanOrEqual(1e-5);
      // Far from uniform (1/50 = 0.02 would be), so a wrong head or patch order shows.
      expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(0.02);
      // Logits agree too: the same input reached the model.
      const logits = f32(join(dir, 'logits.f32'));
      for (let i = 0; i < logits.length; i++) expect(a.logits[i]).toBeCloseTo(logits[i], 3);

      // What the inspector shows: the same map on the 7×7 patch grid, normalised like the CAMs.
      const shown = await model.cam(a, 'attention', a.top5[0].index);
      expect([shown.height, shown.width]).toEqual([7, 7]);
      const ref = referenceNormalize(expected);
      for (let i = 0; i < 49; i++) expect(shown.values[i]).toBeCloseTo(ref[i], 4);
      await expect(model.cam(a, 'gradcam', 0)).rejects.toThrow(/Grad-CAM is not available/);
    } finally {
      await session.release();
    }
  }, 120_000);
});

describe('clsAttentionMap', () => {
  it('[N, heads, P]: mean over heads of image n, on the √P grid', () => {
    // 2 images × 2 heads × 4 patches
    const data = Float32Array.from([1, 2, 3, 4, 3, 4, 5, 6, /* image 1 */ 0, 0, 0, 8, 0, 0, 0, 0]);
    const m = clsAttentionMap(data, [2, 2, 4], 0);
    expect([m.height, m.width, m.heads]).toEqual([2, 2, 2]);
    expect(Array.from(m.values)).toEqual([2, 3, 4, 5]);
    expect(Array.from(clsAttentionMap(data, [2, 2, 4], 1).values)).toEqual([0, 0, 0, 4]);
  });
  it('[N, heads, T, T]: row 0 without the CLS column; rejects shapes that make no grid', () => {
    const t = 5;
    const data = new Float32Array(2 * t * t);
    for (let h = 0; h < 2; h++) for (let j = 0; j < t; j++) data[h * t * t + j] = j + h;
    expect(Array.from(clsAttentionMap(data, [1, 2, t, t]).values)).toEqual([1.5, 2.5, 3.5, 4.5]);
    expect(() => clsAttentionMap(new Float32Array(6), [1, 2, 3])).toThrow(/square grid/);
  });
});
