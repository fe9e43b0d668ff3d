/**
 * A minimal protobuf wire-format reader and writer, enough for ONNX ModelProto.
 *
 * Pure TypeScript on Uint8Array/DataView/TextDecoder only, so it runs in browsers, web workers and Node.
 * Length-delimited payloads are returned as subarray views of the input (no copies), so reading a model of
 * hundreds of megabytes only touches the small messages around its weights.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

export class ProtobufError extends Error {}

const utf8 = new TextDecoder('utf-8');
const TWO_32 = 4294967296;

/** Reads the fields of one message from `buf[start, end)`. */
export class ProtoReader {
  pos: number;
  private readonly view: DataView;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    if (start < 0 || end > buf.length || start > end) throw new ProtobufError(`bad message range [${start}, ${end}) of ${buf.length} bytes`);
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** A reader over a length-delimited payload, positioned at its start (the payload is a view, not a copy). */
  static of(payload: Uint8Array): ProtoReader {
    return new ProtoReader(payload, 0, payload.length);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field key: field number and wire type. */
  tag(): { field: number; wire: number } {
    const key = this.varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw new ProtobufError(`field number 0 at byte ${this.pos}`);
    return { field, wire };
  }

  /**
   * A varint as a JavaScript number: unsigned values below 2^64, and int64/int32 values (negative ones are
   * written sign-extended in 10 bytes) as signed. Exact while |value| < 2^53 (every ONNX dim, index and count).
   */
  varint(): number {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    let b: number;
    // Low 28 bits.
    for (; shift < 28; shift += 7) {
      b = this.byte();
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return lo >>> 0;
    }
    // Byte 5 straddles the 32-bit boundary: 4 bits to lo, 3 bits to hi.
    b = this.byte();
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      for (shift = 3; shift < 32; shift += 7) {
        b = this.byte();
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
      if (b >= 0x80) throw new ProtobufError(`varint longer than 10 bytes at byte ${this.pos}`);
    }
    lo >>>= 0;
    hi >>>= 0;
    if (hi & 0x80000000) {
      // Negative int64 in two's complement.
      const nlo = ~lo >>> 0;
      const nhi = ~hi >>> 0;
      return -(nhi * TWO_32 + nlo + 1);
    }
    return hi * TWO_32 + lo;
  }

  /** A varint as an exact BigInt (unsigned 64-bit), for the rare value that does not fit 2^53. */
  varintBig(): bigint {
    let v = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
    throw new ProtobufError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  fixed32Float(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  fixed64Double(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length-delimited payload as a view into the input buffer. */
  bytes(): Uint8Array {
    const len = this.varint();
    this.need(len);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  /** Skips a field's value of the given wire type. */
  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        while (this.byte() >= 0x80);
        return;
      case WIRE_FIXED64:
        this.need(8);
        this.pos += 8;
        return;
      case WIRE_LEN: {
        const len = this.varint();
        this.need(len);
        this.pos += len;
        return;
      }
      case WIRE_FIXED32:
        this.need(4);
        this.pos += 4;
        return;
      case WIRE_START_GROUP: {
        for (;;) {
          const t = this.tag();
          if (t.wire === WIRE_END_GROUP) return;
          this.skip(t.wire);
        }
      }
      default:
        throw new ProtobufError(`unsupported wire type ${wire} at byte ${this.pos}`);
    }
  }

  /** Appends the values of a repeated varint field, packed (wire type 2) or not (wire type 0). */
  repeatedVarint(wire: number, into: number[]): void {
    if (wire === WIRE_VARINT) {
      into.push(this.varint());
      return;
    }
    if (wire !== WIRE_LEN) throw new ProtobufError(`repeated varint field with wire type ${wire}`);
    const len = this.varint();
    this.need(len);
    const end = this.pos + len;
    while (this.pos < end) into.push(this.varint());
    if (this.pos !== end) throw new ProtobufError('packed varints overrun their length');
  }

  /** Appends the values of a repeated float field, packed (wire type 2) or not (wire type 5). */
  repeatedFloat(wire: number, into: number[]): void {
    if (wire === WIRE_FIXED32) {
      into.push(this.fixed32Float());
      return;
    }
    if (wire !== WIRE_LEN) throw new ProtobufError(`repeated float field with wire type ${wire}`);
    const len = this.varint();
    if (len % 4 !== 0) throw new ProtobufError(`packed floats of ${len} bytes`);
    this.need(len);
    for (let end = this.pos + len; this.pos < end; this.pos += 4) into.push(this.view.getFloat32(this.pos, true));
  }

  /** Appends the values of a repeated double field, packed (wire type 2) or not (wire type 1). */
  repeatedDouble(wire: number, into: number[]): void {
    if (wire === WIRE_FIXED64) {
      into.push(this.fixed64Double());
      return;
    }
    if (wire !== WIRE_LEN) throw new ProtobufError(`repeated double field with wire type ${wire}`);
    const len = this.varint();
    if (len % 8 !== 0) throw new ProtobufError(`packed doubles of ${len} bytes`);
    this.need(len);
    for (let end = this.pos + len; this.pos < end; this.pos += 8) into.push(this.view.getFloat64(this.pos, true));
  }

  private byte(): number {
    if (this.pos >= this.end) throw new ProtobufError(`truncated message at byte ${this.pos}`);
    return this.buf[this.pos++];
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new ProtobufError(`truncated message: ${n} bytes needed at byte ${this.pos}, message ends at ${this.end}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Writing

/** The varint encoding of a non-negative integer below 2^53, or of a negative int64 (10 bytes, sign-extended). */
export function encodeVarint(n: number): Uint8Array {
  if (!Number.isInteger(n)) throw new ProtobufError(`varint of non-integer ${n}`);
  if (n < 0) {
    let v = BigInt(n) + (1n << 64n);
    const out = new Uint8Array(10);
    for (let i = 0; i < 10; i++) {
      out[i] = Number(v & 0x7fn) | (i < 9 ? 0x80 : 0);
      v >>= 7n;
    }
    return out;
  }
  if (n > Number.MAX_SAFE_INTEGER) throw new ProtobufError(`varint ${n} above 2^53`);
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Uint8Array.from(out);
}

/** Concatenates byte parts into one new buffer. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const encodeTag = (field: number, wire: number): Uint8Array => encodeVarint(field * 8 + wire);
export const varintField = (field: number, v: number): Uint8Array => concatBytes([encodeTag(field, WIRE_VARINT), encodeVarint(v)]);
export const bytesField = (field: number, payload: Uint8Array): Uint8Array =>
  concatBytes([encodeTag(field, WIRE_LEN), encodeVarint(payload.length), payload]);
export const stringField = (field: number, s: string): Uint8Array => bytesField(field, new TextEncoder().encode(s));
export const floatField = (field: number, v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return concatBytes([encodeTag(field, WIRE_FIXED32), b]);
};
/** A packed repeated varint field (proto3 style; proto2 parsers accept it too). */
export const packedVarintField = (field: number, vs: readonly number[]): Uint8Array => bytesField(field, concatBytes(vs.map(encodeVarint)));
export const packedFloatField = (field: number, vs: readonly number[]): Uint8Array => {
  const b = new Uint8Array(vs.length * 4);
  const dv = new DataView(b.buffer);
  vs.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  return bytesField(field, b);
};
