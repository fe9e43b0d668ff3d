import * as Comlink from 'comlink';
import { ImageIndex } from '../src/core/image-index';
import { predictionsJsonlBlob } from '../src/engine/predictions-export';
import { prefixChunks, readPrefix } from '../src/engine/prediction-cache';
import type { ExportWorkerApi } from './protocol/export';

export type { ExportWorkerApi } from './protocol/export';

const api: ExportWorkerApi = {
  predictionsJsonl(snapshot, onProgress) {
    const index = ImageIndex.revive(snapshot.index);
    return predictionsJsonlBlob({ ...snapshot, index, chunks: (prefix) => prefixChunks(prefix), read: readPrefix }, onProgress);
  },
};

Comlink.expose(api);
