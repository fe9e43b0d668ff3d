import { describe, expect, it } from 'vitest';
import {
  ProtoReader,
  ProtobufError,
  WIRE_FIXED32,
  WIRE_LEN,
  WIRE_VARINT,
  bytesField,
  concatBytes,
  encodeVarint,
  floatField,
  packedFloatField,
  packedVarintField,
  stringField,
  varintField,
} from '../../../src/core/onnx/protobuf';

const readVarint = (bytes: Uint8Array) => {
  const r = ProtoReader.of(bytes);
  const v = r.varint();
  expect(r.done).toBe(true);
  return v;
};

describe('protobuf varints', () => {
  it('round-trips small, 32-bit-boundary and 2^53 values', () => {
    for (const v of [0, 1, 127, 128, 300, 2 ** 28 - 1, 2 ** 28, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35 + 7, 1e12, Number.MAX_SAFE_INTEGER]) {
      expect(readVarint(encodeVarint(v))).toBe(v);
    }
  });

  it('reads negative int64/int32 values written sign-extended in 10 bytes', () => {
    for (const v of [-1, -2, -128, -(2 ** 31), -(2 ** 32) - 5, -Number.MAX_SAFE_INTEGER]) {
      const b = encodeVarint(v);
      expect(b.length).toBe(10);
      expect(readVarint(b)).toBe(v);
    }
    // -1 as protoc writes it
    expect(readVarint(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe(-1);
  });

  it('reads 64-bit values exactly as BigInt', () => {
    const b = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(ProtoReader.of(b).varintBig()).toBe(2n ** 64n - 1n);
  });

  it('rejects truncated and over-long varints', () => {
    expect(() => readVarint(Uint8Array.from([0x80, 0x80]))).toThrow(ProtobufError);
    expect(() => readVarint(new Uint8Array(11).fill(0x80))).toThrow(/longer than 10 bytes/);
  });
});

describe('protobuf messages', () => {
  it('reads fields, skips unknown ones, and keeps byte payloads as views', () => {
    const payload = Uint8Array.from([1, 2, 3, 4, 5]);
    const msg = concatBytes([
      varintField(1, 7),
      stringField(2, 'héllo'),
      floatField(3, 1.5),
      bytesField(4, payload),
      Uint8Array.from([0x29, 1, 2, 3, 4, 5, 6, 7, 8]), // field 5, fixed64
      packedVarintField(6, [1, 300, 2 ** 40]),
      packedFloatField(7, [0.25, -2]),
      varintField(6, 9), // the same repeated field again, unpacked
    ]);
    const r = ProtoReader.of(msg);
    const seen: Record<number, unknown> = {};
    const ints: number[] = [];
    const floats: number[] = [];
    let view: Uint8Array | undefined;
    while (!r.done) {
      const { field, wire } = r.tag();
      if (field === 1) seen[1] = r.varint();
      else if (field === 2) seen[2] = r.string();
      else if (field === 3) {
        expect(wire).toBe(WIRE_FIXED32);
        seen[3] = r.fixed32Float();
      } else if (field === 4) view = r.bytes();
      else if (field === 6) r.repeatedVarint(wire, ints);
      else if (field === 7) r.repeatedFloat(wire, floats);
      else r.skip(wire);
    }
    expect(seen).toEqual({ 1: 7, 2: 'héllo', 3: 1.5 });
    expect(ints).toEqual([1, 300, 2 ** 40, 9]);
    expect(floats).toEqual([0.25, -2]);
    expect(Array.from(view!)).toEqual([1, 2, 3, 4, 5]);
    expect(view!.buffer).toBe(msg.buffer); // a view, not a copy
  });

  it('reads unpacked repeated floats and a sub-message range', () => {
    const inner = concatBytes([varintField(1, 5)]);
    const msg = concatBytes([floatField(1, 2), floatField(1, 3), bytesField(2, inner)]);
    const r = ProtoReader.of(msg);
    const fs: number[] = [];
    let sub = 0;
    while (!r.done) {
      const { field, wire } = r.tag();
      if (field === 1) r.repeatedFloat(wire, fs);
      else if (field === 2) {
        expect(wire).toBe(WIRE_LEN);
        const s = ProtoReader.of(r.bytes());
        const t = s.tag();
        expect(t).toEqual({ field: 1, wire: WIRE_VARINT });
        sub = s.varint();
      }
    }
    expect(fs).toEqual([2, 3]);
    expect(sub).toBe(5);
  });

  it('rejects a length that runs past the end of the message', () => {
    const r = ProtoReader.of(Uint8Array.from([0x12, 10, 1, 2]));
    r.tag();
    expect(() => r.bytes()).toThrow(/truncated/);
  });
});
