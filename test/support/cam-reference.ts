/**
 * An independent reference for Grad-CAM on the fixture models, written with plain loops and sharing no code
 * with src/core/cam: PNG decoding, ImageNet normalisation, head weights from the fixture .bin files, and
 * Grad-CAM from its definition (gradient of the logit w.r.t. the feature map, averaged per channel).
 * Used by test/core/cam and by the end-to-end tests that check the app's exported CAMs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePngBytes, type DecodedPng } from './png';
import { fixture } from './fixtures';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

export interface DecodedImage extends DecodedPng {
  /** The pixels as RGBA (alpha 255 for RGB files), row-major. */
  rgba: Uint8Array;
}

/** Reads and decodes an 8-bit RGB/RGBA non-interlaced PNG file. */
export function decodePng(path: string): DecodedImage {
  const png = decodePngBytes(new Uint8Array(readFileSync(path)));
  const n = png.width * png.height;
  const rgba = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) rgba[4 * i + c] = png.data[png.channels * i + c];
    rgba[4 * i + 3] = png.channels === 4 ? png.data[4 * i + 3] : 255;
  }
  return { ...png, rgba };
}

/**
 * RGBA pixels → planar float32 CHW, x = (v/255 − mean[c]) / std[c] (computed in float64, stored as float32),
 * written at `offset` of `out` when given (to fill a batch).
 */
export function normalizedInput(
  rgba: Uint8Array,
  width: number,
  height: number,
  mean: readonly number[] = IMAGENET_MEAN,
  std: readonly number[] = IMAGENET_STD,
  out = new Float32Array(3 * width * height),
  offset = 0,
): Float32Array {
  const plane = width * height;
  if (rgba.length !== 4 * plane) throw new Error(`expected ${4 * plane} RGBA bytes, got ${rgba.length}`);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      for (let c = 0; c < 3; c++) out[offset + c * plane + p] = (rgba[4 * p + c] / 255 - mean[c]) / std[c];
    }
  }
  return out;
}

export interface Head {
  classes: number;
  channels: number;
  /** W[c][k] at c·channels + k. */
  weights: Float32Array;
  bias: Float32Array;
}

/** A fixture head file: little-endian float32 W[classes][channels] row-major, then bias[classes]. */
export function loadHead(binPath: string, classes: number, channels: number): Head {
  const buf = readFileSync(binPath);
  const expected = 4 * (classes * channels + classes);
  if (buf.length !== expected) throw new Error(`${binPath}: ${buf.length} bytes, expected ${expected}`);
  const all = new Float32Array(classes * channels + classes);
  for (let i = 0; i < all.length; i++) all[i] = buf.readFloatLE(4 * i);
  return { classes, channels, weights: all.subarray(0, classes * channels), bias: all.subarray(classes * channels) };
}

/**
 * 'gap-linear': features → global average pool → linear (logit = b + Σ_k W_k·mean A_k).
 * 'conv-relu-gap': features → 1×1 conv → ReLU → global average pool (logit = mean ReLU(Σ_k W_k A_k + b)).
 */
export type HeadKind = 'gap-linear' | 'conv-relu-gap';

/**
 * Grad-CAM of class `cls` for one image's feature map (CHW, starting at `offset`), from the definition:
 * g_k(y,x) = ∂logit/∂A_k(y,x) written out for the head, α_k = mean_{y,x} g_k(y,x), CAM = ReLU(Σ_k α_k A_k).
 * Float64, H×W row-major, with all constant factors kept (not normalised).
 */
export function referenceGradCam(
  features: Float32Array,
  channels: number,
  height: number,
  width: number,
  head: Head,
  cls: number,
  kind: HeadKind,
  offset = 0,
): Float64Array {
  const hw = height * width;
  const A = (k: number, p: number) => features[offset + k * hw + p];
  const w = (k: number) => head.weights[cls * head.channels + k];
  const b = head.bias[cls];
  // Which positions pass the head's ReLU (every position for a linear head).
  const open = new Array<boolean>(hw).fill(true);
  if (kind === 'conv-relu-gap') {
    for (let p = 0; p < hw; p++) {
      let z = b;
      for (let k = 0; k < channels; k++) z += w(k) * A(k, p);
      open[p] = z > 0;
    }
  }
  const alpha = new Float64Array(channels);
  for (let k = 0; k < channels; k++) {
    let sum = 0;
    for (let p = 0; p < hw; p++) {
      const grad = open[p] ? w(k) / hw : 0; // ∂(mean over positions)/∂A_k(p), through the ReLU if any
      sum += grad;
    }
    alpha[k] = sum / hw;
  }
  const cam = new Float64Array(hw);
  for (let p = 0; p < hw; p++) {
    let s = 0;
    for (let k = 0; k < channels; k++) s += alpha[k] * A(k, p);
    cam[p] = Math.max(0, s);
  }
  return cam;
}

/** scale_cam_image's normalisation, in float64: (x − min) / (1e-7 + max(x − min)). */
export function referenceNormalize(cam: ArrayLike<number>): Float64Array {
  let min = Infinity;
  for (let i = 0; i < cam.length; i++) min = Math.min(min, cam[i]);
  let max = -Infinity;
  for (let i = 0; i < cam.length; i++) max = Math.max(max, cam[i] - min);
  const out = new Float64Array(cam.length);
  for (let i = 0; i < cam.length; i++) out[i] = (cam[i] - min) / (1e-7 + max);
  return out;
}

/** Pearson correlation; NaN for a constant input. */
export function referencePearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i];
    sb += b[i];
  }
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    cov += (a[i] - ma) * (b[i] - mb);
    va += (a[i] - ma) ** 2;
    vb += (b[i] - mb) ** 2;
  }
  return cov / Math.sqrt(va * vb);
}

/** Index of the largest value, the first on ties. */
export function referenceArgmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** wnid → class index: the position of the wnid in labels/imagenet_class_index.json (sorted wnid order). */
export function imagenetClassIndex(): Map<string, number> {
  const json = JSON.parse(readFileSync(fixture('labels', 'imagenet_class_index.json'), 'utf8')) as Record<string, [string, string]>;
  const map = new Map<string, number>();
  for (const [index, [wnid]] of Object.entries(json)) map.set(wnid, Number(index));
  return map;
}

export interface CleanImage {
  path: string;
  wnid: string;
  stem: string;
}

/** The first `count` clean crops corruption-reference/clean/<wnid>/<stem>.png, sorted by wnid/stem. */
export function cleanImages(count = 20): CleanImage[] {
  const root = fixture('corruption-reference', 'clean');
  const all: CleanImage[] = [];
  for (const wnid of readdirSync(root)) {
    for (const file of readdirSync(join(root, wnid))) {
      if (file.endsWith('.png')) all.push({ path: join(root, wnid, file), wnid, stem: file.slice(0, -4) });
    }
  }
  all.sort((a, b) => (`${a.wnid}/${a.stem}` < `${b.wnid}/${b.stem}` ? -1 : 1));
  return all.slice(0, count);
}

/** The two fixture models with a feature-map output, and their heads. */
export const CAM_FIXTURE_MODELS = {
  mobilenetv2: {
    onnx: fixture('models', 'mobilenetv2-12-int8.gradcam.onnx'),
    head: fixture('models', 'mobilenetv2-12-int8.classifier_f32_1000x1280_plus_bias1000.bin'),
    kind: 'gap-linear' as HeadKind,
    logits: 'output',
    features: 'features',
    channels: 1280,
    grid: 7,
    predictions: fixture('reference', 'mobilenetv2-12-int8-predictions.jsonl'),
  },
  squeezenet: {
    onnx: fixture('models', 'squeezenet1.1-caffe2.fp32.gradcam.onnx'),
    head: fixture('models', 'squeezenet1.1-caffe2.conv10_f32_1000x512_plus_bias1000.bin'),
    kind: 'conv-relu-gap' as HeadKind,
    logits: 'logits',
    features: 'features',
    channels: 512,
    grid: 13,
    predictions: fixture('reference', 'squeezenet1.1-caffe2-fp32-predictions.jsonl'),
  },
} as const;

export interface ReferencePrediction {
  path: string;
  label: number;
  top5: number[];
  logits_top5: number[];
}

/** The reference predictions of a model, keyed by fixture-relative path. */
export function referencePredictions(jsonlPath: string): Map<string, ReferencePrediction> {
  const map = new Map<string, ReferencePrediction>();
  for (const line of readFileSync(jsonlPath, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as ReferencePrediction;
    map.set(r.path, r);
  }
  return map;
}

/** Cyclic Jacobi eigen-decomposition of a symmetric n×n matrix (row-major); returns eigenvalues and column eigenvectors. */
export function jacobiEigen(input: number[][]): { values: number[]; vectors: number[][] } {
  const n = input.length;
  const a = input.map((r) => r.slice());
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((r, i) => r[i]), vectors: v };
}

/**
 * Eigen-CAM of one image's feature map (CHW at `offset`), by Jacobi on the HW×HW Gram matrix of the
 * per-channel-centred activations: projection = √λ₁·u₁ (= Xc·V[0]), sign chosen so that it correlates
 * positively with the centred channel sum (⇔ Σ_k V[0]_k ≥ 0), then ReLU. Float64, H×W, not normalised.
 */
export function referenceEigenCam(features: Float32Array, channels: number, height: number, width: number, offset = 0): Float64Array {
  const hw = height * width;
  const xc: number[][] = [];
  for (let k = 0; k < channels; k++) {
    const row: number[] = [];
    for (let p = 0; p < hw; p++) {
      const v = features[offset + k * hw + p];
      row.push(Number.isNaN(v) ? 0 : v);
    }
    const mean = row.reduce((s, v) => s + v, 0) / hw;
    xc.push(row.map((v) => v - mean));
  }
  const gram = Array.from({ length: hw }, (_, i) => Array.from({ length: hw }, (_, j) => xc.reduce((s, row) => s + row[i] * row[j], 0)));
  const { values, vectors } = jacobiEigen(gram);
  let top = 0;
  for (let i = 1; i < hw; i++) if (values[i] > values[top]) top = i;
  const sigma = Math.sqrt(Math.max(0, values[top]));
  const proj = vectors.map((row) => sigma * row[top]);
  const channelSum = Array.from({ length: hw }, (_, p) => xc.reduce((s, row) => s + row[p], 0));
  const sign = proj.reduce((s, v, p) => s + v * channelSum[p], 0) < 0 ? -1 : 1;
  return Float64Array.from(proj, (v) => Math.max(0, sign * v));
}
