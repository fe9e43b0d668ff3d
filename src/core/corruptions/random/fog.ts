/**
 * fog (SPEC.md §2): a diamond-square plasma fractal (256×256 torus for images up to 256 px) added to the image,
 * then renormalised by max/(max + c₀). The reference map is float32 (SPEC.md); `fogWith(…, 'float64')` gives
 * the float64 map of the upstream source for comparison.
 */
import type { RandomState } from '../rng/numpy-random';
import * as noise from './noise';

// A module-local copy: test and bench transforms turn imported bindings into getter calls, which would sit in the
// per-value loop.
const unitToByte = noise.unitToByte;

/** (c₀ strength, wibble decay) per severity. */
export const FOG_PARAMS: ReadonlyArray<readonly [number, number]> = [
  [1.5, 2],
  [2.0, 2],
  [2.5, 1.7],
  [2.5, 1.5],
  [3.0, 1.4],
];

export type MapPrecision = 'float32' | 'float64';

/**
 * `plasma_fractal(mapsize, wibbledecay)`, normalised to [0, 1]; row-major `mapsize²`. Each step's three
 * `uniform(-wibble, wibble, n²)` arrays are drawn in C order while the values they perturb are computed (every
 * written point is read by no other point of the same stage), so no intermediate arrays are needed.
 */
export function plasmaFractal(mapsize: number, wibbledecay: number, rs: RandomState, precision: MapPrecision = 'float32'): Float32Array | Float64Array {
  if (mapsize < 1 || (mapsize & (mapsize - 1)) !== 0) throw new RangeError('mapsize must be a power of two');
  return precision === 'float32' ? plasma(new Float32Array(mapsize * mapsize), mapsize, wibbledecay, rs, Math.fround) : plasma(new Float64Array(mapsize * mapsize), mapsize, wibbledecay, rs, same);
}

function same(v: number): number {
  return v;
}

/** The fractal into `map` (zeroed), with `r` = the rounding of the map's precision applied to sums. */
function plasma<T extends Float32Array | Float64Array>(map: T, mapsize: number, wibbledecay: number, rs: RandomState, r: (v: number) => number): T {
  map[0] = 0;
  let step = mapsize;
  let wibble = 100;
  while (step >= 2) {
    const n = mapsize / step;
    const wrap = n - 1; // n is a power of two: (i ± 1) mod n = (i ± 1) & wrap
    const hs = step / 2;
    const rowStep = step * mapsize;
    const low = -wibble;
    const range = wibble - low; // rs.uniform(-wibble, wibble): low + (high − low)·u
    // squares: map[hs + a·step, hs + b·step] from the four corners around it
    for (let a = 0; a < n; a++) {
      const r0 = a * rowStep;
      const r1 = ((a + 1) & wrap) * rowStep;
      const o = r0 + hs * mapsize + hs;
      for (let b = 0; b < n; b++) {
        const c0 = b * step;
        const c1 = ((b + 1) & wrap) * step;
        const acc = r(r(map[r0 + c0] + map[r1 + c0]) + r(map[r0 + c1] + map[r1 + c1]));
        map[o + b * step] = r(acc / 4) + wibble * (low + range * rs.nextDouble());
      }
    }
    // diamonds, first half: map[a·step, hs + b·step]
    for (let a = 0; a < n; a++) {
      const dRow = hs * mapsize + a * rowStep; // the squares' row hs + a·step
      const dPrev = hs * mapsize + ((a - 1) & wrap) * rowStep;
      const uRow = a * rowStep;
      for (let b = 0; b < n; b++) {
        const dc = hs + b * step;
        const ldr = r(map[dRow + dc] + map[dPrev + dc]);
        const lul = r(map[uRow + b * step] + map[uRow + ((b + 1) & wrap) * step]);
        map[uRow + dc] = r(r(ldr + lul) / 4) + wibble * (low + range * rs.nextDouble());
      }
    }
    // diamonds, second half: map[hs + a·step, b·step]
    for (let a = 0; a < n; a++) {
      const dRow = hs * mapsize + a * rowStep;
      const uRow = a * rowStep;
      const uNext = ((a + 1) & wrap) * rowStep;
      for (let b = 0; b < n; b++) {
        const tdr = r(map[dRow + hs + b * step] + map[dRow + hs + ((b - 1) & wrap) * step]);
        const tul = r(map[uRow + b * step] + map[uNext + b * step]);
        map[dRow + b * step] = r(r(tdr + tul) / 4) + wibble * (low + range * rs.nextDouble());
      }
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

/** `u8 / 255` in float64 for every byte value. */
const UNIT = Float64Array.from({ length: 256 }, (_, v) => v / 255);

export function fogWith(rgb: Uint8Array, width: number, height: number, severity: number, rs: RandomState, precision: MapPrecision): Uint8Array {
  const [c0, decay] = FOG_PARAMS[severity - 1];
  const mapsize = nextPowerOf2(Math.max(width, height, 3));
  let maxByte = 0;
  for (let i = 0; i < rgb.length && maxByte < 255; i++) if (rgb[i] > maxByte) maxByte = rgb[i];
  const maxVal = maxByte / 255;
  const map = plasmaFractal(mapsize, decay, rs, precision);
  const f32 = precision === 'float32';
  const denom = maxVal + c0;
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < height; y++) {
    const mrow = y * mapsize;
    for (let x = 0, i = y * width * 3; x < width; x++, i += 3) {
      const m = f32 ? Math.fround(c0 * map[mrow + x]) : c0 * map[mrow + x];
      out[i] = unitToByte(((UNIT[rgb[i]] + m) * maxVal) / denom);
      out[i + 1] = unitToByte(((UNIT[rgb[i + 1]] + m) * maxVal) / denom);
      out[i + 2] = unitToByte(((UNIT[rgb[i + 2]] + m) * maxVal) / denom);
    }
  }
  return out;
}

export function fog(rgb: Uint8Array, width: number, height: number, severity: number, rs: RandomState): Uint8Array {
  return fogWith(rgb, width, height, severity, rs, 'float32');
}
