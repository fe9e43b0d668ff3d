/**
 * A File System Access directory tree in memory, for Node tests of lazy listing: it counts the calls the code under
 * test makes (`getFile`, directory listings), so a test can assert that picking opens no file.
 */
export interface HandleStats {
  getFile: number;
  listings: number;
}

export type Tree = { [name: string]: Tree | Uint8Array };

export function fakeDirectory(name: string, tree: Tree, stats: HandleStats = { getFile: 0, listings: 0 }, lastModified = 1_700_000_000_000): FileSystemDirectoryHandle & { stats: HandleStats } {
  const make = (n: string, t: Tree): unknown => ({
    kind: 'directory',
    name: n,
    stats,
    async *values() {
      stats.listings++;
      for (const [k, v] of Object.entries(t)) yield v instanceof Uint8Array ? fileHandle(k, v) : make(k, v);
    },
    async getDirectoryHandle(k: string) {
      const v = t[k];
      if (!v || v instanceof Uint8Array) throw new DOMException(`${k} not found`, 'NotFoundError');
      return make(k, v);
    },
    async getFileHandle(k: string) {
      const v = t[k];
      if (!(v instanceof Uint8Array)) throw new DOMException(`${k} not found`, 'NotFoundError');
      return fileHandle(k, v);
    },
  });
  const fileHandle = (n: string, bytes: Uint8Array) => ({
    kind: 'file',
    name: n,
    async getFile() {
      stats.getFile++;
      return new File([bytes as Uint8Array<ArrayBuffer>], n, { lastModified });
    },
  });
  return make(name, tree) as FileSystemDirectoryHandle & { stats: HandleStats };
}
