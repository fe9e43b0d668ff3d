/**
 * Where a large text export (the per-image JSONL: over 500 MB for the full ImageNet-C) is written, a chunk of bytes
 * at a time, so no part of it is ever one big string or one big buffer in the page.
 *
 * - `fileSink`: a file of the Origin Private File System written through a FileSystemWritableFileStream. Each chunk
 *   goes to disk as it is written, and the finished file is a disk-backed File that downloads through an object
 *   URL like any Blob. Chromium keeps an in-memory Blob's bytes in the renderer until the browser process pulls them
 *   (and then in the browser process up to its in-memory limit): 850 MB of Blob parts measured 1.76 GB of renderer
 *   RSS; the file keeps both processes flat. No picker, no user gesture: the ordinary download follows.
 * - `memorySink`: Blob parts in memory, where OPFS cannot be written (other browsers' pages, full storage, Node).
 */

/** Chunks of bytes in, one Blob out. */
export interface ByteSink {
  /** Takes the bytes (the caller may reuse the array once the promise resolves). */
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<Blob>;
  abort(): Promise<void>;
}

/** A failure of the sink itself (not of what is written): the caller may start again with another sink. */
export class SinkError extends Error {}

export function memorySink(type: string): ByteSink {
  const parts: Blob[] = [];
  return {
    async write(bytes) {
      parts.push(new Blob([bytes.slice()])); // a copy: the caller reuses its buffer
    },
    async close() {
      return new Blob(parts, { type });
    },
    async abort() {
      parts.length = 0;
    },
  };
}

type WritableHandle = FileSystemFileHandle & { createWritable?: () => Promise<FileSystemWritableFileStream> };

/**
 * A sink writing the OPFS file `name` (replaced; the previous export's file, if any, goes with it), or null where a
 * page cannot write one. The file stays until the next export of that name replaces it: its download may still be
 * reading it.
 */
export async function fileSink(name: string, type: string): Promise<ByteSink | null> {
  let root: FileSystemDirectoryHandle;
  let stream: FileSystemWritableFileStream;
  let handle: WritableHandle;
  try {
    const dir = await (globalThis.navigator as Navigator | undefined)?.storage?.getDirectory?.();
    if (!dir) return null;
    root = dir;
    handle = (await root.getFileHandle(name, { create: true })) as WritableHandle;
    if (!handle.createWritable) return null;
    stream = await handle.createWritable();
  } catch {
    return null;
  }
  const fail = (e: unknown) => new SinkError(`could not write the export file: ${(e as Error)?.message ?? e}`);
  return {
    async write(bytes) {
      try {
        await stream.write(bytes as Uint8Array<ArrayBuffer>);
      } catch (e) {
        throw fail(e);
      }
    },
    async close() {
      try {
        await stream.close();
        const file = await handle.getFile();
        // The type travels with the download; the File's bytes stay on disk (a slice references them).
        return file.slice(0, file.size, type);
      } catch (e) {
        throw fail(e);
      }
    },
    async abort() {
      await stream.abort().catch(() => {});
      await root.removeEntry(name).catch(() => {});
    },
  };
}

/** Removes an export's OPFS file (Clear all: it is a copy of cached predictions, and can be large). */
export async function removeExportFile(name: string): Promise<void> {
  const root = await (globalThis.navigator as Navigator | undefined)?.storage?.getDirectory?.().catch(() => undefined);
  await root?.removeEntry(name).catch(() => {});
}

/**
 * Encodes lines (UTF-8, each followed by a newline) into a reused buffer whose bytes go to the sink each time it
 * fills: the page holds short-lived lines and one buffer, never the text.
 */
export class LineEncoder {
  private buf: Uint8Array;
  private used = 0;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly sink: ByteSink,
    size = 1 << 20,
  ) {
    this.buf = new Uint8Array(size);
  }

  /**
   * Adds a line. Returns a promise only when the buffer had to go to the sink first (await it); undefined otherwise,
   * so millions of lines do not cost millions of awaits.
   */
  put(line: string): Promise<void> | undefined {
    const most = line.length * 3 + 1; // UTF-8 bytes of a UTF-16 string, at most, and the newline
    if (this.used + most > this.buf.length) {
      return this.flush().then(() => {
        if (most > this.buf.length) this.buf = new Uint8Array(most);
        this.encode(line);
      });
    }
    this.encode(line);
    return undefined;
  }

  private encode(line: string): void {
    this.used += this.encoder.encodeInto(line, this.buf.subarray(this.used)).written;
    this.buf[this.used++] = 0x0a;
  }

  /** Hands what is buffered to the sink. */
  async flush(): Promise<void> {
    if (!this.used) return;
    const n = this.used;
    this.used = 0;
    await this.sink.write(this.buf.subarray(0, n));
  }
}
