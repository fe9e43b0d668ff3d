/**
 * A streaming zip writer for already-compressed data (JPEGs): every entry is STORED (method 0) with its CRC-32,
 * names are UTF-8 (flag bit 11), and ZIP64 records are written where the classic fields overflow — an entry of
 * 4 GiB or more, a local header beyond 4 GiB, more than 65 534 entries, or a central directory past 4 GiB.
 *
 * Headers go to a sink as small Uint8Arrays and each entry's data is passed through untouched (a Blob in the
 * browser, bytes in Node), so a `new Blob(parts)` of the output never copies the data into one big buffer. Pure:
 * no DOM, no Node APIs.
 */
import { crc32 } from './crc32';

export interface ZipEntryMeta {
  /** Path inside the archive, `/`-separated, relative (no leading `/`, no `..`). */
  readonly name: string;
  /** Byte length of the data. */
  readonly size: number;
  /** CRC-32 of the data. */
  readonly crc32: number;
  /** Defaults to the writer's `modified`. */
  readonly modified?: Date;
}

export interface ZipWriterOptions {
  /** 'auto' (default): ZIP64 records only where needed; 'always': on every entry and the end record (tests). */
  readonly zip64?: 'auto' | 'always';
  /** Modification time of entries that give none (zip stores local time, 2-second resolution, from 1980). */
  readonly modified?: Date;
}

const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;
const VERSION_20 = 20;
const VERSION_ZIP64 = 45;
const MADE_BY_UNIX = 3 << 8;
const FLAG_UTF8 = 0x0800;
const UNIX_FILE_MODE = 0o100644;

const encoder = new TextEncoder();

interface CentralRecord {
  readonly name: Uint8Array;
  readonly size: number;
  readonly crc: number;
  readonly time: number;
  readonly date: number;
  readonly offset: number;
}

/** MS-DOS date and time of a Date's local time, clamped to 1980-01-01 … 2107-12-31. */
export function dosDateTime(d: Date): { date: number; time: number } {
  const y = d.getFullYear();
  if (y < 1980) return { date: (1 << 5) | 1, time: 0 };
  if (y > 2107) return { date: (127 << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29 };
  return {
    date: ((y - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
  };
}

function checkName(name: string): Uint8Array {
  const parts = name.split('/');
  if (!name || name.startsWith('/') || name.includes('\\') || parts.some((p) => p === '..' || p === '.' || p === '')) {
    throw new Error(`zip: bad entry name ${JSON.stringify(name)} (want a relative a/b/c path)`);
  }
  const bytes = encoder.encode(name);
  if (bytes.length > U16_MAX) throw new Error(`zip: entry name longer than 65535 bytes`);
  return bytes;
}

class Bytes {
  readonly buf: Uint8Array;
  private readonly view: DataView;
  private at = 0;
  constructor(length: number) {
    this.buf = new Uint8Array(length);
    this.view = new DataView(this.buf.buffer);
  }
  u16(v: number): this {
    this.view.setUint16(this.at, v, true);
    this.at += 2;
    return this;
  }
  u32(v: number): this {
    this.view.setUint32(this.at, v >>> 0, true);
    this.at += 4;
    return this;
  }
  u64(v: number): this {
    this.view.setBigUint64(this.at, BigInt(v), true);
    this.at += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.buf.set(b, this.at);
    this.at += b.length;
    return this;
  }
  done(): Uint8Array {
    if (this.at !== this.buf.length) throw new Error(`zip: internal record length ${this.at} ≠ ${this.buf.length}`);
    return this.buf;
  }
}

export class ZipWriter<P = Uint8Array> {
  private offset = 0;
  private readonly central: CentralRecord[] = [];
  private readonly names = new Set<string>();
  private finished = false;
  private readonly always: boolean;
  private readonly modified: Date;

  constructor(
    private readonly sink: (part: Uint8Array | P) => void,
    options: ZipWriterOptions = {},
  ) {
    this.always = options.zip64 === 'always';
    this.modified = options.modified ?? new Date();
  }

  /** Bytes written so far. */
  get size(): number {
    return this.offset;
  }

  get entries(): number {
    return this.central.length;
  }

  /** Adds an entry whose size and CRC-32 are known; `data` goes to the sink as it is (it must be `meta.size` bytes). */
  add(meta: ZipEntryMeta, data: P | Uint8Array): void {
    if (this.finished) throw new Error('zip: add after finish');
    if (!Number.isSafeInteger(meta.size) || meta.size < 0) throw new Error(`zip: bad size ${meta.size} for ${meta.name}`);
    if (data instanceof Uint8Array && data.length !== meta.size) throw new Error(`zip: ${meta.name} has ${data.length} bytes, not ${meta.size}`);
    const name = checkName(meta.name);
    if (this.names.has(meta.name)) throw new Error(`zip: duplicate entry ${meta.name}`);
    this.names.add(meta.name);
    const { date, time } = dosDateTime(meta.modified ?? this.modified);
    const big = this.always || meta.size >= U32_MAX;
    const local = new Bytes(30 + name.length + (big ? 20 : 0))
      .u32(0x04034b50)
      .u16(big ? VERSION_ZIP64 : VERSION_20)
      .u16(FLAG_UTF8)
      .u16(0) // STORED
      .u16(time)
      .u16(date)
      .u32(meta.crc32)
      .u32(big ? U32_MAX : meta.size)
      .u32(big ? U32_MAX : meta.size)
      .u16(name.length)
      .u16(big ? 20 : 0)
      .bytes(name);
    if (big) local.u16(0x0001).u16(16).u64(meta.size).u64(meta.size);
    this.central.push({ name, size: meta.size, crc: meta.crc32 >>> 0, time, date, offset: this.offset });
    this.emit(local.done());
    this.sink(data);
    this.offset += meta.size;
  }

  /** Adds bytes held in memory (the CRC is computed here). */
  addBytes(name: string, bytes: Uint8Array, modified?: Date): void {
    this.add({ name, size: bytes.length, crc32: crc32(bytes), modified }, bytes);
  }

  /** Writes the central directory and the end records; returns the archive's total size. */
  finish(): number {
    if (this.finished) throw new Error('zip: finish called twice');
    this.finished = true;
    const cdOffset = this.offset;
    for (const e of this.central) {
      const sizeBig = this.always || e.size >= U32_MAX;
      const offsetBig = this.always || e.offset >= U32_MAX;
      const extraLen = sizeBig || offsetBig ? 4 + (sizeBig ? 16 : 0) + (offsetBig ? 8 : 0) : 0;
      const rec = new Bytes(46 + e.name.length + extraLen)
        .u32(0x02014b50)
        .u16(MADE_BY_UNIX | (extraLen ? VERSION_ZIP64 : VERSION_20))
        .u16(extraLen ? VERSION_ZIP64 : VERSION_20)
        .u16(FLAG_UTF8)
        .u16(0)
        .u16(e.time)
        .u16(e.date)
        .u32(e.crc)
        .u32(sizeBig ? U32_MAX : e.size)
        .u32(sizeBig ? U32_MAX : e.size)
        .u16(e.name.length)
        .u16(extraLen)
        .u16(0) // comment
        .u16(0) // disk
        .u16(0) // internal attributes
        .u32(UNIX_FILE_MODE * 0x10000)
        .u32(offsetBig ? U32_MAX : e.offset)
        .bytes(e.name);
      if (extraLen) {
        rec.u16(0x0001).u16(extraLen - 4);
        if (sizeBig) rec.u64(e.size).u64(e.size);
        if (offsetBig) rec.u64(e.offset);
      }
      this.emit(rec.done());
    }
    const cdSize = this.offset - cdOffset;
    const count = this.central.length;
    const zip64 = this.always || count >= U16_MAX || cdSize >= U32_MAX || cdOffset >= U32_MAX;
    if (zip64) {
      const eocd64At = this.offset;
      this.emit(
        new Bytes(56)
          .u32(0x06064b50)
          .u64(44)
          .u16(MADE_BY_UNIX | VERSION_ZIP64)
          .u16(VERSION_ZIP64)
          .u32(0)
          .u32(0)
          .u64(count)
          .u64(count)
          .u64(cdSize)
          .u64(cdOffset)
          .done(),
      );
      this.emit(new Bytes(20).u32(0x07064b50).u32(0).u64(eocd64At).u32(1).done());
    }
    this.emit(
      new Bytes(22)
        .u32(0x06054b50)
        .u16(0)
        .u16(0)
        .u16(zip64 ? U16_MAX : count)
        .u16(zip64 ? U16_MAX : count)
        .u32(zip64 ? U32_MAX : cdSize)
        .u32(zip64 ? U32_MAX : cdOffset)
        .u16(0)
        .done(),
    );
    return this.offset;
  }

  private emit(bytes: Uint8Array): void {
    this.sink(bytes);
    this.offset += bytes.length;
  }
}
