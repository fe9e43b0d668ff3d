/**
 * fog (SPEC.md §2): a diamond-square plasma fractal (256×256 torus for images up to 256 px) added to the image,
 * then renormalised by max/(max + c₀). The reference map is float32 (SPEC.md); `fogWith(…, 'float64')` gives
 * the float64 map of the upstream source for comparison.
 */
import type { RandomState } from '../rng/numpy-random';
import { unitToByte } from './noise';

/** (c₀ strength, wibble decay) per severity. */
export const FOG_PARAMS: ReadonlyArray<readonly [number, number]> = [
  [1.5, 2],
  [2.0, 2],
  [2.5, 1.7],
  [2.5, 1.5],
  [3.0, 1.4],
];

export type MapPrecision = 'float32' | 'float64';

/** `plasma_fractal(mapsize, wibbledecay)`, normalised to [0, 1]; row-major `mapsize²`. */
export function plasmaFractal(mapsize: number, wibbledecay: number, rs: RandomState, precision: MapPrecision = 'float32'): Float32Array | Float64Array {
  if (mapsize < 1 || (mapsize & (mapsize - 1)) !== 0) throw new RangeError('mapsize must be a power of two');
  const f32 = precision === 'float32';
  const r: (v: number) => number = f32 ? Math.fround : (v) => v;
  const map = f32 ? new Float32Array(mapsize * mapsize) : new Float64Array(mapsize * mapsize);
  map[0] = 0;
  let step = mapsize;
  let wibble = 100;
  const at = (y: number, x: number) => y * mapsize + x;
  while (step >= 2) {
    const n = mapsize / step;
    const hs = step / 2;
    const noiseArray = (): Float64Array => rs.uniform(-wibble, wibble, n * n);
    // squares
    {
      const acc = new Float64Array(n * n);
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) acc[a * n + b] = r(map[at(a * step, b * step)] + map[at(((a + 1) % n) * step, b * step)]);
      const acc2 = new Float64Array(n * n);
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) acc2[a * n + b] = r(acc[a * n + b] + acc[a * n + ((b + 1) % n)]);
      const u = noiseArray();
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) map[at(hs + a * step, hs + b * step)] = r(acc2[a * n + b] / 4) + wibble * u[a * n + b];
    }
    // diamonds
    {
      const dr = (a: number, b: number) => map[at(hs + a * step, hs + b * step)];
      const ul = (a: number, b: number) => map[at(a * step, b * step)];
      const lt = new Float64Array(n * n);
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) {
          const ldr = r(dr(a, b) + dr((a - 1 + n) % n, b));
          const lul = r(ul(a, b) + ul(a, (b + 1) % n));
          lt[a * n + b] = r(ldr + lul);
        }
      const u1 = noiseArray();
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) map[at(a * step, hs + b * step)] = r(lt[a * n + b] / 4) + wibble * u1[a * n + b];
      const tt = new Float64Array(n * n);
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) {
          const tdr = r(dr(a, b) + dr(a, (b - 1 + n) % n));
          const tul = r(ul(a, b) + ul((a + 1) % n, b));
          tt[a * n + b] = r(tdr + tul);
        }
      const u2 = noiseArray();
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) map[at(hs + a * step, b * step)] = r(tt[a * n + b] / 4) + wibble * u2[a * n + b];
    }
    step = step / 2;
    wibble /= wibbledecay;
  }
  let min = Infinity;
  for (let i = 0; i < map.length; i++) if (map[i] < min) min = map[i];
  let max = -Infinity;
  for (let i = 0; i < map.length; i++) {
    map[i] = map[i] - min;
    if (map[i] > max) max = map[i];
  }
  for (let i = 0; i < map.length; i++) map[i] = map[i] / max;
  return map;
}

function nextPowerOf2(x: number): number {
  return x === 0 ? 1 : 2 ** Math.ceil(Math.log2(x));
}

export function fogWith(rgb: Uint8Array, width: number, height: number, severity: number, rs: RandomState, precision: MapPrecision): Uint8Array {
  const [c0, decay] = FOG_PARAMS[severity - 1];
  const mapsize = nextPowerOf2(Math.max(width, height, 3));
  let maxByte = 0;
  for (let i = 0; i < rgb.length; i++) if (rgb[i] > maxByte) maxByte = rgb[i];
  const maxVal = maxByte / 255;
  const map = plasmaFractal(mapsize, decay, rs, precision);
  const denom = maxVal + c0;
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const m = precision === 'float32' ? Math.fround(c0 * map[y * mapsize + x]) : c0 * map[y * mapsize + x];
      for (let ch = 0; ch < 3; ch++) {
        const i = (y * width + x) * 3 + ch;
        const v = rgb[i] / 255 + m;
        out[i] = unitToByte((v * maxVal) / denom);
      }
    }
  }
  return out;
}

export function fog(rgb: Uint8Array, width: number, height: number, severity: number, rs: RandomState): Uint8Array {
  return fogWith(rgb, width, height, severity, rs, 'float32');
}
