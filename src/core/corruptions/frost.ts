/**
 * frost (SPEC.md §2) with replayed draws: texture `frost{index+1}` (already 1.1×-rescaled, RGB), crop at
 * (row_start, col_start), `out = trunc(clip(a·u8 + b·frost, 0, 255))` in float64.
 */
import type { Image8, Severity } from './types';

const FROST: ReadonlyArray<readonly [number, number]> = [
  [1, 0.4],
  [0.8, 0.6],
  [0.7, 0.7],
  [0.65, 0.7],
  [0.6, 0.75],
];

export interface FrostDraw {
  /** 0-based texture index (`randint(5)` upstream, so 0..4; 5 = frost6 is accepted but never drawn). */
  index: number;
  rowStart: number;
  colStart: number;
}

function intParam(params: Record<string, unknown>, key: string): number | undefined {
  const v = params[key];
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

/** Reads `frost_index`, `row_start`, `col_start` (a params.json entry as-is); undefined if any is missing. */
export function paramFrostDraw(params: Record<string, unknown> | undefined): FrostDraw | undefined {
  if (!params) return undefined;
  const index = intParam(params, 'frost_index');
  const rowStart = intParam(params, 'row_start');
  const colStart = intParam(params, 'col_start');
  if (index === undefined || rowStart === undefined || colStart === undefined) return undefined;
  return { index, rowStart, colStart };
}

function textureChannels(t: Image8): number {
  if (t.channels) return t.channels;
  const n = t.width * t.height;
  if (t.data.length === n * 3) return 3;
  if (t.data.length === n * 4) return 4;
  throw new Error(`frost texture: ${t.data.length} bytes for ${t.width}x${t.height} is neither RGB nor RGBA`);
}

export function frostWithDraw(src: Uint8Array, w: number, h: number, severity: Severity, draw: FrostDraw, textures: Image8[] | undefined): Uint8Array {
  const tex = textures?.[draw.index];
  if (!tex) {
    throw new Error(`frost: options.frostTextures[${draw.index}] is missing (pass frost1…frost6, 1.1× rescaled, RGB)`);
  }
  const tc = textureChannels(tex);
  const { rowStart, colStart } = draw;
  if (rowStart < 0 || colStart < 0 || rowStart + h > tex.height || colStart + w > tex.width) {
    throw new Error(`frost: crop ${w}x${h} at row ${rowStart}, col ${colStart} is outside the ${tex.width}x${tex.height} texture`);
  }
  const [a, b] = FROST[severity - 1];
  const out = new Uint8Array(w * h * 3);
  const td = tex.data;
  for (let y = 0; y < h; y++) {
    let s = y * w * 3;
    let t = ((rowStart + y) * tex.width + colStart) * tc;
    for (let x = 0; x < w; x++, s += 3, t += tc) {
      for (let ch = 0; ch < 3; ch++) {
        const v = a * src[s + ch] + b * td[t + ch];
        out[s + ch] = v > 255 ? 255 : v; // v ≥ 0 always; Uint8Array store truncates
      }
    }
  }
  return out;
}
