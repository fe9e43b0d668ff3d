import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fixture } from './fixtures';

/** A scratch folder outside the repository, filled from the fixtures; removed by `dispose`. */
export class TempDataset {
  readonly root: string;
  constructor(name: string) {
    this.root = join(mkdtempSync(join(tmpdir(), 'shiftlens-data-')), name);
    mkdirSync(this.root, { recursive: true });
  }
  /** Copies the first `count` class folders of a fixture folder (e.g. imagenet-c-mini/fog/3) to `to`. */
  copyClasses(from: string, to: string, count: number): this {
    const src = fixture(from);
    for (const cls of readdirSync(src).sort().slice(0, count)) {
      for (const f of readdirSync(join(src, cls))) this.copyFile(join(src, cls, f), join(to, cls, f));
    }
    return this;
  }
  copyFile(src: string, rel: string): this {
    mkdirSync(dirname(join(this.root, rel)), { recursive: true });
    copyFileSync(src, join(this.root, rel));
    return this;
  }
  write(rel: string, data: string | Uint8Array): this {
    mkdirSync(dirname(join(this.root, rel)), { recursive: true });
    writeFileSync(join(this.root, rel), data);
    return this;
  }
  dispose(): void {
    rmSync(dirname(this.root), { recursive: true, force: true });
  }
}
