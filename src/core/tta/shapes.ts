/**
 * Static shape inference for the ops of ResNet-style CNNs, as much as the backward graph needs (channel and
 * spatial sizes for ConvTranspose output padding, GlobalAveragePool and the batch-norm counts). Dims are numbers,
 * or null where only known at run time (the batch). Tensors of other ops get no shape (undefined).
 */
import { tensorToFloat32, type OnnxModel, type OnnxNode } from '../onnx/onnx-model';

export type Dims = (number | null)[];

const prod = (ds: Dims): number | null => ds.reduce<number | null>((a, b) => (a === null || b === null ? null : a * b), 1);

function broadcast(a: Dims, b: Dims): Dims {
  const r = Math.max(a.length, b.length);
  const out: Dims = [];
  for (let i = 0; i < r; i++) {
    const ia = a.length - r + i;
    const ib = b.length - r + i;
    const x = ia >= 0 ? a[ia] : 1;
    const y = ib >= 0 ? b[ib] : 1;
    out.push(x === 1 ? y : y === 1 ? x : x === null ? y : x);
  }
  return out;
}

/** Conv / pooling output size along one spatial axis. */
function windowOut(size: number | null, k: number, s: number, d: number, pb: number, pe: number, ceil: boolean, autoPad: string): number | null {
  if (size === null) return null;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(size / s);
  if (autoPad === 'VALID') pb = pe = 0;
  const span = size + pb + pe - d * (k - 1) - 1;
  return (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
}

export function convLikeOutput(node: OnnxNode, x: Dims, kernel: number[], outChannels: number | null): Dims {
  const r = kernel.length;
  const a = node.attributes;
  const strides = a.strides?.ints ?? Array(r).fill(1);
  const dil = a.dilations?.ints ?? Array(r).fill(1);
  const pads = a.pads?.ints ?? Array(2 * r).fill(0);
  const ceil = (a.ceil_mode?.i ?? 0) === 1;
  const autoPad = a.auto_pad?.s ?? 'NOTSET';
  return [x[0], outChannels, ...kernel.map((k, i) => windowOut(x[2 + i], k, strides[i], dil[i], pads[i], pads[r + i], ceil, autoPad))];
}

/** Shapes of the tensors the supported ops produce, from the graph inputs and initializers. */
export function inferShapes(model: OnnxModel): Map<string, Dims> {
  const shapes = new Map<string, Dims>();
  for (const v of model.inputs) if (v.dims) shapes.set(v.name, v.dims.map((d) => (typeof d === 'number' ? d : null)));
  for (const [k, t] of model.initializers) shapes.set(k, [...t.dims]);
  const constInts = (name: string): number[] | undefined => {
    const t = model.initializers.get(name);
    return t ? Array.from(tensorToFloat32(t)) : undefined;
  };
  for (const n of model.nodes) {
    const s = n.inputs.map((i) => shapes.get(i));
    const x = s[0];
    let out: Dims | undefined;
    switch (n.opType) {
      case 'Identity':
      case 'Relu':
      case 'BatchNormalization':
      case 'Sigmoid':
      case 'Softmax':
      case 'LogSoftmax':
      case 'Dropout':
        out = x;
        break;
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
        if (x && s[1]) out = broadcast(x, s[1]);
        break;
      case 'Conv':
        if (x && s[1]) out = convLikeOutput(n, x, n.attributes.kernel_shape?.ints ?? (s[1].slice(2) as number[]), s[1][0]);
        break;
      case 'MaxPool':
      case 'AveragePool':
        if (x && n.attributes.kernel_shape?.ints) out = convLikeOutput(n, x, n.attributes.kernel_shape.ints, x[1]);
        break;
      case 'GlobalAveragePool':
      case 'GlobalMaxPool':
        if (x) out = [x[0], x[1], ...x.slice(2).map(() => 1)];
        break;
      case 'Flatten': {
        if (!x) break;
        let axis = n.attributes.axis?.i ?? 1;
        if (axis < 0) axis += x.length;
        out = [prod(x.slice(0, axis)), prod(x.slice(axis))];
        break;
      }
      case 'Reshape': {
        const target = constInts(n.inputs[1]);
        if (!x || !target) break;
        const dims: Dims = target.map((d, i) => (d === 0 && !n.attributes.allowzero?.i ? x[i] : d));
        const known = prod(x);
        const minus = dims.indexOf(-1);
        if (minus >= 0) {
          const rest = prod(dims.filter((_, i) => i !== minus));
          dims[minus] = known !== null && rest !== null ? known / rest : null;
        }
        out = dims;
        break;
      }
      case 'Gemm': {
        const b = s[1];
        if (!x || !b) break;
        const m = n.attributes.transA?.i ? x[1] : x[0];
        const k = n.attributes.transB?.i ? b[0] : b[1];
        out = [m, k];
        break;
      }
      case 'MatMul': {
        const b = s[1];
        if (!x || !b || b.length !== 2) break;
        out = [...x.slice(0, -1), b[1]];
        break;
      }
    }
    if (out) shapes.set(n.outputs[0], out);
  }
  return shapes;
}
