/**
 * A baseline / extended-sequential Huffman JPEG decoder with libjpeg-turbo 2.1.5's default output (what Pillow 9.4
 * `Image.open(buf).convert('RGB')` returns): islow inverse DCT [jidctint.c], "fancy" triangular chroma upsampling
 * [jdsample.c `h2v2_fancy_upsample`, `h2v1_fancy_upsample`, `h1v2_fancy_upsample`; box replication when the
 * downsampled width is ≤ 2 or for other integral ratios; context rows at the image edges repeat the first / last
 * real row, jdmainct.c], and the fixed-point YCbCr → RGB tables of `build_ycc_rgb_table` [jdcolor.c]. The merged
 * upsampler (jdmerge.c) is *not* used: libjpeg only picks it when `do_fancy_upsampling` is off.
 *
 * Supports 8-bit precision, 1 component (greyscale, returned as R = G = B) or 3 components (YCbCr, or RGB when an
 * Adobe marker says transform 0 / the component ids are 'R','G','B'), any integral sampling factors (4:4:4, 4:2:2,
 * 4:2:0, 4:4:0, …), interleaved or single-component scans, restart markers, optimised Huffman tables. Progressive,
 * arithmetic-coded, lossless, 12-bit and CMYK files throw. Pure TypeScript (no DOM, no Node APIs).
 */
import * as T from './tables';

// Module-local copies: bundlers and test transforms may turn imported bindings into getter calls, which
// would sit in the per-coefficient hot loops.
const CONST_BITS = T.CONST_BITS;
const FIX_0_298631336 = T.FIX_0_298631336;
const FIX_0_390180644 = T.FIX_0_390180644;
const FIX_0_541196100 = T.FIX_0_541196100;
const FIX_0_765366865 = T.FIX_0_765366865;
const FIX_0_899976223 = T.FIX_0_899976223;
const FIX_1_175875602 = T.FIX_1_175875602;
const FIX_1_501321110 = T.FIX_1_501321110;
const FIX_1_847759065 = T.FIX_1_847759065;
const FIX_1_961570560 = T.FIX_1_961570560;
const FIX_2_053119869 = T.FIX_2_053119869;
const FIX_2_562915447 = T.FIX_2_562915447;
const FIX_3_072711026 = T.FIX_3_072711026;
const PASS1_BITS = T.PASS1_BITS;
const ZIGZAG = T.ZIGZAG;

export interface DecodedJpeg {
  width: number;
  height: number;
  /** Packed RGB, `width·height·3` bytes, row-major. */
  data: Uint8Array;
}

// ---------------------------------------------------------------------------------------------------------------
// Huffman decoding (jdhuff.c semantics)

const LOOKAHEAD = 9;

interface DecTable {
  /** 2^LOOKAHEAD entries: (code length << 8) | symbol, or 0 when the code is longer than LOOKAHEAD bits. */
  look: Uint16Array;
  /** Largest code of each length 1..16 (−1 when none); index 17 is a sentinel. */
  maxcode: Int32Array;
  /** values index minus the smallest code of each length. */
  valoffset: Int32Array;
  values: Uint8Array;
}

function buildDecTable(bits: Uint8Array, values: Uint8Array): DecTable {
  const maxcode = new Int32Array(18).fill(-1);
  const valoffset = new Int32Array(18);
  const look = new Uint16Array(1 << LOOKAHEAD);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = bits[len - 1];
    if (n) {
      valoffset[len] = k - code;
      for (let i = 0; i < n; i++, k++, code++) {
        if (len <= LOOKAHEAD) {
          const shift = LOOKAHEAD - len;
          const entry = (len << 8) | values[k];
          for (let j = 0; j < 1 << shift; j++) look[(code << shift) | j] = entry;
        }
      }
      maxcode[len] = code - 1;
    }
    if (code > 1 << len) throw new Error('JPEG: bad Huffman table');
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { look, maxcode, valoffset, values };
}

class BitReader {
  private acc = 0;
  private nbits = 0;
  /** Set once a marker (or the end of data) is reached; zeros are fed from then on, like libjpeg. */
  private stopped = false;

  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  private fill(): void {
    while (this.nbits <= 24) {
      let byte = 0;
      if (!this.stopped) {
        const d = this.data;
        if (this.pos >= d.length) {
          this.stopped = true;
        } else {
          const b = d[this.pos];
          if (b === 0xff) {
            let next = d[this.pos + 1];
            let p = this.pos + 1;
            while (next === 0xff) next = d[++p]; // fill bytes
            if (next === 0) {
              byte = 0xff;
              this.pos = p + 1;
            } else {
              this.stopped = true; // a marker: leave pos on it
            }
          } else {
            byte = b;
            this.pos++;
          }
        }
      }
      this.acc = ((this.acc << 8) | byte) >>> 0;
      this.nbits += 8;
    }
  }

  bits(n: number): number {
    if (n === 0) return 0;
    if (this.nbits < n) this.fill();
    this.nbits -= n;
    return (this.acc >>> this.nbits) & ((1 << n) - 1);
  }

  decode(t: DecTable): number {
    if (this.nbits < 16) this.fill();
    const peek = (this.acc >>> (this.nbits - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1);
    const e = t.look[peek];
    if (e) {
      this.nbits -= e >> 8;
      return e & 0xff;
    }
    let len = LOOKAHEAD + 1;
    let code = (this.acc >>> (this.nbits - len)) & ((1 << len) - 1);
    while (len <= 16 && code > t.maxcode[len]) {
      len++;
      code = (this.acc >>> (this.nbits - len)) & ((1 << len) - 1);
    }
    if (len > 16) {
      // Corrupt data: libjpeg warns and returns symbol 0.
      this.nbits -= 16;
      return 0;
    }
    this.nbits -= len;
    return t.values[t.valoffset[len] + code];
  }

  /** Discards buffered bits and skips an RSTn marker (restart interval boundary). */
  restart(): void {
    this.acc = 0;
    this.nbits = 0;
    this.stopped = false;
    const d = this.data;
    let p = this.pos;
    while (p + 1 < d.length && !(d[p] === 0xff && d[p + 1] >= 0xd0 && d[p + 1] <= 0xd7)) {
      if (d[p] === 0xff && d[p + 1] !== 0 && d[p + 1] !== 0xff) break; // some other marker: leave it
      p++;
    }
    if (p + 1 < d.length && d[p] === 0xff && d[p + 1] >= 0xd0 && d[p + 1] <= 0xd7) p += 2;
    this.pos = p;
  }
}

function extend(v: number, s: number): number {
  return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
}

// ---------------------------------------------------------------------------------------------------------------
// Inverse DCT (jidctint.c jpeg_idct_islow, with its all-zero-AC shortcuts, which are exact)

const IDESC1 = CONST_BITS - PASS1_BITS;
const IROUND1 = 1 << (IDESC1 - 1);
const IDESC2 = CONST_BITS + PASS1_BITS + 3;
const IROUND2 = 1 << (IDESC2 - 1);

const idctWs = new Int32Array(64);

export function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Dequantises and inverse-transforms block `coef[off…off+63]` (natural order) into `out` at `outOff`. */
export function idctIslow(coef: Int16Array, off: number, q: Uint16Array, out: Uint8Array, outOff: number, stride: number): void {
  const ws = idctWs;
  for (let c = 0; c < 8; c++) {
    const i = off + c;
    if (
      coef[i + 8] === 0 &&
      coef[i + 16] === 0 &&
      coef[i + 24] === 0 &&
      coef[i + 32] === 0 &&
      coef[i + 40] === 0 &&
      coef[i + 48] === 0 &&
      coef[i + 56] === 0
    ) {
      const dc = (coef[i] * q[c]) << PASS1_BITS;
      for (let r = 0; r < 64; r += 8) ws[c + r] = dc;
      continue;
    }
    let z2 = coef[i + 16] * q[c + 16];
    let z3 = coef[i + 48] * q[c + 48];
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 - z3 * FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    z2 = coef[i] * q[c];
    z3 = coef[i + 32] * q[c + 32];
    let tmp0 = (z2 + z3) * 8192;
    let tmp1 = (z2 - z3) * 8192;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp3 = coef[i + 8] * q[c + 8];
    tmp2 = coef[i + 24] * q[c + 24];
    tmp1 = coef[i + 40] * q[c + 40];
    tmp0 = coef[i + 56] * q[c + 56];
    let z4 = tmp1 + tmp3;
    z3 = tmp0 + tmp2;
    z2 = tmp1 + tmp2;
    z1 = tmp0 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp3 *= FIX_1_501321110;
    tmp2 *= FIX_3_072711026;
    tmp1 *= FIX_2_053119869;
    tmp0 *= FIX_0_298631336;
    z4 = z5 - z4 * FIX_0_390180644;
    z3 = z5 - z3 * FIX_1_961570560;
    z1 = -z1 * FIX_0_899976223;
    z2 = -z2 * FIX_2_562915447;
    tmp3 += z1 + z4;
    tmp2 += z2 + z3;
    tmp1 += z2 + z4;
    tmp0 += z1 + z3;
    ws[c] = (tmp10 + tmp3 + IROUND1) >> IDESC1;
    ws[c + 56] = (tmp10 - tmp3 + IROUND1) >> IDESC1;
    ws[c + 8] = (tmp11 + tmp2 + IROUND1) >> IDESC1;
    ws[c + 48] = (tmp11 - tmp2 + IROUND1) >> IDESC1;
    ws[c + 16] = (tmp12 + tmp1 + IROUND1) >> IDESC1;
    ws[c + 40] = (tmp12 - tmp1 + IROUND1) >> IDESC1;
    ws[c + 24] = (tmp13 + tmp0 + IROUND1) >> IDESC1;
    ws[c + 32] = (tmp13 - tmp0 + IROUND1) >> IDESC1;
  }
  for (let r = 0; r < 8; r++) {
    const w = r * 8;
    const o = outOff + r * stride;
    if (ws[w + 1] === 0 && ws[w + 2] === 0 && ws[w + 3] === 0 && ws[w + 4] === 0 && ws[w + 5] === 0 && ws[w + 6] === 0 && ws[w + 7] === 0) {
      const v = clamp255(((ws[w] + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3)) + 128);
      for (let x = 0; x < 8; x++) out[o + x] = v;
      continue;
    }
    let z2 = ws[w + 2];
    let z3 = ws[w + 6];
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp0 = (ws[w] + ws[w + 4]) * 8192;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    let tmp1 = (ws[w] - ws[w + 4]) * 8192;
    let tmp2 = z1 - z3 * FIX_1_847759065;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp3 = ws[w + 1];
    tmp2 = ws[w + 3];
    tmp1 = ws[w + 5];
    tmp0 = ws[w + 7];
    let z4 = tmp1 + tmp3;
    z3 = tmp0 + tmp2;
    z2 = tmp1 + tmp2;
    z1 = tmp0 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp3 *= FIX_1_501321110;
    tmp2 *= FIX_3_072711026;
    tmp1 *= FIX_2_053119869;
    tmp0 *= FIX_0_298631336;
    z4 = z5 - z4 * FIX_0_390180644;
    z3 = z5 - z3 * FIX_1_961570560;
    z2 = -z2 * FIX_2_562915447;
    z1 = -z1 * FIX_0_899976223;
    tmp3 += z1 + z4;
    tmp2 += z2 + z3;
    tmp1 += z2 + z4;
    tmp0 += z1 + z3;
    out[o] = clamp255(((tmp10 + tmp3 + IROUND2) >> IDESC2) + 128);
    out[o + 7] = clamp255(((tmp10 - tmp3 + IROUND2) >> IDESC2) + 128);
    out[o + 1] = clamp255(((tmp11 + tmp2 + IROUND2) >> IDESC2) + 128);
    out[o + 6] = clamp255(((tmp11 - tmp2 + IROUND2) >> IDESC2) + 128);
    out[o + 2] = clamp255(((tmp12 + tmp1 + IROUND2) >> IDESC2) + 128);
    out[o + 5] = clamp255(((tmp12 - tmp1 + IROUND2) >> IDESC2) + 128);
    out[o + 3] = clamp255(((tmp13 + tmp0 + IROUND2) >> IDESC2) + 128);
    out[o + 4] = clamp255(((tmp13 - tmp0 + IROUND2) >> IDESC2) + 128);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Upsampling (jdsample.c) to a width×height plane

export interface Plane {
  data: Uint8Array;
  stride: number;
  /** The component's real ("downsampled") size: ceil(W·h/hmax) × ceil(H·v/vmax). */
  width: number;
  height: number;
}

export function upsample(p: Plane, hExp: number, vExp: number, W: number, H: number): Uint8Array {
  const out = new Uint8Array(W * H);
  const { data: d, stride, width: dw, height: dh } = p;
  const rowOf = (r: number) => (r < 0 ? 0 : r >= dh ? dh - 1 : r) * stride; // context rows repeat the edge rows
  if (hExp === 1 && vExp === 1) {
    for (let y = 0; y < H; y++) out.set(d.subarray(y * stride, y * stride + W), y * W);
    return out;
  }
  if (hExp === 2 && vExp === 2 && dw > 2) {
    // h2v2_fancy_upsample
    const row = new Uint8Array(2 * dw);
    for (let y = 0; y < H; y++) {
      const inrow = y >> 1;
      const p0 = rowOf(inrow);
      const p1 = rowOf(y & 1 ? inrow + 1 : inrow - 1);
      let thiscolsum = d[p0] * 3 + d[p1];
      let nextcolsum = d[p0 + 1] * 3 + d[p1 + 1];
      row[0] = (thiscolsum * 4 + 8) >> 4;
      row[1] = (thiscolsum * 3 + nextcolsum + 7) >> 4;
      let lastcolsum = thiscolsum;
      thiscolsum = nextcolsum;
      let o = 2;
      for (let x = 2; x < dw; x++) {
        nextcolsum = d[p0 + x] * 3 + d[p1 + x];
        row[o++] = (thiscolsum * 3 + lastcolsum + 8) >> 4;
        row[o++] = (thiscolsum * 3 + nextcolsum + 7) >> 4;
        lastcolsum = thiscolsum;
        thiscolsum = nextcolsum;
      }
      row[o++] = (thiscolsum * 3 + lastcolsum + 8) >> 4;
      row[o] = (thiscolsum * 4 + 7) >> 4;
      out.set(row.subarray(0, W), y * W);
    }
    return out;
  }
  if (hExp === 2 && vExp === 1 && dw > 2) {
    // h2v1_fancy_upsample
    const row = new Uint8Array(2 * dw);
    for (let y = 0; y < H; y++) {
      const s = y * stride;
      let inv = d[s];
      row[0] = inv;
      row[1] = (inv * 3 + d[s + 1] + 2) >> 2;
      let o = 2;
      for (let x = 1; x < dw - 1; x++) {
        inv = d[s + x] * 3;
        row[o++] = (inv + d[s + x - 1] + 1) >> 2;
        row[o++] = (inv + d[s + x + 1] + 2) >> 2;
      }
      inv = d[s + dw - 1];
      row[o++] = (inv * 3 + d[s + dw - 2] + 1) >> 2;
      row[o] = inv;
      out.set(row.subarray(0, W), y * W);
    }
    return out;
  }
  if (hExp === 1 && vExp === 2) {
    // h1v2_fancy_upsample (bias 1 towards the row above, 2 towards the row below)
    for (let y = 0; y < H; y++) {
      const inrow = y >> 1;
      const p0 = rowOf(inrow);
      const below = y & 1;
      const p1 = rowOf(below ? inrow + 1 : inrow - 1);
      const bias = below ? 2 : 1;
      const o = y * W;
      for (let x = 0; x < W; x++) out[o + x] = (d[p0 + x] * 3 + d[p1 + x] + bias) >> 2;
    }
    return out;
  }
  // Box replication (int_upsample, h2v1_upsample, h2v2_upsample).
  for (let y = 0; y < H; y++) {
    const s = Math.floor(y / vExp) * stride;
    const o = y * W;
    for (let x = 0; x < W; x++) out[o + x] = d[s + Math.floor(x / hExp)];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Colour conversion (jdcolor.c build_ycc_rgb_table / ycc_rgb_convert)

export const YCC_RGB = (() => {
  const FIX = (x: number) => Math.trunc(x * 65536 + 0.5);
  const crR = new Int32Array(256);
  const cbB = new Int32Array(256);
  const crG = new Int32Array(256);
  const cbG = new Int32Array(256);
  for (let i = 0, x = -128; i < 256; i++, x++) {
    crR[i] = (FIX(1.402) * x + 32768) >> 16;
    cbB[i] = (FIX(1.772) * x + 32768) >> 16;
    crG[i] = -FIX(0.71414) * x;
    cbG[i] = -FIX(0.34414) * x + 32768;
  }
  return { crR, cbB, crG, cbG };
})();

// ---------------------------------------------------------------------------------------------------------------
// Parsing and decoding

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Blocks per row / column in the MCU-padded coefficient buffer. */
  bw: number;
  bh: number;
  coefs: Int16Array;
  /** The quantisation table latched at the component's first scan (natural order). */
  q: Uint16Array | null;
}

function u16(d: Uint8Array, p: number): number {
  return (d[p] << 8) | d[p + 1];
}

/**
 * Decodes a baseline (or extended sequential, 8-bit, Huffman) JPEG to packed RGB with libjpeg-turbo 2.1.5's
 * default settings (islow IDCT, fancy upsampling), i.e. what Pillow 9.4 returns for `Image.open(f).convert('RGB')`.
 */
/** libjpeg's YCbCr → RGB (jdcolor.c tables) of the first `n` samples of three planes into packed RGB `out`. */
export function yccToRgb(p0: Uint8Array, p1: Uint8Array, p2: Uint8Array, n: number, out: Uint8Array): void {
  const { crR, cbB, crG, cbG } = YCC_RGB;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const y = p0[i];
    const cb = p1[i];
    const cr = p2[i];
    out[j] = clamp255(y + crR[cr]);
    out[j + 1] = clamp255(y + ((cbG[cb] + crG[cr]) >> 16));
    out[j + 2] = clamp255(y + cbB[cb]);
  }
}

export function decodeJpeg(bytes: Uint8Array): DecodedJpeg {
  const d = bytes;
  if (d.length < 4 || d[0] !== 0xff || d[1] !== 0xd8) throw new Error('JPEG: missing SOI marker');
  const qt: (Uint16Array | null)[] = [null, null, null, null];
  const dcTables: (DecTable | null)[] = [null, null, null, null];
  const acTables: (DecTable | null)[] = [null, null, null, null];
  let comps: Component[] = [];
  let width = 0;
  let height = 0;
  let hmax = 1;
  let vmax = 1;
  let mcusX = 0;
  let mcusY = 0;
  let restartInterval = 0;
  let sawJfif = false;
  let adobeTransform = -1;
  let frameSeen = false;
  let scans = 0;
  let pos = 2;

  while (pos < d.length) {
    // Find the next marker (skipping fill bytes and, leniently, stray data).
    if (d[pos] !== 0xff) {
      pos++;
      continue;
    }
    let marker = d[pos + 1];
    while (marker === 0xff && pos + 2 < d.length) marker = d[++pos + 1];
    pos += 2;
    if (marker === 0xd9) break; // EOI
    if (marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // no length
    if (pos + 2 > d.length) break;
    const len = u16(d, pos);
    const seg = pos + 2;
    const segEnd = pos + len;
    if (len < 2 || segEnd > d.length) throw new Error(`JPEG: truncated segment 0x${marker.toString(16)}`);

    if (marker === 0xdb) {
      // DQT
      let p = seg;
      while (p < segEnd) {
        const pq = d[p] >> 4;
        const tq = d[p] & 15;
        if (tq > 3) throw new Error('JPEG: bad DQT table index');
        p++;
        const t = new Uint16Array(64);
        for (let k = 0; k < 64; k++) {
          t[ZIGZAG[k]] = pq ? u16(d, p + 2 * k) : d[p + k];
        }
        p += pq ? 128 : 64;
        qt[tq] = t;
      }
    } else if (marker === 0xc4) {
      // DHT
      let p = seg;
      while (p < segEnd) {
        const tc = d[p] >> 4;
        const th = d[p] & 15;
        if (th > 3 || tc > 1) throw new Error('JPEG: bad DHT table index');
        const bits = d.subarray(p + 1, p + 17);
        let count = 0;
        for (let i = 0; i < 16; i++) count += bits[i];
        if (count > 256 || p + 17 + count > segEnd) throw new Error('JPEG: bad DHT segment');
        const values = d.slice(p + 17, p + 17 + count);
        if (tc === 0 && values.some((v) => v > 15)) throw new Error('JPEG: bad Huffman table'); // as jdhuff.c
        const table = buildDecTable(bits, values);
        if (tc === 0) dcTables[th] = table;
        else acTables[th] = table;
        p += 17 + count;
      }
    } else if (marker === 0xc0 || marker === 0xc1) {
      // SOF0 / SOF1
      if (frameSeen) throw new Error('JPEG: more than one frame');
      frameSeen = true;
      if (d[seg] !== 8) throw new Error(`JPEG: ${d[seg]}-bit precision is not supported`);
      height = u16(d, seg + 1);
      width = u16(d, seg + 3);
      const n = d[seg + 5];
      if (!width || !height) throw new Error('JPEG: zero image size (DNL) is not supported');
      if (n !== 1 && n !== 3) throw new Error(`JPEG: ${n} components are not supported`);
      comps = [];
      for (let i = 0; i < n; i++) {
        const p = seg + 6 + 3 * i;
        const h = d[p + 1] >> 4;
        const v = d[p + 1] & 15;
        if (h < 1 || h > 4 || v < 1 || v > 4) throw new Error('JPEG: bad sampling factors');
        comps.push({ id: d[p], h, v, tq: d[p + 2] & 3, bw: 0, bh: 0, coefs: new Int16Array(0), q: null });
      }
      hmax = Math.max(...comps.map((c) => c.h));
      vmax = Math.max(...comps.map((c) => c.v));
      mcusX = Math.ceil(width / (8 * hmax));
      mcusY = Math.ceil(height / (8 * vmax));
      for (const c of comps) {
        c.bw = mcusX * c.h;
        c.bh = mcusY * c.v;
        c.coefs = new Int16Array(c.bw * c.bh * 64);
      }
    } else if (marker >= 0xc2 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const kind = marker === 0xc2 || marker === 0xc6 ? 'progressive' : marker === 0xc3 || marker === 0xc7 ? 'lossless' : 'arithmetic-coded';
      throw new Error(`JPEG: ${kind} JPEG (SOF${marker - 0xc0}) is not supported`);
    } else if (marker === 0xdd) {
      restartInterval = u16(d, seg);
    } else if (marker === 0xe0) {
      if (len >= 16 && d[seg] === 0x4a && d[seg + 1] === 0x46 && d[seg + 2] === 0x49 && d[seg + 3] === 0x46 && d[seg + 4] === 0) sawJfif = true;
    } else if (marker === 0xee) {
      if (len >= 14 && String.fromCharCode(d[seg], d[seg + 1], d[seg + 2], d[seg + 3], d[seg + 4]) === 'Adobe') {
        adobeTransform = d[seg + 11];
      }
    } else if (marker === 0xda) {
      // SOS
      if (!frameSeen) throw new Error('JPEG: scan before frame header');
      const ns = d[seg];
      const scomps: { c: Component; ci: number; dc: DecTable; ac: DecTable }[] = [];
      for (let i = 0; i < ns; i++) {
        const id = d[seg + 1 + 2 * i];
        const tt = d[seg + 2 + 2 * i];
        const ci = comps.findIndex((c) => c.id === id);
        if (ci < 0) throw new Error(`JPEG: scan refers to unknown component ${id}`);
        const dc = dcTables[tt >> 4];
        const ac = acTables[tt & 15];
        if (!dc || !ac) throw new Error('JPEG: scan uses an undefined Huffman table');
        const c = comps[ci];
        if (!c.q) {
          const q = qt[c.tq];
          if (!q) throw new Error('JPEG: component uses an undefined quantisation table');
          c.q = q.slice();
        }
        scomps.push({ c, ci, dc, ac });
      }
      const ssp = seg + 1 + 2 * ns;
      if (d[ssp] !== 0 || d[ssp + 1] !== 63 || d[ssp + 2] !== 0) throw new Error('JPEG: not a sequential scan');
      pos = decodeScan(d, segEnd, scomps, width, height, hmax, vmax, mcusX, mcusY, restartInterval);
      scans++;
      continue;
    }
    pos = segEnd;
  }
  if (!frameSeen) throw new Error('JPEG: no SOF0/SOF1 frame header');
  if (!scans) throw new Error('JPEG: no scan'); // a missing EOI is tolerated: libjpeg warns and pads with zeros

  // IDCT + upsampling per component.
  const planes: Uint8Array[] = [];
  for (const c of comps) {
    const dw = Math.ceil((width * c.h) / hmax);
    const dh = Math.ceil((height * c.v) / vmax);
    const stride = c.bw * 8;
    const samples = new Uint8Array(stride * c.bh * 8);
    const q = c.q ?? qt[c.tq] ?? new Uint16Array(64).fill(1);
    const bwUse = Math.ceil(dw / 8);
    const bhUse = Math.ceil(dh / 8);
    for (let by = 0; by < bhUse; by++) {
      for (let bx = 0; bx < bwUse; bx++) {
        idctIslow(c.coefs, (by * c.bw + bx) * 64, q, samples, by * 8 * stride + bx * 8, stride);
      }
    }
    if (hmax % c.h || vmax % c.v) throw new Error('JPEG: fractional sampling ratios are not supported');
    planes.push(upsample({ data: samples, stride, width: dw, height: dh }, hmax / c.h, vmax / c.v, width, height));
  }

  const n = width * height;
  const out = new Uint8Array(n * 3);
  if (comps.length === 1) {
    const g = planes[0];
    for (let i = 0, j = 0; i < n; i++, j += 3) out[j] = out[j + 1] = out[j + 2] = g[i];
    return { width, height, data: out };
  }
  let ycc: boolean;
  if (sawJfif) ycc = true;
  else if (adobeTransform >= 0) ycc = adobeTransform !== 0;
  else ycc = !(comps[0].id === 82 && comps[1].id === 71 && comps[2].id === 66);
  const [p0, p1, p2] = planes;
  if (!ycc) {
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      out[j] = p0[i];
      out[j + 1] = p1[i];
      out[j + 2] = p2[i];
    }
    return { width, height, data: out };
  }
  yccToRgb(p0, p1, p2, n, out);
  return { width, height, data: out };
}

/** Decodes one sequential scan into the components' coefficient buffers; returns the position after its data. */
function decodeScan(
  d: Uint8Array,
  start: number,
  scomps: { c: Component; ci: number; dc: DecTable; ac: DecTable }[],
  width: number,
  height: number,
  hmax: number,
  vmax: number,
  mcusX: number,
  mcusY: number,
  restartInterval: number,
): number {
  const br = new BitReader(d, start);
  const pred = new Int32Array(scomps.length);
  const single = scomps.length === 1;
  let mcusPerRow: number;
  let mcuRows: number;
  if (single) {
    const c = scomps[0].c;
    mcusPerRow = Math.ceil(Math.ceil((width * c.h) / hmax) / 8);
    mcuRows = Math.ceil(Math.ceil((height * c.v) / vmax) / 8);
  } else {
    mcusPerRow = mcusX;
    mcuRows = mcusY;
  }
  const total = mcusPerRow * mcuRows;

  const decodeBlock = (k: number, coefs: Int16Array, off: number, dc: DecTable, ac: DecTable) => {
    const t = br.decode(dc);
    const diff = t ? extend(br.bits(t), t) : 0;
    pred[k] += diff;
    coefs[off] = pred[k];
    for (let z = 1; z < 64; ) {
      const rs = br.decode(ac);
      const r = rs >> 4;
      const s = rs & 15;
      if (s) {
        z += r;
        if (z > 63) break; // corrupt data
        coefs[off + ZIGZAG[z]] = extend(br.bits(s), s);
        z++;
      } else {
        if (r !== 15) break; // EOB
        z += 16;
      }
    }
  };

  for (let m = 0; m < total; m++) {
    if (restartInterval && m > 0 && m % restartInterval === 0) {
      br.restart();
      pred.fill(0);
    }
    const my = Math.floor(m / mcusPerRow);
    const mx = m - my * mcusPerRow;
    if (single) {
      const { c, dc, ac } = scomps[0];
      decodeBlock(0, c.coefs, (my * c.bw + mx) * 64, dc, ac);
    } else {
      for (let k = 0; k < scomps.length; k++) {
        const { c, dc, ac } = scomps[k];
        for (let yi = 0; yi < c.v; yi++) {
          const rowBase = (my * c.v + yi) * c.bw + mx * c.h;
          for (let xi = 0; xi < c.h; xi++) decodeBlock(k, c.coefs, (rowBase + xi) * 64, dc, ac);
        }
      }
    }
  }
  return br.pos;
}
