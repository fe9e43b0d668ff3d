import { proposeCard, type CardProposal } from '../core/card-proposal';
import { readOnnx } from '../core/onnx/onnx-model';
import { sha256Hex } from '../core/sha256';

export interface ModelFileFacts {
  readonly sha256: string;
  /** null when the file is not an ONNX model this reader understands; `problem` says why. */
  readonly proposal: CardProposal | null;
  readonly problem?: string;
}

// One read per picked file, shared by the card editor and the library (a model can be 100 MB); the bytes
// themselves are not kept.
const memo = new WeakMap<Blob, Promise<ModelFileFacts>>();

/** The model's sha256 and the card its graph suggests. */
export function modelFileFacts(file: File): Promise<ModelFileFacts> {
  let facts = memo.get(file);
  if (!facts) {
    facts = (async () => {
      const bytes = await file.arrayBuffer();
      const sha256 = await sha256Hex(bytes);
      try {
        return { sha256, proposal: proposeCard(readOnnx(new Uint8Array(bytes)), file.name) };
      } catch (e) {
        return { sha256, proposal: null, problem: `${file.name} could not be read as ONNX: ${(e as Error).message}` };
      }
    })();
    memo.set(file, facts);
  }
  return facts;
}
