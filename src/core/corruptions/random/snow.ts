/**
 * snow (SPEC.md §2): a normal flake layer, zoomed (order 1, not trimmed), thresholded, motion-blurred along a
 * drawn angle in [−135°, −45°), rounded to uint8, then added twice (as drawn and rotated 180°) to a whitened
 * float32 image. Draws: the layer's H×W normals, then the angle.
 */
import type { RandomState } from '../rng/numpy-random';
import { zoomOrder1 } from './ndimage';
import { motionTaps, shiftedSum } from '../shifted-sum';
import { roundHalfEven } from '../../round-half-even';

/** (μ, σ, zoom, threshold, blur radius, blur σ, blend) per severity. */
export const SNOW_PARAMS: ReadonlyArray<readonly [number, number, number, number, number, number, number]> = [
  [0.1, 0.3, 3, 0.5, 10, 4, 0.8],
  [0.2, 0.3, 2, 0.5, 12, 4, 0.7],
  [0.55, 0.3, 4, 0.9, 12, 8, 0.7],
  [0.55, 0.3, 4.5, 0.85, 12, 8, 0.65],
  [0.55, 0.3, 2.5, 0.85, 12, 12, 0.55],
];

/**
 * Motion-blur weights `k_i = exp(−i²/(2σ²))/(√(2π)σ)` normalised, exactly as the reference computed them
 * (float64, from `tables/motion_blur_kernels.json` of the corruption reference), keyed `radius|sigma`.
 */
const MOTION_WEIGHTS: Record<string, number[]> = {
  '10|4': [0.1813810482501223, 0.1758005400681759, 0.16006821326827997, 0.13691359826947125, 0.11001316685451566, 0.08304229508201286, 0.05888580484644609, 0.039226402659592534, 0.02454725553868401, 0.01443058708957688, 0.007969327077509681, 0.004134432422672507, 0.00201496143711337, 0.0009225165685937771, 0.00039676943205384387, 0.0001603093420229137, 6.084656309769831e-05, 2.1695510208146044e-05, 7.267085639586357e-06, 2.286689952412605e-06, 6.759442588162728e-07],
  '12|4': [0.18138100264548648, 0.1758004958666472, 0.1600681730223301, 0.1369135638452861, 0.11001313919390582, 0.08304227420268913, 0.058885790040788547, 0.03922639279689836, 0.024547249366767703, 0.01443058346129446, 0.007969325073781824, 0.004134431383152189, 0.0020149609304916283, 0.0009225163366454421, 0.0003967693322941081, 0.00016030930171633686, 6.0846547799047334e-05, 2.1695504753244052e-05, 7.267083812423061e-06, 2.2866893774701647e-06, 6.759440888636121e-07, 1.877028944029224e-07, 4.896522556601854e-08, 1.1999444581487312e-08, 2.762428996366427e-09],
  '12|8': [0.09519592396701436, 0.09445510340932992, 0.09226705329551348, 0.08873235799212217, 0.08401010803956882, 0.07830603108707529, 0.07185765335823693, 0.06491797990032504, 0.05773924656566691, 0.05055817358178687, 0.043583869896773174, 0.036989149963432486, 0.030905591598349075, 0.02542224620145863, 0.020587562378251628, 0.01641383579845884, 0.012883367333046934, 0.00995549465525408, 0.007573740942793419, 0.005672469866264276, 0.004182616992557649, 0.0030362543238475416, 0.0021699131102867336, 0.001526724552781352, 0.0010575311898043407],
  '12|12': [0.06701853918449438, 0.06678623945496871, 0.06609416029752938, 0.06495659550366709, 0.06339682173387154, 0.06144630658464051, 0.059143653246060614, 0.056533331172799496, 0.05366425101387036, 0.05058824744390843, 0.04735853529926282, 0.04402820258701132, 0.04064879878454834, 0.03726906886968674, 0.033933873364835845, 0.030683323095859718, 0.027552145150583175, 0.024569284448636024, 0.02175773410499834, 0.01913457796810182, 0.01671122077468145, 0.014493775557430014, 0.012483574370238304, 0.010677767005678032, 0.009069972982637571],
};

function motionWeights(radius: number, sigma: number): Float64Array {
  const hit = MOTION_WEIGHTS[`${radius}|${sigma}`];
  if (hit) return Float64Array.from(hit);
  const width = 2 * radius + 1;
  const k = new Float64Array(width);
  let sum = 0;
  for (let i = 0; i < width; i++) {
    k[i] = Math.exp(-(i * i) / (2 * (sigma * sigma))) / (Math.sqrt(2 * Math.PI) * sigma);
    sum += k[i];
  }
  for (let i = 0; i < width; i++) k[i] /= sum;
  return k;
}

/**
 * imagecorruptions' `_motion_blur` on a 2-D float64 layer (h×w): Σ_i k_i · shift(layer, dx_i, dy_i), shifts with
 * edge replication, accumulated in float64 in kernel order.
 */
export function motionBlurLayer(src: Float64Array, h: number, w: number, radius: number, sigma: number, angleDeg: number): Float64Array {
  return shiftedSum(src, w, h, 1, motionTaps(motionWeights(radius, sigma), angleDeg, w, h));
}

const R2Y = Math.fround(0.299);
const G2Y = Math.fround(0.587);
const B2Y = Math.fround(0.114);

/**
 * `cv2.cvtColor(x32, COLOR_RGB2GRAY)` for one float32 pixel as the reference's OpenCV 4.6 SIMD path computes it:
 * `fma(B, 0.114f, fma(G, 0.587f, R·0.299f))` in float32 (a product of two float32 is exact in float64, so
 * `fround(a·b + c)` is the fused result up to a double rounding that is practically never hit). This order
 * reproduces all 250 reference snow outputs' statistics to stats.json's 6 digits; the plain sum
 * `(0.299R + 0.587G) + 0.114B` leaves 5 of 50 images at severity 1 a few values off.
 */
export function grayF32(r: number, g: number, b: number): number {
  const inner = Math.fround(g * G2Y + Math.fround(r * R2Y));
  return Math.fround(b * B2Y + inner);
}

export interface SnowDetails {
  /** Out: the drawn angle (the `angle_deg` of params.json). */
  angleDeg?: number;
}

export function snowWith(
  rgb: Uint8Array,
  width: number,
  height: number,
  severity: number,
  rs: RandomState,
  details?: SnowDetails,
): Uint8Array {
  const [mu, sd, zoom, thr, radius, blurSigma, blend] = SNOW_PARAMS[severity - 1];
  const n = width * height;
  // 1. N(μ, σ) of size H×W
  const layer = rs.normal(mu, sd, n);
  // 2. clipped_zoom: centre crop of ceil(size/z), zoomed with order 1 to round(crop·z) (not trimmed)
  const ch0 = Math.ceil(height / zoom);
  const ch1 = Math.ceil(width / zoom);
  const top0 = Math.floor((height - ch0) / 2);
  const top1 = Math.floor((width - ch1) / 2);
  const crop = new Float64Array(ch0 * ch1);
  for (let y = 0; y < ch0; y++) for (let x = 0; x < ch1; x++) crop[y * ch1 + x] = layer[(top0 + y) * width + top1 + x];
  const zh = roundHalfEven(ch0 * zoom);
  const zw = roundHalfEven(ch1 * zoom);
  const zoomed = zoomOrder1(crop, ch0, ch1, zh, zw);
  // 3. values < thr → 0, then clip to [0, 1]
  for (let i = 0; i < zoomed.length; i++) {
    const v = zoomed[i];
    zoomed[i] = v < thr ? 0 : v > 1 ? 1 : v;
  }
  // 4. motion blur along θ = uniform(−135, −45)
  const angle = rs.uniform(-135, -45);
  if (details) details.angleDeg = angle;
  const blurred = motionBlurLayer(zoomed, zh, zw, radius, blurSigma, angle);
  // 5. L = round(layer·255) as uint8, /255, cropped to [:H, :W]
  const L = new Float64Array(n);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const v = roundHalfEven(blurred[y * zw + x] * 255);
      L[y * width + x] = (v < 0 ? 0 : v > 255 ? 255 : v) / 255;
    }
  // 6.–8. whitening in float32, then clip(x + L + rot180(L))
  const b32 = Math.fround(blend);
  const ob32 = Math.fround(1 - blend);
  const out = new Uint8Array(n * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const r = Math.fround(rgb[3 * p] / 255);
      const g = Math.fround(rgb[3 * p + 1] / 255);
      const b = Math.fround(rgb[3 * p + 2] / 255);
      const lift = Math.fround(Math.fround(grayF32(r, g, b) * 1.5) + 0.5);
      const flakes = L[p];
      const flakesRot = L[(height - 1 - y) * width + (width - 1 - x)];
      const vals = [r, g, b];
      for (let c = 0; c < 3; c++) {
        const xc = vals[c];
        const mixed = Math.fround(Math.fround(b32 * xc) + Math.fround(ob32 * (xc > lift ? xc : lift)));
        const v = mixed + flakes + flakesRot;
        out[3 * p + c] = v <= 0 ? 0 : v >= 1 ? 255 : Math.trunc(v * 255);
      }
    }
  }
  return out;
}

export function snow(rgb: Uint8Array, width: number, height: number, severity: number, rs: RandomState): Uint8Array {
  return snowWith(rgb, width, height, severity, rs);
}
