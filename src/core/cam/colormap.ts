import { roundHalfEven } from '../round-half-even';

export type CamColormap = 'jet' | 'viridis';

/**
 * cv2.COLORMAP_JET as an RGB lookup table. OpenCV's jet (GNU Octave's) is a 256-entry float32 table,
 * r = clamp(min(4x − 1.5, 4.5 − 4x)), g = clamp(min(4x − 0.5, 3.5 − 4x)), b = clamp(min(4x + 0.5, 2.5 − 4x)) at
 * x = i/255, which ColorMap::linear_colormap re-samples at the same 256 points (interp1, in float32) and
 * converts with convertTo(CV_8U, 255) (float32 product, round half to even). Every ramp entry is an exact .5
 * tie in real arithmetic, so the float32 steps decide the level; they are emulated here step by step
 * (Math.fround), which is why this is not a plain Math.round of the formula. Entry 0 is dark blue (0, 0, 128),
 * entry 255 dark red (128, 0, 0).
 */
function jetLut(): Uint8Array {
  const f = Math.fround;
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const table = [
    (x: number) => clamp(Math.min(4 * x - 1.5, 4.5 - 4 * x)),
    (x: number) => clamp(Math.min(4 * x - 0.5, 3.5 - 4 * x)),
    (x: number) => clamp(Math.min(4 * x + 0.5, 2.5 - 4 * x)),
  ].map((fn) => Array.from({ length: 256 }, (_, i) => f(fn(i / 255))));
  // linspace(0, 1, 256) in float32: x0 + i·step with step = (x1 − x0)/(n − 1).
  const step = f(1 / 255);
  const xs = Array.from({ length: 256 }, (_, i) => f(f(i * step) + 0));
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    // interp1 at xi = xs[i]: its binary search ends with low = i − 1, high = i (low = 0, high = 1 for i = 0).
    const lo = Math.max(0, i - 1);
    const hi = Math.max(1, i);
    for (let c = 0; c < 3; c++) {
      const y = table[c];
      const v = f(y[lo] + f(f(f(xs[i] - xs[lo]) * f(y[hi] - y[lo])) / f(xs[hi] - xs[lo])));
      lut[i * 3 + c] = Math.min(255, Math.max(0, roundHalfEven(f(v * 255))));
    }
  }
  return lut;
}

/** cv2.COLORMAP_VIRIDIS (matplotlib's viridis, OpenCV's 256 float entries ×255 rounded), RGB hex triplets. */
const VIRIDIS_HEX =
  '44015444025645045745055946075a46085c460a5d460b5e470d60470e6147106347116447136548146748166848176948186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f854240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f881fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad8128ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc743fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc8635ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21ad8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725';

function viridisLut(): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < lut.length; i++) lut[i] = parseInt(VIRIDIS_HEX.slice(2 * i, 2 * i + 2), 16);
  return lut;
}

const luts: Partial<Record<CamColormap, Uint8Array>> = {};

/** The 256×RGB lookup table of a colormap (index i·3 + channel). */
export function colormapLut(name: CamColormap): Uint8Array {
  const cached = luts[name];
  if (cached) return cached;
  const lut = name === 'jet' ? jetLut() : name === 'viridis' ? viridisLut() : null;
  if (!lut) throw new Error(`unknown colormap ${String(name)}`);
  luts[name] = lut;
  return lut;
}

/**
 * An RGBA overlay of a normalised CAM over an RGBA image of the same size: the CAM value v ∈ [0, 1] picks
 * colormap entry floor(255·v) (np.uint8(255·mask), as pytorch-grad-cam's show_cam_on_image; NaN → 0), and each
 * pixel is (1 − opacity)·pixel + opacity·colour, rounded, alpha 255. (show_cam_on_image's extra division of the
 * whole blend by its maximum is left out: it brightens dark images and changes with the image content.)
 */
export function overlayRgba(
  pixels: Uint8Array | Uint8ClampedArray,
  cam01: Float32Array,
  opacity: number,
  colormap: CamColormap,
): Uint8ClampedArray {
  const n = cam01.length;
  if (pixels.length !== 4 * n) throw new Error(`overlay: ${pixels.length} RGBA bytes for a map of ${n} values`);
  const a = Math.min(1, Math.max(0, Number.isFinite(opacity) ? opacity : 0));
  const lut = colormapLut(colormap);
  const out = new Uint8ClampedArray(4 * n);
  for (let i = 0; i < n; i++) {
    const v = cam01[i];
    const idx = v > 0 ? Math.min(255, Math.floor(255 * v)) : 0;
    for (let c = 0; c < 3; c++) out[4 * i + c] = Math.round((1 - a) * pixels[4 * i + c] + a * lut[idx * 3 + c]);
    out[4 * i + 3] = 255;
  }
  return out;
}
