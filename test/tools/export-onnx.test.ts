/**
 * tools/export-onnx: synthetic checkpoints of every layout are exported by the Python tool; the ONNX files run
 * here in onnxruntime-node must reproduce the PyTorch reference outputs (computed by make_synthetic.py with
 * torchvision's own resnet50 / VisionTransformer forward), at batch 1, 2 and 3, and their cards must load in
 * the app's card parser and merge with the card proposed from the graph without complaint. The ResNets keep their
 * 53 BatchNormalization nodes (test-time adaptation rewrites them).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeCard, proposeCard } from '../../src/core/card-proposal';
import { parseModelCard } from '../../src/core/model-card';
import { findCamHead } from '../../src/core/onnx/cam-head';
import { opsetVersion, readOnnx, realInputs } from '../../src/core/onnx/onnx-model';
import { PROJECT_ROOT } from '../support/fixtures';

const PYTHON = '/usr/bin/python3';
const TOOL = join(PROJECT_ROOT, 'tools/export-onnx');
const TOL = 1e-4;

const torchProbe = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
// .ci/run installs PyTorch: under CI a missing PyTorch fails these tests instead of skipping them.
const HAVE_TORCH = torchProbe.status === 0 || !!process.env.CI;
if (!HAVE_TORCH) {
  const why = (torchProbe.stderr || torchProbe.error?.message || '').trim().split('\n').pop();
  console.warn(
    `[skip] tools/export-onnx: ${PYTHON} cannot import torch/torchvision (${why}); ` +
      `install Debian's python3-torch python3-torchvision to run these tests`,
  );
}

interface Case {
  name: string;
  features: number[];
  clsAttention?: number[];
  card: { method: string; backbone: string; layout: string; interpolation: string; resizeTo: number; mean: number[] };
  /** ResNets: the app's Grad-CAM must find the global-average-pool → linear head on `features`. */
  gapHead: boolean;
}

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const resnet = (name: string, card: Case['card']): Case => ({ name, features: [2048, 7, 7], card, gapHead: true });
// Preprocessing as each family's evaluation code does it (see tools/export-onnx/layouts.py for the sources).
const CASES: Case[] = [
  resnet('mmselfsup', { method: 'simclr', backbone: 'resnet50', layout: 'mmselfsup', interpolation: 'bilinear', resizeTo: 256, mean: IMAGENET_MEAN }),
  resnet('dino-resnet50', { method: 'dino', backbone: 'resnet50', layout: 'dino-resnet50', interpolation: 'bicubic', resizeTo: 256, mean: IMAGENET_MEAN }),
  resnet('lincls', { method: 'simsiam', backbone: 'resnet50', layout: 'lincls', interpolation: 'bilinear', resizeTo: 256, mean: IMAGENET_MEAN }),
  resnet('lincls-moco', { method: 'mocov2', backbone: 'resnet50', layout: 'lincls', interpolation: 'bilinear', resizeTo: 256, mean: IMAGENET_MEAN }),
  resnet('torchvision', { method: 'supervised', backbone: 'resnet50', layout: 'torchvision', interpolation: 'bilinear', resizeTo: 256, mean: IMAGENET_MEAN }),
  resnet('timm-resnet50', { method: 'supervised', backbone: 'resnet50', layout: 'timm', interpolation: 'bicubic', resizeTo: 235, mean: IMAGENET_MEAN }),
  {
    name: 'dino-vits',
    features: [197, 384],
    clsAttention: [6, 196],
    card: { method: 'dino', backbone: 'vit_small_patch16', layout: 'dino-vits', interpolation: 'bicubic', resizeTo: 256, mean: IMAGENET_MEAN },
    gapHead: false,
  },
  {
    name: 'timm-vit-small',
    features: [197, 384],
    card: { method: 'supervised', backbone: 'vit_small_patch16', layout: 'timm', interpolation: 'bicubic', resizeTo: 248, mean: [0.5, 0.5, 0.5] },
    gapHead: false,
  },
];

interface Reference {
  argv: string[];
  input: { file: string; shape: number[] };
  outputs: Record<string, { file: string; shape: number[] }>;
}

function run(args: string[], timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const f32 = (path: string) => {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Rows of a [N, …] tensor, concatenated in the given order. */
function rows(data: Float32Array, n: number, order: number[]): Float32Array {
  const size = data.length / n;
  const out = new Float32Array(order.length * size);
  order.forEach((r, i) => out.set(data.subarray(r * size, (r + 1) * size), i * size));
  return out;
}

function std(a: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    s += a[i];
    s2 += a[i] * a[i];
  }
  const n = to - from;
  return Math.sqrt(Math.max(s2 / n - (s / n) ** 2, 0));
}

describe.skipIf(!HAVE_TORCH)('tools/export-onnx: checkpoint layouts → ONNX + model card', () => {
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shiftlens-export-onnx-'));
    const r = await run([join(TOOL, 'make_synthetic.py'), '--out', dir, '--keep-checkpoints'], 240_000);
    if (r.code !== 0) throw new Error(`make_synthetic.py failed (exit ${r.code}):\n${r.stderr}`);
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`${c.name}: ONNX reproduces PyTorch (|Δ| ≤ ${TOL}) at batch 1, 2, 3; opset ≥ 17; card loads`, async () => {
      const d = join(dir, c.name);
      const ref = JSON.parse(readFileSync(join(d, 'reference.json'), 'utf8')) as Reference;
      const bytes = new Uint8Array(readFileSync(join(d, 'model.onnx')));
      const model = readOnnx(bytes);

      expect(opsetVersion(model)).toBeGreaterThanOrEqual(17);
      const inputs = realInputs(model);
      expect(inputs.map((i) => i.name)).toEqual(['input']);
      expect(typeof inputs[0].dims?.[0]).toBe('string');
      expect(inputs[0].dims?.slice(1)).toEqual([3, 224, 224]);
      const outputNames = model.outputs.map((o) => o.name);
      expect(outputNames).toEqual(c.clsAttention ? ['logits', 'features', 'cls_attention'] : ['logits', 'features']);
      for (const o of model.outputs) expect(typeof o.dims?.[0], `${o.name}: dynamic batch axis`).toBe('string');

      const x = f32(join(d, ref.input.file));
      const expected = Object.fromEntries(Object.entries(ref.outputs).map(([k, v]) => [k, f32(join(d, v.file))]));
      expect(ref.outputs.logits.shape).toEqual([2, 1000]);
      expect(ref.outputs.features.shape).toEqual([2, ...c.features]);
      if (c.clsAttention) expect(ref.outputs.cls_attention.shape).toEqual([2, ...c.clsAttention]);

      // The reference must be able to tell a wrong export apart: logits spread out and different per image.
      const L = expected.logits;
      for (const n of [0, 1]) expect(std(L, n * 1000, (n + 1) * 1000)).toBeGreaterThan(0.1);
      expect(maxAbsDiff(L.subarray(0, 1000), L.subarray(1000))).toBeGreaterThan(0.1);

      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2, interOpNumThreads: 1 });
      try {
        for (const order of [[0, 1], [1], [0, 1, 0]]) {
          const out = await session.run({ input: new ort.Tensor('float32', rows(x, 2, order), [order.length, 3, 224, 224]) });
          const logits = out.logits.data as Float32Array;
          expect(out.logits.dims).toEqual([order.length, 1000]);
          expect(out.features.dims).toEqual([order.length, ...c.features]);
          // Every reference of the logits (timm-vit-small also has torchvision's own ViT forward).
          for (const [k, v] of Object.entries(expected)) {
            if (k.startsWith('logits')) expect(maxAbsDiff(logits, rows(v, 2, order)), `${k}, batch ${order.length}`).toBeLessThanOrEqual(TOL);
          }
          expect(maxAbsDiff(out.features.data as Float32Array, rows(expected.features, 2, order)), `features, batch ${order.length}`).toBeLessThanOrEqual(TOL);
          if (c.clsAttention) {
            expect(out.cls_attention.dims).toEqual([order.length, ...c.clsAttention]);
            const attn = out.cls_attention.data as Float32Array;
            expect(maxAbsDiff(attn, rows(expected.cls_attention, 2, order)), `cls_attention, batch ${order.length}`).toBeLessThanOrEqual(TOL);
            // Far from uniform, so a wrong head or token order would show (uniform: 1/197 ≈ 0.005).
            expect(Math.max(...attn)).toBeGreaterThan(0.02);
          }
        }
      } finally {
        await session.release();
      }

      if (c.gapHead) {
        // BatchNormalization is kept (not folded into the convolutions), in inference mode, for test-time
        // adaptation: all 53 of ResNet-50, and the logits above are still those of the eval-mode network.
        const bns = model.nodes.filter((n) => n.opType === 'BatchNormalization');
        expect(bns).toHaveLength(53);
        for (const bn of bns) {
          expect(bn.attributes.training_mode?.i ?? 0).toBe(0);
          expect(bn.outputs).toHaveLength(1);
        }
        // The app's Grad-CAM reads the linear head out of the graph; applied to the exported feature map it
        // must give the logits.
        const head = findCamHead(model, 'logits');
        expect(head.kind).toBe('gap-linear');
        expect(head.featureOutput).toBe('features');
        expect([head.channels, head.classes]).toEqual([2048, 1000]);
        const F = expected.features;
        const viaHead = new Float32Array(2000);
        for (let n = 0; n < 2; n++) {
          const pooled = new Float64Array(2048);
          for (let ch = 0; ch < 2048; ch++) {
            let s = 0;
            for (let p = 0; p < 49; p++) s += F[(n * 2048 + ch) * 49 + p];
            pooled[ch] = s / 49;
          }
          for (let k = 0; k < 1000; k++) {
            let acc = head.bias?.[k] ?? 0;
            for (let ch = 0; ch < 2048; ch++) acc += head.weights[k * 2048 + ch] * pooled[ch];
            viaHead[n * 1000 + k] = acc;
          }
        }
        expect(maxAbsDiff(viaHead, L)).toBeLessThanOrEqual(TOL);
      }

      const text = readFileSync(join(d, 'model.card.json'), 'utf8');
      const { card, notes } = parseModelCard(text);
      expect(notes).toEqual([]);
      expect(card).toMatchObject({ inputName: 'input', inputSize: 224, logitsOutput: 'logits', featureOutput: 'features', opset: 17, ...c.card });
      expect(outputNames).toContain(card.logitsOutput);
      expect(outputNames).toContain(card.featureOutput);
      expect(card.labels).toHaveLength(1000);
      expect(card.labels?.[0]).toBe('n01440764');
      expect(card.labels?.[999]).toBe('n15075141');
      expect(card.outputs).toEqual(
        model.outputs.map((o) => expect.objectContaining({ name: o.name, role: o.name === 'cls_attention' ? 'other' : o.name, shape: ['N', ...(o.dims ?? []).slice(1)] })),
      );
      expect(card.exporter).toMatchObject({ name: 'shiftlens-export-onnx' });
      if (ref.argv.includes('--reported-top1')) {
        expect(card.reportedTop1).toBe(Number(ref.argv[ref.argv.indexOf('--reported-top1') + 1]));
        expect(typeof card.reportedTop1Source).toBe('string');
      }
      // What the app does with a card loaded beside a model: merged over the graph's proposal, no complaints.
      const merged = mergeCard(proposeCard(model, 'model.onnx'), text);
      expect(merged.notes).toEqual([]);
      expect(merged.card).toMatchObject({ logitsOutput: 'logits', featureOutput: 'features', inputName: 'input' });
    }, 120_000);
  }

  it('refuses what it cannot export faithfully, saying what to pass', async () => {
    const cli = join(TOOL, 'export_onnx.py');
    const out = join(dir, 'refused.onnx');
    const noLinear = await run([cli, join(dir, 'dino-resnet50/checkpoint.pth'), '--layout', 'dino-resnet50', '--out', out], 60_000);
    expect(noLinear.code).toBe(2);
    expect(noLinear.stderr).toMatch(/--linear/);
    const noMethod = await run([cli, join(dir, 'mmselfsup/simclr_linear.pth'), '--out', out], 60_000);
    expect(noMethod.code).toBe(2);
    expect(noMethod.stderr).toMatch(/layout: mmselfsup/);
    expect(noMethod.stderr).toMatch(/--method/);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('loads checkpoints with weights_only: a hostile pickle runs no code unless --trust-checkpoint is passed', async () => {
    const cli = join(TOOL, 'export_onnx.py');
    const marker = join(dir, 'hostile-ran');
    // A real torchvision state dict, plus an object whose unpickling calls open(marker, 'w'): code run at load time.
    // The second file starts with a plain float (as real checkpoints' best_acc), which PyTorch 1.13's weights_only
    // unpickler cannot read: the tool's fallback for that must refuse the payload too.
    const make = [
      'import sys, torch',
      'class Payload:',
      '    def __reduce__(self):',
      '        return (open, (sys.argv[3], "w"))',
      'sd = torch.load(sys.argv[1])',
      'torch.save({"state_dict": sd, "payload": Payload()}, sys.argv[2] + ".pth")',
      'torch.save({"best_acc1": 75.3, "state_dict": sd, "payload": Payload()}, sys.argv[2] + "-float.pth")',
      'torch.save({"best_acc1": 75.3, "state_dict": sd}, sys.argv[2] + "-plain.pth")',
    ].join('\n');
    const made = await run(['-c', make, join(dir, 'torchvision/resnet50.pth'), join(dir, 'hostile'), marker], 60_000);
    expect(made.code, made.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);

    const out = join(dir, 'hostile.onnx');
    for (const file of ['hostile.pth', 'hostile-float.pth']) {
      const refused = await run([cli, join(dir, file), '--layout', 'torchvision', '--out', out], 120_000);
      expect(refused.code, file).toBe(2);
      expect(existsSync(marker), `the payload of ${file} ran without --trust-checkpoint`).toBe(false);
      expect(refused.stderr).toMatch(/holds more than tensors \(Unsupported class io\.open\)/);
      expect(refused.stderr).toMatch(/--trust-checkpoint/);
      expect(existsSync(out)).toBe(false);
    }

    // A checkpoint of tensors and plain numbers needs no flag.
    const plain = await run([cli, join(dir, 'hostile-plain.pth'), '--layout', 'torchvision', '--out', join(dir, 'plain.onnx')], 240_000);
    expect(plain.code, plain.stderr).toBe(0);

    const trusted = await run([cli, join(dir, 'hostile.pth'), '--layout', 'torchvision', '--trust-checkpoint', '--out', out], 240_000);
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(existsSync(marker), 'full unpickling with --trust-checkpoint').toBe(true);
    expect(trusted.stderr).toMatch(/may run code/);
    expect(existsSync(out)).toBe(true);
  }, 600_000);
});
