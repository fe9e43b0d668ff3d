/**
 * A natural logarithm that is correctly rounded for all practical purposes (internal accuracy about 2^-70
 * relative), to match C's `log` (glibc ≥ 2.28, which is correctly rounded except in very rare cases).
 *
 * Why: V8's `Math.log` (an fdlibm port) is only faithful (< 1 ulp) and differs from glibc in the last bit for
 * a few percent of inputs. numpy's legacy Box–Muller calls `log(r2)` once per pair of normals, so with
 * `Math.log` about one pair in twenty comes out 1 ulp off. With this function the replayed normals are
 * bit-identical to numpy's.
 *
 * Method: x = 2^e · m with m in [√½, √2); m = c · (m/c) with c = 1 + j/128 the nearest table point;
 * log x = e·ln2 + log c + 2·atanh(s), s = (m − c)/(m + c), |s| < 2^-8.9. ln2 and log c are double-doubles
 * (log c computed once at load time by the atanh series in double-double arithmetic); s is a double-double;
 * the cubic and higher terms are plain doubles (they are below 2^-19 of the result). The parts are summed
 * with error-free transformations and rounded once.
 */

const SPLITTER = 134217729; // 2^27 + 1

/** Error-free product a·b = p + e (Dekker / Veltkamp, no FMA needed). */
function twoProd(a: number, b: number, out: Float64Array): void {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  out[0] = p;
  out[1] = al * bl - (((p - ah * bh) - al * bh) - ah * bl);
}

// ln 2 as a double-double whose high part has 20 trailing zero bits, so e·LN2_HI is exact for |e| < 2^11.
const LN2_HI = 0.6931471803691238; // 0x3FE62E42FEE00000
const LN2_LO = 1.9082149292705877e-10; // ln2 − LN2_HI

const TABLE_LO = -38;
const TABLE_HI = 53;
const LOGC_HI = new Float64Array(TABLE_HI - TABLE_LO + 1);
const LOGC_LO = new Float64Array(TABLE_HI - TABLE_LO + 1);

/** log(c) in double-double by 2·atanh((c−1)/(c+1)), at load time (92 table points). */
function buildTable(): void {
  const tmp = new Float64Array(2);
  for (let j = TABLE_LO; j <= TABLE_HI; j++) {
    const c = 1 + j / 128; // exact
    // s = (c − 1)/(c + 1) as a double-double; c − 1 and c + 1 are exact here (|j| ≤ 53, 7 fractional bits).
    const num = c - 1;
    const den = c + 1;
    const sh = num / den;
    twoProd(sh, den, tmp);
    const sl = (num - tmp[0] - tmp[1]) / den;
    // Σ_{k≥0} s^(2k+1)/(2k+1) in double-double, summing from the smallest term up.
    // t = s² (dd)
    twoProd(sh, sh, tmp);
    let th = tmp[0];
    let tl = tmp[1] + 2 * sh * sl;
    const t2 = th + tl;
    tl = tl - (t2 - th);
    th = t2;
    // Horner in dd: acc = 1/(2K+1); acc = acc·t + 1/(2k+1) for k = K−1 … 0
    let ah = 1 / 61;
    let al = 0;
    for (let k = 29; k >= 0; k--) {
      // acc·t
      twoProd(ah, th, tmp);
      let ph = tmp[0];
      let pl = tmp[1] + (ah * tl + al * th);
      let q = ph + pl;
      pl = pl - (q - ph);
      ph = q;
      // + 1/(2k+1) as a double-double
      const d = 2 * k + 1;
      const rh = 1 / d;
      twoProd(rh, d, tmp);
      const rl = (1 - tmp[0] - tmp[1]) / d;
      const sum = ph + rh;
      const bb = sum - ph;
      const err = (ph - (sum - bb)) + (rh - bb);
      const low = err + pl + rl;
      q = sum + low;
      al = low - (q - sum);
      ah = q;
    }
    // log c = 2·s·acc
    twoProd(sh, ah, tmp);
    let rh = tmp[0];
    let rl = tmp[1] + (sh * al + sl * ah);
    const r = rh + rl;
    rl = rl - (r - rh);
    rh = r;
    LOGC_HI[j - TABLE_LO] = 2 * rh;
    LOGC_LO[j - TABLE_LO] = 2 * rl;
  }
}
buildTable();

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE ? 1 : 0;
/** POW2[k] = 2^(k − 1023) for k = 0 … 2046 (2^-1023 is subnormal but exact). */
const POW2 = Float64Array.from({ length: 2047 }, (_, k) => 2 ** (k - 1023));

/**
 * Correctly rounded natural logarithm (see the file comment). Special values as `Math.log`. The error-free
 * transformations are written out inline on locals (no scratch arrays): this runs once per pair of normals.
 */
export function exactLog(x: number): number {
  if (!(x > 0) || x === Infinity) return Math.log(x);
  let e = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984; // 2^54: subnormal → normal
    e = -54;
  }
  f64[0] = x;
  const ex = ((u32[HI] >>> 20) & 0x7ff) - 1023;
  // m = x·2^-ex, exact (scaling by a power of two into [1, 2)); cheaper than writing the exponent bits back.
  let m = x * POW2[1023 - ex];
  e += ex;
  if (m > Math.SQRT2) {
    m *= 0.5;
    e += 1;
  }
  // round((m − 1)·128): (m − 1)·128 is exact with at most 46 fraction bits, so adding 0.5 is exact too and
  // floor(· + 0.5) is Math.round (which V8 compiles to a slower sequence).
  const j = Math.floor((m - 1) * 128 + 0.5);
  const c = 1 + j / 128;
  // s = (m − c)/(m + c) as a double-double; m − c is exact (Sterbenz), m + c via TwoSum.
  const num = m - c;
  const dh = m + c;
  const bb = dh - m;
  const dlo = (m - (dh - bb)) + (c - bb);
  const sh = num / dh;
  // sh·dh = p + pe exactly (Dekker's product, as twoProd).
  const p = sh * dh;
  let t = SPLITTER * sh;
  const ah = t - (t - sh);
  const al = sh - ah;
  t = SPLITTER * dh;
  const bh = t - (t - dh);
  const bl = dh - bh;
  const pe = al * bl - (((p - ah * bh) - al * bh) - ah * bl);
  const sl = (num - p - pe - sh * dlo) / dh;
  const s2 = sh * sh;
  // 2·atanh(s) = 2s + 2s³(1/3 + s²/5 + s⁴/7); the cubic part is tiny and needs no extra precision.
  const cubic = 2 * sh * s2 * (1 / 3 + s2 * (1 / 5 + s2 * (1 / 7)));
  const idx = j - TABLE_LO;
  // Big parts: A = e·LN2_HI (exact), B = log c (hi), C = 2·sh (exact). Sum them without error.
  const A = e * LN2_HI;
  const B = LOGC_HI[idx];
  const C = 2 * sh;
  let s1 = A + B;
  let bv = s1 - A;
  const e1 = (A - (s1 - bv)) + (B - bv);
  const s2b = s1 + C;
  bv = s2b - s1;
  const e2 = (s1 - (s2b - bv)) + (C - bv);
  s1 = s2b;
  const low = e1 + e2 + (e * LN2_LO + LOGC_LO[idx] + 2 * sl + cubic);
  return s1 + low;
}
