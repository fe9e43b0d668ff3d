/** Test helpers that edit ONNX model bytes at the protobuf level. */
import { ProtoReader, WIRE_LEN, bytesField, concatBytes, stringField, varintField } from '../../../src/core/onnx/protobuf';

/** The model bytes with the named graph outputs (GraphProto field 12) removed; everything else byte for byte. */
export function dropGraphOutputs(model: Uint8Array, names: string[]): Uint8Array {
  const drop = new Set(names);
  const top = ProtoReader.of(model);
  const parts: Uint8Array[] = [];
  let found = 0;
  while (!top.done) {
    const start = top.pos;
    const { field, wire } = top.tag();
    if (field !== 7 || wire !== WIRE_LEN) {
      top.skip(wire);
      parts.push(model.subarray(start, top.pos));
      continue;
    }
    const graph = top.bytes();
    const g = ProtoReader.of(graph);
    const kept: Uint8Array[] = [];
    while (!g.done) {
      const s = g.pos;
      const t = g.tag();
      if (t.field === 12 && t.wire === WIRE_LEN) {
        const vi = g.bytes();
        const r = ProtoReader.of(vi);
        let name = '';
        while (!r.done) {
          const u = r.tag();
          if (u.field === 1) name = r.string();
          else r.skip(u.wire);
        }
        if (drop.has(name)) {
          found++;
          continue;
        }
      } else g.skip(t.wire);
      kept.push(graph.subarray(s, g.pos));
    }
    parts.push(bytesField(7, concatBytes(kept)));
  }
  if (found !== drop.size) throw new Error(`dropGraphOutputs: found ${found} of ${drop.size} outputs`);
  return concatBytes(parts);
}

/** A deterministic pseudo-random float32 array (xorshift), values in [lo, hi). */
export function randomFloats(n: number, seed = 1, lo = -2, hi = 2.5): Float32Array {
  let x = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = lo + ((x >>> 8) / 2 ** 24) * (hi - lo);
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export interface RawTensor {
  name: string;
  /** TensorProto.DataType */
  dataType: number;
  dims: number[];
  /** Little-endian element bytes (raw_data). */
  raw: Uint8Array;
}

/** The model bytes with extra initializers (e.g. int8 ones, which tiny-onnx cannot write) appended to the graph. */
export function withInitializers(model: Uint8Array, tensors: RawTensor[]): Uint8Array {
  const top = ProtoReader.of(model);
  const parts: Uint8Array[] = [];
  while (!top.done) {
    const start = top.pos;
    const { field, wire } = top.tag();
    if (field !== 7 || wire !== WIRE_LEN) {
      top.skip(wire);
      parts.push(model.subarray(start, top.pos));
      continue;
    }
    const graph = top.bytes();
    const inits = tensors.map((t) =>
      bytesField(5, concatBytes([...t.dims.map((d) => varintField(1, d)), varintField(2, t.dataType), stringField(8, t.name), bytesField(9, t.raw)])),
    );
    parts.push(bytesField(7, concatBytes([graph, ...inits])));
  }
  return concatBytes(parts);
}
