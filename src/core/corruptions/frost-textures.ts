import type { Image8 } from './types';

/** Height × width of the six ImageNet-C frost textures after the reference's 1.1× rescale, frost1…frost6. */
export const FROST_TEXTURE_SIZES: readonly [number, number][] = [
  [660, 991],
  [347, 616],
  [347, 616],
  [386, 580],
  [545, 727],
  [356, 534],
];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Frost textures of our own (the official ones are third-party data and are not shipped): fractal value noise
 * for the hazy ice, plus thin bright crystal needles, in pale blue-white, at the official textures' sizes so
 * that the same random crops apply. Frost made with these is frost-like, not ImageNet-C's frost: load the
 * official textures for numbers comparable with published ones.
 */
export function proceduralFrostTextures(seed = 2019): Image8[] {
  return FROST_TEXTURE_SIZES.map(([h, w], t) => {
    const rand = mulberry32(seed + 7919 * t);
    const ice = new Float32Array(h * w);
    // Fractal value noise: 5 octaves of bilinearly interpolated random lattices.
    for (let octave = 0, cell = 96, amp = 1; octave < 5; octave++, cell /= 2, amp *= 0.55) {
      const gw = Math.ceil(w / cell) + 2;
      const gh = Math.ceil(h / cell) + 2;
      const grid = Float32Array.from({ length: gw * gh }, rand);
      for (let y = 0; y < h; y++) {
        const gy = y / cell;
        const y0 = Math.floor(gy);
        const fy = gy - y0;
        for (let x = 0; x < w; x++) {
          const gx = x / cell;
          const x0 = Math.floor(gx);
          const fx = gx - x0;
          const a = grid[y0 * gw + x0] * (1 - fx) + grid[y0 * gw + x0 + 1] * fx;
          const b = grid[(y0 + 1) * gw + x0] * (1 - fx) + grid[(y0 + 1) * gw + x0 + 1] * fx;
          ice[y * w + x] += amp * (a * (1 - fy) + b * fy);
        }
      }
    }
    // Crystal needles: short bright strokes in random directions.
    const needles = Math.round((h * w) / 900);
    for (let n = 0; n < needles; n++) {
      let x = rand() * w;
      let y = rand() * h;
      const angle = rand() * Math.PI * 2;
      const len = 6 + rand() * 40;
      const bright = 0.4 + rand() * 0.8;
      for (let s = 0; s < len; s++, x += Math.cos(angle), y += Math.sin(angle)) {
        const xi = Math.round(x);
        const yi = Math.round(y);
        if (xi >= 0 && xi < w && yi >= 0 && yi < h) ice[yi * w + xi] += bright * (1 - s / len);
      }
    }
    let max = 0;
    for (const v of ice) max = Math.max(max, v);
    const data = new Uint8Array(h * w * 3);
    for (let i = 0; i < h * w; i++) {
      const v = Math.min(1, ice[i] / max) ** 1.6;
      data[i * 3] = Math.round(255 * (0.1 + 0.8 * v));
      data[i * 3 + 1] = Math.round(255 * (0.12 + 0.85 * v));
      data[i * 3 + 2] = Math.round(255 * (0.18 + 0.82 * v));
    }
    return { width: w, height: h, data, channels: 3 as const };
  });
}
