/**
 * The per-image export's byte sinks (src/engine/jsonl-sink.ts): lines encoded into a reused buffer handed over in
 * chunks of at most its size, the OPFS file way (a fake file system here) and the in-memory fallback.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LineEncoder, SinkError, fileSink, memorySink, type ByteSink } from '../../src/engine/jsonl-sink';

/** A sink that records the size of every chunk and copies its bytes (the encoder reuses its buffer). */
function recording(): ByteSink & { chunks: number[]; bytes: () => Uint8Array } {
  const got: Uint8Array[] = [];
  const chunks: number[] = [];
  return {
    chunks,
    bytes: () => {
      const out = new Uint8Array(got.reduce((s, b) => s + b.length, 0));
      let at = 0;
      for (const b of got) {
        out.set(b, at);
        at += b.length;
      }
      return out;
    },
    async write(b) {
      chunks.push(b.length);
      got.push(b.slice());
    },
    async close() {
      return new Blob(got as BlobPart[]);
    },
    async abort() {},
  };
}

/** A fake OPFS root whose writable streams keep their chunks (copied) and fail on write number `failAt`. */
function fakeOpfs(failAt = Infinity) {
  const files = new Map<string, Uint8Array[]>();
  let writes = 0;
  const root = {
    async getFileHandle(name: string) {
      return {
        async createWritable() {
          const chunks: Uint8Array[] = [];
          return {
            async write(b: Uint8Array) {
              if (++writes >= failAt) throw new DOMException('quota', 'QuotaExceededError');
              chunks.push(b.slice());
            },
            async close() {
              files.set(name, chunks);
            },
            async abort() {},
          };
        },
        async getFile() {
          return new File((files.get(name) ?? []) as BlobPart[], name);
        },
      };
    },
    async removeEntry(name: string) {
      files.delete(name);
    },
  };
  return { root, files };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('LineEncoder', () => {
  it('hands the sink chunks no larger than its buffer, and the bytes are the lines, non-ASCII included', async () => {
    const sink = recording();
    const enc = new LineEncoder(sink, 64);
    const lines = Array.from({ length: 100 }, (_, i) => `{"path":"çà/ü${'é'.repeat(i % 7)}${i}.JPEG"}`);
    for (const l of lines) await enc.put(l);
    await enc.flush();
    expect(new TextDecoder().decode(sink.bytes())).toBe(lines.map((l) => `${l}\n`).join(''));
    expect(Math.max(...sink.chunks)).toBeLessThanOrEqual(64);
    expect(sink.chunks.length).toBeGreaterThan(10);
  });

  it('returns a promise only when the buffer went to the sink', async () => {
    const sink = recording();
    const enc = new LineEncoder(sink, 16);
    expect(enc.put('abc')).toBeUndefined();
    const p = enc.put('0123456789abcdef');
    expect(p).toBeInstanceOf(Promise);
    await p;
    await enc.flush();
    expect(new TextDecoder().decode(sink.bytes())).toBe('abc\n0123456789abcdef\n');
  });
});

describe('sinks', () => {
  it('memory: Blob parts joined, with the type', async () => {
    const s = memorySink('application/x-ndjson');
    const buf = new TextEncoder().encode('a\n');
    await s.write(buf);
    buf[0] = 0x62; // reused by the caller: the sink kept a copy
    await s.write(buf);
    const blob = await s.close();
    expect(blob.type).toBe('application/x-ndjson');
    expect(await blob.text()).toBe('a\nb\n');
  });

  it('file: null without OPFS; with it, the written file read back; a failed write is a SinkError', async () => {
    expect(await fileSink('x.jsonl', 't')).toBeNull();
    const ok = fakeOpfs();
    vi.stubGlobal('navigator', { storage: { getDirectory: async () => ok.root } });
    const s = (await fileSink('x.jsonl', 'application/x-ndjson'))!;
    await s.write(new TextEncoder().encode('one\n'));
    await s.write(new TextEncoder().encode('two\n'));
    const blob = await s.close();
    expect(await blob.text()).toBe('one\ntwo\n');
    expect(blob.type).toBe('application/x-ndjson');

    vi.stubGlobal('navigator', { storage: { getDirectory: async () => fakeOpfs(2).root } });
    const bad = (await fileSink('y.jsonl', 't'))!;
    await bad.write(new TextEncoder().encode('one\n'));
    await expect(bad.write(new TextEncoder().encode('two\n'))).rejects.toBeInstanceOf(SinkError);
  });
});
