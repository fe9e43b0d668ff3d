import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Any Python 3 reads zips (zipfile is in the standard library); Debian's first, else the one on PATH. */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface PyZipEntry {
  name: string;
  size: number;
  compressSize: number;
  compressType: number;
  crc: number;
  headerOffset: number;
  flagBits: number;
  dateTime: number[];
  /** sha256 of the data as Python's zipfile reads it (CRC checked on the way); absent when not read. */
  sha256?: string;
}

/**
 * Lists a zip with Python's zipfile (an independent reader) and reads every entry no larger than `readLimit`
 * bytes, checking its CRC; `testzip` = zipfile.testzip() over all entries.
 */
export function readZipWithPython(path: string, opts: { readLimit?: number; testzip?: boolean } = {}): { entries: PyZipEntry[]; testzip: string | null; zip64EndRecord: boolean } {
  const script = `
import hashlib, json, sys, zipfile
path, limit, test = sys.argv[1], int(sys.argv[2]), sys.argv[3] == '1'
with zipfile.ZipFile(path) as z:
    out = []
    for i in z.infolist():
        e = {'name': i.filename, 'size': i.file_size, 'compressSize': i.compress_size, 'compressType': i.compress_type,
             'crc': i.CRC, 'headerOffset': i.header_offset, 'flagBits': i.flag_bits, 'dateTime': list(i.date_time)}
        if i.file_size <= limit:
            e['sha256'] = hashlib.sha256(z.read(i)).hexdigest()
        out.append(e)
    bad = z.testzip() if test else None
with open(path, 'rb') as f:
    f.seek(0, 2); n = f.tell(); f.seek(max(0, n - 22 - 20)); tail = f.read()
print(json.dumps({'entries': out, 'testzip': bad, 'zip64EndRecord': tail[:4] == b'PK\\x06\\x07'}))
`;
  const r = spawnSync(PYTHON, ['-c', script, path, String(opts.readLimit ?? 1 << 30), opts.testzip ? '1' : '0'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python zipfile failed: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout);
}
