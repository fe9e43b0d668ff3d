/**
 * Mean SSIM (Wang et al. 2004) as scikit-image 0.19 computes it with
 * `structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)`:
 * an 11-tap Gaussian window (σ 1.5, truncated at 3.5σ, normalised), population (co)variances, C1 = (0.01·255)²,
 * C2 = (0.03·255)², and the mean of the SSIM map without its 5-pixel border (the only pixels whose window lies inside
 * the image, so the border mode does not matter).
 *
 * Modes: 'rgb' is `channel_axis=-1` (SSIM per R, G, B channel, averaged); 'gray' compares the luminance
 * Y = 0.2125 R + 0.7154 G + 0.0721 B on the 0–255 scale, i.e. `skimage.color.rgb2gray(uint8 image) * 255`.
 */
import type { Image8 } from './corruptions/types';

export type SsimMode = 'gray' | 'rgb';

const SIGMA = 1.5;
const RADIUS = Math.trunc(3.5 * SIGMA + 0.5);
const WINDOW = (() => {
  const k = new Float64Array(2 * RADIUS + 1);
  let sum = 0;
  for (let i = -RADIUS; i <= RADIUS; i++) sum += k[i + RADIUS] = Math.exp((-0.5 * i * i) / (SIGMA * SIGMA));
  return k.map((v) => v / sum);
})();
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

function channelsOf(img: Image8): number {
  const c = img.channels ?? img.data.length / (img.width * img.height);
  if ((c !== 3 && c !== 4) || img.data.length !== img.width * img.height * c) {
    throw new Error(`expected an RGB or RGBA image, got ${img.data.length} values for ${img.width}×${img.height}`);
  }
  return c;
}

function planeOf(img: Image8, channels: number, pick: number | 'gray'): Float64Array {
  const n = img.width * img.height;
  const d = img.data;
  const out = new Float64Array(n);
  if (pick === 'gray') for (let i = 0, j = 0; i < n; i++, j += channels) out[i] = 0.2125 * d[j] + 0.7154 * d[j + 1] + 0.0721 * d[j + 2];
  else for (let i = 0, j = pick; i < n; i++, j += channels) out[i] = d[j];
  return out;
}

/**
 * Mean of the SSIM map over the interior pixels (rows and columns RADIUS … size−1−RADIUS). The five Gaussian-weighted
 * means (x, y, x², y², xy) are taken columns first (scipy filters axis 0 first), then rows, one output row at a time:
 * the same sums in the same order as five whole filtered planes, without their memory traffic.
 */
function planeSsim(x: Float64Array, y: Float64Array, w: number, h: number): number {
  const ih = h - 2 * RADIUS;
  const iw = w - 2 * RADIUS;
  const taps = WINDOW.length;
  const vx = new Float64Array(w);
  const vy = new Float64Array(w);
  const vxx = new Float64Array(w);
  const vyy = new Float64Array(w);
  const vxy = new Float64Array(w);
  let sum = 0;
  for (let r = 0; r < ih; r++) {
    vx.fill(0);
    vy.fill(0);
    vxx.fill(0);
    vyy.fill(0);
    vxy.fill(0);
    for (let t = 0; t < taps; t++) {
      const k = WINDOW[t];
      const s = (r + t) * w;
      for (let c = 0; c < w; c++) {
        const a = x[s + c];
        const b = y[s + c];
        vx[c] += k * a;
        vy[c] += k * b;
        vxx[c] += k * (a * a);
        vyy[c] += k * (b * b);
        vxy[c] += k * (a * b);
      }
    }
    for (let c = 0; c < iw; c++) {
      let mx = 0;
      let my = 0;
      let mxx = 0;
      let myy = 0;
      let mxy = 0;
      for (let t = 0; t < taps; t++) {
        const k = WINDOW[t];
        mx += k * vx[c + t];
        my += k * vy[c + t];
        mxx += k * vxx[c + t];
        myy += k * vyy[c + t];
        mxy += k * vxy[c + t];
      }
      const varX = mxx - mx * mx;
      const varY = myy - my * my;
      const cov = mxy - mx * my;
      sum += ((2 * mx * my + C1) * (2 * cov + C2)) / ((mx * mx + my * my + C1) * (varX + varY + C2));
    }
  }
  return sum / (ih * iw);
}

/** Mean SSIM of two 8-bit RGB(A) images of the same size (alpha ignored); see the module comment for the modes. */
export function ssim(a: Image8, b: Image8, opts: { mode?: SsimMode } = {}): number {
  const mode = opts.mode ?? 'rgb';
  if (a.width !== b.width || a.height !== b.height) throw new Error(`SSIM needs images of one size: ${a.width}×${a.height} vs ${b.width}×${b.height}`);
  const { width: w, height: h } = a;
  if (w < WINDOW.length || h < WINDOW.length) throw new Error(`SSIM needs images of at least ${WINDOW.length}×${WINDOW.length} pixels, got ${w}×${h}`);
  const ca = channelsOf(a);
  const cb = channelsOf(b);
  if (mode === 'gray') return planeSsim(planeOf(a, ca, 'gray'), planeOf(b, cb, 'gray'), w, h);
  let total = 0;
  for (let c = 0; c < 3; c++) total += planeSsim(planeOf(a, ca, c), planeOf(b, cb, c), w, h);
  return total / 3;
}
