import type { ModelFileFacts } from '../core/card-proposal';
import { inWorker } from './analysis-client';

export type { ModelFileFacts } from '../core/card-proposal';

// One read per picked file, shared by the card editor, the library and the run (a model can be 100 MB); the bytes
// themselves are not kept.
const memo = new WeakMap<Blob, Promise<ModelFileFacts>>();

/**
 * The model's sha256 and the card its graph suggests, worked out in an analysis worker: parsing a 100 MB ResNet-50
 * protobuf on the main thread was a 0.4–0.5 s task right after Run (`npm run bench`).
 */
export function modelFileFacts(file: File): Promise<ModelFileFacts> {
  let facts = memo.get(file);
  if (!facts) {
    facts = inWorker(undefined, (api) => api.modelFileFacts(file));
    memo.set(file, facts);
    // A failure (the file went away) is not remembered: the next ask reads again.
    facts.catch(() => memo.delete(file));
  }
  return facts;
}
