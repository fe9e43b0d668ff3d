/**
 * A baseline JFIF encoder that reproduces libjpeg-turbo 2.1.5 as Pillow 9.4 drives it with
 * `Image.save(buf, 'JPEG', quality=q)`: the output file is byte-identical to Pillow's for an RGB image, also with
 * `subsampling=0/1` (4:4:4, 4:2:2) and with `optimize=True` (two-pass optimal Huffman tables); no progressive mode.
 * Stage by stage (libjpeg-turbo source files in brackets):
 *
 * - RGB → YCbCr with the 16-bit fixed-point tables of `rgb_ycc_start` [jccolor.c];
 * - edge expansion: the last column is replicated out to the component's block width [jcsample.c
 *   `expand_right_edge`], the last row to a whole row group, and the last downsampled row to the block height
 *   [jcprepct.c `expand_bottom_edge`];
 * - chroma downsampling 2×2 with the alternating bias 1,2 (`h2v2_downsample`), 2×1 with bias 0,1
 *   (`h2v1_downsample`) [jcsample.c];
 * - islow forward DCT [jfdctint.c] on samples − 128, quantised with libjpeg-turbo's reciprocal multiply for 16-bit
 *   DCTELEM [jcdctmgr.c `compute_reciprocal` / `quantize`; equal to the SIMD `jsimd_quantize`];
 * - the quality-scaled IJG tables (`jpeg_set_quality(q, force_baseline=TRUE)`) and the standard Huffman tables
 *   [jcparam.c, jstdhuff.c], or with `optimize` the tables of `jpeg_gen_optimal_table` [jchuff.c]; dummy blocks at the right / bottom MCU edge get the previous block's DC and no AC
 *   [jccoefct.c];
 * - markers in libjpeg's order: SOI, APP0 JFIF 1.1 (density 1:1, no unit), one DQT per table, SOF0, DHT DC/AC per
 *   table, SOS, entropy data (0xFF stuffed, final byte padded with 1-bits), EOI [jcmarker.c, jchuff.c].
 *
 * Pure TypeScript (no DOM, no Node APIs).
 */
import * as T from './tables';

type HuffmanSpec = T.HuffmanSpec;
const { quantTablesForQuality, STD_AC_CHROMINANCE, STD_AC_LUMINANCE, STD_DC_CHROMINANCE, STD_DC_LUMINANCE } = T;

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

/** Pillow's `subsampling` option: 4:2:0 is libjpeg's (and Pillow's) default for RGB input. */
export type ChromaSubsampling = '4:2:0' | '4:2:2' | '4:4:4';

export interface JpegEncodeOptions {
  /** Default '4:2:0' (what `save(quality=q)` does). */
  subsampling?: ChromaSubsampling;
  /**
   * Pillow's `optimize=True` (libjpeg `optimize_coding`): a statistics pass, then Huffman tables built by
   * jchuff.c `jpeg_gen_optimal_table`. Changes only the entropy coding, never the pixels. ImageNet-C's published
   * files are `save(quality=85, optimize=True)`.
   */
  optimize?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Colour conversion (jccolor.c rgb_ycc_start / rgb_ycc_convert)

const SCALEBITS = 16;
const CBCR_OFFSET = 128 << SCALEBITS;
const ONE_HALF = 1 << (SCALEBITS - 1);
const FIX16 = (x: number) => Math.trunc(x * (1 << SCALEBITS) + 0.5);

const RGB_YCC = (() => {
  const t = {
    rY: new Int32Array(256),
    gY: new Int32Array(256),
    bY: new Int32Array(256),
    rCb: new Int32Array(256),
    gCb: new Int32Array(256),
    bCb: new Int32Array(256), // = rCr
    gCr: new Int32Array(256),
    bCr: new Int32Array(256),
  };
  for (let i = 0; i < 256; i++) {
    t.rY[i] = FIX16(0.299) * i;
    t.gY[i] = FIX16(0.587) * i;
    t.bY[i] = FIX16(0.114) * i + ONE_HALF;
    t.rCb[i] = -FIX16(0.16874) * i;
    t.gCb[i] = -FIX16(0.33126) * i;
    // "a rounding fudge-factor of 0.5-epsilon for Cb and Cr"
    t.bCb[i] = FIX16(0.5) * i + CBCR_OFFSET + ONE_HALF - 1;
    t.gCr[i] = -FIX16(0.41869) * i;
    t.bCr[i] = -FIX16(0.08131) * i;
  }
  return t;
})();

export function rgbToYcc(rgb: Uint8Array, n: number): [Uint8Array, Uint8Array, Uint8Array] {
  const Y = new Uint8Array(n);
  const Cb = new Uint8Array(n);
  const Cr = new Uint8Array(n);
  const { rY, gY, bY, rCb, gCb, bCb, gCr, bCr } = RGB_YCC;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const r = rgb[j];
    const g = rgb[j + 1];
    const b = rgb[j + 2];
    Y[i] = (rY[r] + gY[g] + bY[b]) >> SCALEBITS;
    Cb[i] = (rCb[r] + gCb[g] + bCb[b]) >> SCALEBITS;
    Cr[i] = (bCb[r] + gCr[g] + bCr[b]) >> SCALEBITS;
  }
  return [Y, Cb, Cr];
}

// ---------------------------------------------------------------------------------------------------------------
// Edge expansion + downsampling (jcsample.c, jcprepct.c)

/**
 * The component plane libjpeg feeds the DCT: `blocksW·8` columns × `blocksH·8` rows. Full-resolution rows are
 * clamped to the image (replicating the last column out to `blocksW·8·hExp` and the last row to a multiple of
 * `vmax`), downsampled, and rows past the last downsampled row repeat it.
 */
export function componentPlane(
  src: Uint8Array,
  width: number,
  height: number,
  hExp: number,
  vExp: number,
  vmax: number,
  v: number,
  blocksW: number,
  blocksH: number,
): Uint8Array {
  const pw = blocksW * 8;
  const ph = blocksH * 8;
  const out = new Uint8Array(pw * ph);
  const dsRows = Math.min(ph, Math.ceil(height / vmax) * v);
  const inCols = pw * hExp;
  // Column index (clamped to the image) for every expanded input column.
  const col = new Int32Array(inCols);
  for (let x = 0; x < inCols; x++) col[x] = x < width ? x : width - 1;
  for (let r = 0; r < dsRows; r++) {
    const o = r * pw;
    if (hExp === 1 && vExp === 1) {
      const s = (r < height ? r : height - 1) * width;
      for (let x = 0; x < pw; x++) out[o + x] = src[s + col[x]];
    } else if (hExp === 2 && vExp === 2) {
      const y0 = 2 * r;
      const s0 = (y0 < height ? y0 : height - 1) * width;
      const s1 = (y0 + 1 < height ? y0 + 1 : height - 1) * width;
      let bias = 1; // 1,2,1,2,… (h2v2_downsample)
      for (let x = 0; x < pw; x++) {
        const c0 = col[2 * x];
        const c1 = col[2 * x + 1];
        out[o + x] = (src[s0 + c0] + src[s0 + c1] + src[s1 + c0] + src[s1 + c1] + bias) >> 2;
        bias ^= 3;
      }
    } else if (hExp === 2 && vExp === 1) {
      const s = (r < height ? r : height - 1) * width;
      let bias = 0; // 0,1,0,1,… (h2v1_downsample)
      for (let x = 0; x < pw; x++) {
        out[o + x] = (src[s + col[2 * x]] + src[s + col[2 * x + 1]] + bias) >> 1;
        bias ^= 1;
      }
    } else {
      // int_downsample: rounded box average.
      const numpix = hExp * vExp;
      const half = numpix >> 1;
      for (let x = 0; x < pw; x++) {
        let sum = 0;
        for (let dy = 0; dy < vExp; dy++) {
          const y = r * vExp + dy;
          const s = (y < height ? y : height - 1) * width;
          for (let dx = 0; dx < hExp; dx++) sum += src[s + col[x * hExp + dx]];
        }
        out[o + x] = Math.trunc((sum + half) / numpix);
      }
    }
  }
  for (let r = dsRows; r < ph; r++) out.copyWithin(r * pw, (dsRows - 1) * pw, dsRows * pw);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Forward DCT (jfdctint.c jpeg_fdct_islow) and quantisation (jcdctmgr.c)

const D1 = CONST_BITS - PASS1_BITS;
const R1 = 1 << (D1 - 1);
const D2 = CONST_BITS + PASS1_BITS;
const R2 = 1 << (D2 - 1);
const RP = 1 << (PASS1_BITS - 1);

/** In-place islow forward DCT of 64 level-shifted samples (row-major); output scaled up by 8. */
export function fdctIslow(d: Int32Array): void {
  for (let p = 0; p < 64; p += 8) {
    const tmp0 = d[p] + d[p + 7];
    const tmp7 = d[p] - d[p + 7];
    const tmp1 = d[p + 1] + d[p + 6];
    const tmp6 = d[p + 1] - d[p + 6];
    const tmp2 = d[p + 2] + d[p + 5];
    const tmp5 = d[p + 2] - d[p + 5];
    const tmp3 = d[p + 3] + d[p + 4];
    const tmp4 = d[p + 3] - d[p + 4];
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    d[p] = (tmp10 + tmp11) << PASS1_BITS;
    d[p + 4] = (tmp10 - tmp11) << PASS1_BITS;
    const z1 = (tmp12 + tmp13) * FIX_0_541196100;
    d[p + 2] = (z1 + tmp13 * FIX_0_765366865 + R1) >> D1;
    d[p + 6] = (z1 - tmp12 * FIX_1_847759065 + R1) >> D1;
    const z5 = (tmp4 + tmp6 + tmp5 + tmp7) * FIX_1_175875602;
    const o1 = -(tmp4 + tmp7) * FIX_0_899976223;
    const o2 = -(tmp5 + tmp6) * FIX_2_562915447;
    const o3 = -(tmp4 + tmp6) * FIX_1_961570560 + z5;
    const o4 = -(tmp5 + tmp7) * FIX_0_390180644 + z5;
    d[p + 7] = (tmp4 * FIX_0_298631336 + o1 + o3 + R1) >> D1;
    d[p + 5] = (tmp5 * FIX_2_053119869 + o2 + o4 + R1) >> D1;
    d[p + 3] = (tmp6 * FIX_3_072711026 + o2 + o3 + R1) >> D1;
    d[p + 1] = (tmp7 * FIX_1_501321110 + o1 + o4 + R1) >> D1;
  }
  for (let c = 0; c < 8; c++) {
    const tmp0 = d[c] + d[c + 56];
    const tmp7 = d[c] - d[c + 56];
    const tmp1 = d[c + 8] + d[c + 48];
    const tmp6 = d[c + 8] - d[c + 48];
    const tmp2 = d[c + 16] + d[c + 40];
    const tmp5 = d[c + 16] - d[c + 40];
    const tmp3 = d[c + 24] + d[c + 32];
    const tmp4 = d[c + 24] - d[c + 32];
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    d[c] = (tmp10 + tmp11 + RP) >> PASS1_BITS;
    d[c + 32] = (tmp10 - tmp11 + RP) >> PASS1_BITS;
    const z1 = (tmp12 + tmp13) * FIX_0_541196100;
    d[c + 16] = (z1 + tmp13 * FIX_0_765366865 + R2) >> D2;
    d[c + 48] = (z1 - tmp12 * FIX_1_847759065 + R2) >> D2;
    const z5 = (tmp4 + tmp6 + tmp5 + tmp7) * FIX_1_175875602;
    const o1 = -(tmp4 + tmp7) * FIX_0_899976223;
    const o2 = -(tmp5 + tmp6) * FIX_2_562915447;
    const o3 = -(tmp4 + tmp6) * FIX_1_961570560 + z5;
    const o4 = -(tmp5 + tmp7) * FIX_0_390180644 + z5;
    d[c + 56] = (tmp4 * FIX_0_298631336 + o1 + o3 + R2) >> D2;
    d[c + 40] = (tmp5 * FIX_2_053119869 + o2 + o4 + R2) >> D2;
    d[c + 24] = (tmp6 * FIX_3_072711026 + o2 + o3 + R2) >> D2;
    d[c + 8] = (tmp7 * FIX_1_501321110 + o1 + o4 + R2) >> D2;
  }
}

/** jcdctmgr.c `compute_reciprocal` for a 16-bit DCTELEM (libjpeg-turbo's SIMD build), per natural index. */
export interface Divisors {
  recip: Uint32Array;
  corr: Uint32Array;
  shift: Uint8Array;
}

export function divisorsFor(qtable: Uint16Array): Divisors {
  const recip = new Uint32Array(64);
  const corr = new Uint32Array(64);
  const shift = new Uint8Array(64);
  for (let i = 0; i < 64; i++) {
    const divisor = qtable[i] << 3;
    if (divisor === 1) {
      recip[i] = 1;
      corr[i] = 0;
      shift[i] = 0;
      continue;
    }
    const b = 31 - Math.clz32(divisor); // flss(divisor) - 1
    let r = 16 + b;
    let fq = Math.floor(2 ** r / divisor);
    const fr = 2 ** r % divisor;
    let c = divisor >>> 1;
    if (fr === 0) {
      fq = Math.floor(fq / 2);
      r--;
    } else if (fr <= divisor >>> 1) {
      c++;
    } else {
      fq++;
    }
    recip[i] = fq;
    corr[i] = c;
    shift[i] = r;
  }
  return { recip, corr, shift };
}

// ---------------------------------------------------------------------------------------------------------------
// Huffman coding (jchuff.c)

interface EncTable {
  code: Uint16Array;
  size: Uint8Array;
}

function encTable(spec: HuffmanSpec): EncTable {
  const code = new Uint16Array(256);
  const size = new Uint8Array(256);
  let c = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < spec.bits[len - 1]; i++) {
      const sym = spec.values[k++];
      code[sym] = c++;
      size[sym] = len;
    }
    c <<= 1;
  }
  return { code, size };
}

const ENC_DC = [encTable(STD_DC_LUMINANCE), encTable(STD_DC_CHROMINANCE)];
const ENC_AC = [encTable(STD_AC_LUMINANCE), encTable(STD_AC_CHROMINANCE)];

/**
 * jchuff.c `jpeg_gen_optimal_table`: Huffman code lengths from symbol counts (`freq`, 257 entries; entry 256 is the
 * reserved pseudo-symbol that keeps an all-ones code out of the table), limited to 16 bits, exactly as libjpeg does
 * it, including its tie-breaking (the larger symbol number wins among equal frequencies).
 */
function optimalTable(counts: Float64Array): HuffmanSpec {
  const MAX_CLEN = 32;
  const freq = Float64Array.from(counts);
  const codesize = new Int32Array(257);
  const others = new Int32Array(257).fill(-1);
  const bits = new Int32Array(MAX_CLEN + 1);
  freq[256] = 1;
  for (;;) {
    let c1 = -1;
    let v = 1e9;
    for (let i = 0; i <= 256; i++) {
      if (freq[i] && freq[i] <= v) {
        v = freq[i];
        c1 = i;
      }
    }
    let c2 = -1;
    v = 1e9;
    for (let i = 0; i <= 256; i++) {
      if (freq[i] && freq[i] <= v && i !== c1) {
        v = freq[i];
        c2 = i;
      }
    }
    if (c2 < 0) break;
    freq[c1] += freq[c2];
    freq[c2] = 0;
    codesize[c1]++;
    while (others[c1] >= 0) {
      c1 = others[c1];
      codesize[c1]++;
    }
    others[c1] = c2;
    codesize[c2]++;
    while (others[c2] >= 0) {
      c2 = others[c2];
      codesize[c2]++;
    }
  }
  for (let i = 0; i <= 256; i++) {
    if (codesize[i]) {
      if (codesize[i] > MAX_CLEN) throw new Error('encodeJpeg: Huffman code length overflow');
      bits[codesize[i]]++;
    }
  }
  let i = MAX_CLEN;
  for (; i > 16; i--) {
    while (bits[i] > 0) {
      let j = i - 2;
      while (bits[j] === 0) j--;
      bits[i] -= 2;
      bits[i - 1]++;
      bits[j + 1] += 2;
      bits[j]--;
    }
  }
  while (bits[i] === 0) i--;
  bits[i]--; // drop the pseudo-symbol 256 from the longest length
  const values: number[] = [];
  for (let len = 1; len <= MAX_CLEN; len++) for (let j = 0; j <= 255; j++) if (codesize[j] === len) values.push(j);
  return { bits: Array.from(bits.subarray(1, 17)), values };
}

class ByteSink {
  buf: Uint8Array;
  pos = 0;
  private acc = 0;
  private nbits = 0;

  constructor(initial: number) {
    this.buf = new Uint8Array(Math.max(1024, initial));
  }

  private grow(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + extra));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  byte(b: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = b;
  }

  bytes(list: ArrayLike<number>): void {
    this.grow(list.length);
    for (let i = 0; i < list.length; i++) this.buf[this.pos++] = list[i];
  }

  word(w: number): void {
    this.byte((w >> 8) & 0xff);
    this.byte(w & 0xff);
  }

  /** Appends the low `size` bits of `code` (size ≤ 16) to the entropy-coded segment, stuffing 0x00 after 0xFF. */
  bits(code: number, size: number): void {
    this.acc = (this.acc << size) | (code & ((1 << size) - 1));
    this.nbits += size;
    while (this.nbits >= 8) {
      this.nbits -= 8;
      const b = (this.acc >>> this.nbits) & 0xff;
      this.byte(b);
      if (b === 0xff) this.byte(0);
    }
    this.acc &= (1 << this.nbits) - 1;
  }

  /** jchuff.c `flush_bits`: pads the last partial byte with 1-bits. */
  flushBits(): void {
    if (this.nbits > 0) this.bits((1 << (8 - this.nbits)) - 1, 8 - this.nbits);
    this.acc = 0;
    this.nbits = 0;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

function bitLength(v: number): number {
  return v === 0 ? 0 : 32 - Math.clz32(v);
}

function encodeBlock(out: ByteSink, blk: Int16Array, off: number, dcDiff: number, dc: EncTable, ac: EncTable): void {
  // DC difference: category, then its bits (negative values as one's complement).
  let t = dcDiff;
  let t2 = dcDiff;
  if (t < 0) {
    t = -t;
    t2--;
  }
  let nbits = bitLength(t);
  out.bits(dc.code[nbits], dc.size[nbits]);
  if (nbits) out.bits(t2, nbits);
  // AC coefficients in zigzag order, run-length coded.
  let run = 0;
  for (let k = 1; k < 64; k++) {
    t = blk[off + ZIGZAG[k]];
    if (t === 0) {
      run++;
      continue;
    }
    while (run > 15) {
      out.bits(ac.code[0xf0], ac.size[0xf0]);
      run -= 16;
    }
    t2 = t;
    if (t < 0) {
      t = -t;
      t2--;
    }
    nbits = bitLength(t);
    const sym = (run << 4) + nbits;
    out.bits(ac.code[sym], ac.size[sym]);
    out.bits(t2, nbits);
    run = 0;
  }
  if (run > 0) out.bits(ac.code[0], ac.size[0]);
}

// ---------------------------------------------------------------------------------------------------------------
// Markers (jcmarker.c)

function writeDqt(out: ByteSink, index: number, table: Uint16Array): void {
  out.word(0xffdb);
  out.word(67);
  out.byte(index);
  for (let k = 0; k < 64; k++) out.byte(table[ZIGZAG[k]]);
}

function writeDht(out: ByteSink, index: number, spec: HuffmanSpec): void {
  out.word(0xffc4);
  out.word(2 + 1 + 16 + spec.values.length);
  out.byte(index);
  out.bytes(spec.bits);
  out.bytes(spec.values);
}

interface EncComponent {
  id: number;
  h: number;
  v: number;
  /** Quantisation / Huffman table index (0 luma, 1 chroma). */
  t: number;
  blocksW: number;
  blocksH: number;
  coefs: Int16Array;
}

/**
 * Encodes packed RGB (`width·height·3` bytes, row-major) as a baseline JFIF JPEG at `quality` (1–100, libjpeg
 * scaling with force_baseline), byte-identical to Pillow 9.4 / libjpeg-turbo 2.1.5 `save('JPEG', quality=q)`.
 */
export function encodeJpeg(
  rgb: Uint8Array,
  width: number,
  height: number,
  quality: number,
  options: JpegEncodeOptions = {},
): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 65500 || height > 65500) {
    throw new RangeError(`encodeJpeg: invalid size ${width}x${height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new RangeError(`encodeJpeg: expected ${width * height * 3} bytes of RGB, got ${rgb.length}`);
  }
  if (!Number.isFinite(quality)) throw new RangeError(`encodeJpeg: invalid quality ${quality}`);
  const sub = options.subsampling ?? '4:2:0';
  const [hY, vY] = sub === '4:2:0' ? [2, 2] : sub === '4:2:2' ? [2, 1] : sub === '4:4:4' ? [1, 1] : [0, 0];
  if (!hY) throw new RangeError(`encodeJpeg: unknown subsampling ${String(sub)}`);

  const qtables = quantTablesForQuality(quality);
  const divisors = qtables.map(divisorsFor);
  const planes = rgbToYcc(rgb, width * height);
  const hmax = hY;
  const vmax = vY;
  const mcusX = Math.ceil(width / (8 * hmax));
  const mcusY = Math.ceil(height / (8 * vmax));

  const comps: EncComponent[] = [];
  const ws = new Int32Array(64);
  for (let ci = 0; ci < 3; ci++) {
    const h = ci === 0 ? hY : 1;
    const v = ci === 0 ? vY : 1;
    const t = ci === 0 ? 0 : 1;
    const blocksW = Math.ceil(Math.ceil((width * h) / hmax) / 8);
    const blocksH = Math.ceil(Math.ceil((height * v) / vmax) / 8);
    const plane = componentPlane(planes[ci], width, height, hmax / h, vmax / v, vmax, v, blocksW, blocksH);
    const pw = blocksW * 8;
    const coefs = new Int16Array(blocksW * blocksH * 64);
    const { recip, corr, shift } = divisors[t];
    for (let by = 0; by < blocksH; by++) {
      for (let bx = 0; bx < blocksW; bx++) {
        const base = by * 8 * pw + bx * 8;
        for (let y = 0; y < 8; y++) {
          const s = base + y * pw;
          for (let x = 0; x < 8; x++) ws[y * 8 + x] = plane[s + x] - 128;
        }
        fdctIslow(ws);
        const o = (by * blocksW + bx) * 64;
        for (let i = 0; i < 64; i++) {
          const temp = ws[i];
          // (|temp| + corr)·recip < 2^31, so the unsigned shift is exact.
          if (temp < 0) coefs[o + i] = -(((-temp + corr[i]) * recip[i]) >>> shift[i]);
          else coefs[o + i] = ((temp + corr[i]) * recip[i]) >>> shift[i];
        }
      }
    }
    comps.push({ id: ci + 1, h, v, t, blocksW, blocksH, coefs });
  }

  // Every block of the interleaved scan in MCU order: `off` < 0 marks a dummy block (jccoefct.c: the previous
  // block's DC and no AC, i.e. DC difference 0 then EOB).
  const forEachBlock = (fn: (c: EncComponent, ci: number, off: number) => void) => {
    for (let my = 0; my < mcusY; my++) {
      for (let mx = 0; mx < mcusX; mx++) {
        for (let ci = 0; ci < 3; ci++) {
          const c = comps[ci];
          for (let yi = 0; yi < c.v; yi++) {
            const by = my * c.v + yi;
            for (let xi = 0; xi < c.h; xi++) {
              const bx = mx * c.h + xi;
              fn(c, ci, by < c.blocksH && bx < c.blocksW ? (by * c.blocksW + bx) * 64 : -1);
            }
          }
        }
      }
    }
  };

  let dcSpecs: HuffmanSpec[] = [STD_DC_LUMINANCE, STD_DC_CHROMINANCE];
  let acSpecs: HuffmanSpec[] = [STD_AC_LUMINANCE, STD_AC_CHROMINANCE];
  let dcTables = ENC_DC;
  let acTables = ENC_AC;
  if (options.optimize) {
    // jchuff.c htest_one_block: symbol statistics of the same scan, per table.
    const dcCounts = [new Float64Array(257), new Float64Array(257)];
    const acCounts = [new Float64Array(257), new Float64Array(257)];
    const last = [0, 0, 0];
    forEachBlock((c, ci, off) => {
      const dcc = dcCounts[c.t];
      const acc = acCounts[c.t];
      if (off < 0) {
        dcc[0]++;
        acc[0]++;
        return;
      }
      const dcv = c.coefs[off];
      dcc[bitLength(Math.abs(dcv - last[ci]))]++;
      last[ci] = dcv;
      let run = 0;
      for (let k = 1; k < 64; k++) {
        const t = c.coefs[off + ZIGZAG[k]];
        if (t === 0) {
          run++;
          continue;
        }
        while (run > 15) {
          acc[0xf0]++;
          run -= 16;
        }
        acc[(run << 4) + bitLength(Math.abs(t))]++;
        run = 0;
      }
      if (run > 0) acc[0]++;
    });
    dcSpecs = dcCounts.map(optimalTable);
    acSpecs = acCounts.map(optimalTable);
    dcTables = dcSpecs.map(encTable);
    acTables = acSpecs.map(encTable);
  }

  const out = new ByteSink(Math.ceil(width * height * 0.75) + 1024);
  out.word(0xffd8); // SOI
  out.bytes([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  writeDqt(out, 0, qtables[0]);
  writeDqt(out, 1, qtables[1]);
  out.word(0xffc0); // SOF0
  out.word(8 + 3 * 3);
  out.byte(8);
  out.word(height);
  out.word(width);
  out.byte(3);
  for (const c of comps) out.bytes([c.id, (c.h << 4) | c.v, c.t]);
  writeDht(out, 0x00, dcSpecs[0]);
  writeDht(out, 0x10, acSpecs[0]);
  writeDht(out, 0x01, dcSpecs[1]);
  writeDht(out, 0x11, acSpecs[1]);
  out.word(0xffda); // SOS
  out.word(6 + 2 * 3);
  out.byte(3);
  for (const c of comps) out.bytes([c.id, (c.t << 4) | c.t]);
  out.bytes([0, 63, 0]);

  const pred = [0, 0, 0];
  forEachBlock((c, ci, off) => {
    const dc = dcTables[c.t];
    const ac = acTables[c.t];
    if (off < 0) {
      out.bits(dc.code[0], dc.size[0]);
      out.bits(ac.code[0], ac.size[0]);
      return;
    }
    const dcv = c.coefs[off];
    encodeBlock(out, c.coefs, off, dcv - pred[ci], dc, ac);
    pred[ci] = dcv;
  });
  out.flushBits();
  out.word(0xffd9); // EOI
  return out.result();
}
