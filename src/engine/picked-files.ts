/** A file the user picked, by its path relative to (and including) the picked folder. */
export interface PickedFile {
  readonly path: string;
  readonly file: File;
}

/** `<input type=file webkitdirectory>` gives each file its path relative to the picked folder's parent. */
export function fromFileList(list: FileList | File[]): PickedFile[] {
  return Array.from(list, (file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/** A dropped folder, through the older FileSystemEntry API (works in every Chromium and Firefox). */
export async function fromDataTransfer(dt: DataTransfer): Promise<PickedFile[]> {
  const entries = Array.from(dt.items)
    .map((i) => i.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => !!e);
  const out: PickedFile[] = [];
  const readAll = (reader: FileSystemDirectoryReader) =>
    new Promise<FileSystemEntry[]>((resolve, reject) => {
      const all: FileSystemEntry[] = [];
      const next = () =>
        reader.readEntries((batch) => {
          if (batch.length === 0) resolve(all);
          else {
            all.push(...batch);
            next(); // readEntries returns at most 100 entries at a time
          }
        }, reject);
      next();
    });
  const walk = async (entry: FileSystemEntry, path: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ path, file });
    } else if (entry.isDirectory) {
      for (const child of await readAll((entry as FileSystemDirectoryEntry).createReader())) {
        await walk(child, `${path}/${child.name}`);
      }
    }
  };
  for (const e of entries) await walk(e, e.name);
  return out;
}
