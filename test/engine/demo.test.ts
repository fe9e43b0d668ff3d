import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DemoAssetError, loadDemoAssets } from '../../src/engine/demo';
import { PROJECT_ROOT } from '../support/fixtures';

const BASE = new URL('https://app.test/demo/');
const served = (path: string) => readFileSync(join(PROJECT_ROOT, 'public/demo', path));

/** A fetch that serves public/demo, with `tamper` changing one file's bytes or failing. */
function fakeFetch(tamper: (path: string, bytes: Buffer) => Buffer | Error = (_, b) => b) {
  return async (url: string) => {
    const path = url.slice(BASE.href.length);
    const out = tamper(path, served(path));
    if (out instanceof Error) throw out;
    return new Response(new Uint8Array(out));
  };
}

/** Loading the demo checks every file against the manifest: a damaged cache or deployment is named, never used. */
describe('demo assets', () => {
  it('a damaged model file is refused with its name', async () => {
    const load = loadDemoAssets(BASE, fakeFetch((p, b) => (p.endsWith('.onnx') ? Buffer.concat([b.subarray(0, b.length - 1), Buffer.from([b[b.length - 1] ^ 1])]) : b)));
    await expect(load).rejects.toThrow(DemoAssetError);
    await expect(load).rejects.toThrow(/mobilenetv2-12-int8\.onnx is damaged/);
  });

  it('a missing clean image (HTTP 404) is named', async () => {
    const fetch404 = async (url: string) => (url.includes('/clean/n01630670/') ? new Response('no', { status: 404 }) : fakeFetch()(url));
    await expect(loadDemoAssets(BASE, fetch404)).rejects.toThrow(/clean\/n01630670\/n01630670_common_newt\.JPEG: HTTP 404/);
  });

  it('no network and no cache: says the demo is cached after one visit', async () => {
    await expect(loadDemoAssets(BASE, fakeFetch(() => new TypeError('Failed to fetch')))).rejects.toThrow(/cached after one visit/);
  });

  it('the quick demo loads (and checks) only its 10 originals; a manifest without one says so', async () => {
    // The frost textures come after the originals and need the browser's image decoder: a 404 for them ends the
    // load here, after every original it wanted was fetched and checked.
    const asking = (size?: 'quick' | 'full') => {
      const asked: string[] = [];
      const f = async (url: string) => {
        const path = url.slice(BASE.href.length);
        asked.push(path);
        return path.startsWith('frost/') ? new Response('no', { status: 404 }) : fakeFetch()(url);
      };
      return { asked, load: loadDemoAssets(BASE, f, size) };
    };
    const manifest = JSON.parse(served('manifest.json').toString('utf8'));
    const quick = asking('quick');
    await expect(quick.load).rejects.toThrow(/frost\/.*HTTP 404/);
    expect(quick.asked.filter((p) => p.startsWith('clean/')).sort()).toEqual([...manifest.quick.clean].sort());
    expect(manifest.quick.clean).toHaveLength(10);
    const full = asking();
    await expect(full.load).rejects.toThrow(/HTTP 404/);
    expect(full.asked.filter((p) => p.startsWith('clean/'))).toHaveLength(50);
    const old = fakeFetch((p, b) => {
      if (p !== 'manifest.json') return b;
      const m = JSON.parse(b.toString('utf8'));
      delete m.quick;
      return Buffer.from(JSON.stringify(m));
    });
    await expect(loadDemoAssets(BASE, old, 'quick')).rejects.toThrow(/no quick version .* run the full demo/);
  });

  it('a foreign manifest is refused', async () => {
    await expect(loadDemoAssets(BASE, fakeFetch((p, b) => (p === 'manifest.json' ? Buffer.from('{"schema":"other"}') : b)))).rejects.toThrow(/manifest\.json is not usable/);
  });
});
