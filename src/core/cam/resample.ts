/**
 * Bilinear resize of one H×W plane as cv2.resize(src, (outW, outH), interpolation=cv2.INTER_LINEAR) does it for
 * float input: half-pixel centres, src = (dst + 0.5)·(in/out) − 0.5, then x0 = floor(src), weight = src − x0;
 * a source index below 0 is clamped to 0 with weight 0 and one at or past the last pixel to the last pixel with
 * weight 0 (edge replication). This is how pytorch-grad-cam's scale_cam_image brings a CAM to the input size.
 */
export function upsampleBilinear(cam: Float32Array, h: number, w: number, outH: number, outW: number): Float32Array {
  checkPlane(cam, h, w, outH, outW);
  const ys = cv2Taps(h, outH);
  const xs = cv2Taps(w, outW);
  return separable(cam, w, outH, outW, ys, xs);
}

/**
 * Bilinear resize with align_corners=True: src = dst·(in − 1)/(out − 1) (0 when out = 1) — torch's
 * nn.UpsamplingBilinear2d, which pytorch-grad-cam's ScoreCAM uses to bring each activation map to the input size.
 */
export function upsampleBilinearAlignCorners(cam: Float32Array, h: number, w: number, outH: number, outW: number): Float32Array {
  checkPlane(cam, h, w, outH, outW);
  return separable(cam, w, outH, outW, alignCornerTaps(h, outH), alignCornerTaps(w, outW));
}

interface Taps {
  i0: Int32Array;
  i1: Int32Array;
  f: Float64Array; // weight of i1; i0 gets 1 − f
}

function cv2Taps(n: number, out: number): Taps {
  const scale = n / out;
  const t: Taps = { i0: new Int32Array(out), i1: new Int32Array(out), f: new Float64Array(out) };
  for (let d = 0; d < out; d++) {
    const src = (d + 0.5) * scale - 0.5;
    let s = Math.floor(src);
    let f = src - s;
    if (s < 0) {
      s = 0;
      f = 0;
    }
    if (s >= n - 1) {
      s = n - 1;
      f = 0;
    }
    t.i0[d] = s;
    t.i1[d] = Math.min(s + 1, n - 1);
    t.f[d] = f;
  }
  return t;
}

function alignCornerTaps(n: number, out: number): Taps {
  const scale = out > 1 ? (n - 1) / (out - 1) : 0;
  const t: Taps = { i0: new Int32Array(out), i1: new Int32Array(out), f: new Float64Array(out) };
  for (let d = 0; d < out; d++) {
    const src = scale * d;
    const s = Math.min(Math.floor(src), n - 1);
    t.i0[d] = s;
    t.i1[d] = Math.min(s + 1, n - 1);
    t.f[d] = s < n - 1 ? src - s : 0;
  }
  return t;
}

function separable(src: Float32Array, w: number, outH: number, outW: number, ys: Taps, xs: Taps): Float32Array {
  const out = new Float32Array(outH * outW);
  for (let dy = 0; dy < outH; dy++) {
    const r0 = ys.i0[dy] * w;
    const r1 = ys.i1[dy] * w;
    const fy = ys.f[dy];
    for (let dx = 0; dx < outW; dx++) {
      const x0 = xs.i0[dx];
      const x1 = xs.i1[dx];
      const fx = xs.f[dx];
      const top = src[r0 + x0] * (1 - fx) + src[r0 + x1] * fx;
      const bottom = src[r1 + x0] * (1 - fx) + src[r1 + x1] * fx;
      out[dy * outW + dx] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

function checkPlane(cam: Float32Array, h: number, w: number, outH: number, outW: number): void {
  if (![h, w, outH, outW].every((v) => Number.isInteger(v) && v > 0)) throw new Error(`bad sizes ${h}×${w} → ${outH}×${outW}`);
  if (cam.length !== h * w) throw new Error(`plane has ${cam.length} values, expected ${h}×${w}`);
}
