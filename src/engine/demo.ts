/**
 * The embedded demo (issue 14): loads public/demo/ (model, card, labels, frost textures, 50 clean originals),
 * checks every file against the manifest's sha256 (a damaged cache or a half-updated deployment gets a clear message,
 * not wrong numbers), and corrupts the originals with all 19 corruptions × 5 severities in workers.
 *
 * `DemoRun` is the demo's small state machine (loading → generating → evaluating → done/error) that the view
 * subscribes to; the evaluation itself is the app's ordinary run, passed in as `evaluate`.
 */
import { CORRUPTIONS, SEVERITIES } from '../core/corruption-catalog';
import { checkDemoResult, demoSelection, parseDemoManifest, type DemoCheck, type DemoManifest, type DemoSize } from '../core/demo';
import { discoverClean } from '../core/dataset-discovery';
import type { ResultDocument } from '../core/result-document';
import { sha256Hex } from '../core/sha256';
import { FileListSource } from './dataset-source';
import { loadFrostTextureFiles, type LoadedFrostTextures } from './frost-texture-files';
import { generateSet, GENERATED_ROOT, type GenerateProgress } from './generate-set';
import type { PickedFile } from './picked-files';

/** Where the demo's files are served (public/demo/ → /demo/ next to index.html). */
export const DEMO_BASE = 'demo/';
/** The clean originals' folder name in paths and results. */
export const DEMO_CLEAN_ROOT = 'demo-clean';

export class DemoAssetError extends Error {
  override name = 'DemoAssetError';
}

export interface DemoAssets {
  manifest: DemoManifest;
  model: File;
  cardJson: string;
  labels: { text: string; name: string };
  clean: PickedFile[];
  frost: LoadedFrostTextures;
}

type Fetch = (url: string) => Promise<Response>;

/**
 * A fixed modification time for every demo file and every image generated from them: the demo's images are the same
 * bytes on every visit, so a second run (a reload, offline) reuses the cached predictions under the app's usual
 * size + date rule instead of inferring 4,800 images again.
 */
export const DEMO_LAST_MODIFIED = Date.UTC(2026, 0, 1);

export async function loadDemoAssets(base: URL, fetchFn: Fetch = (u) => fetch(u), size: DemoSize = 'full'): Promise<DemoAssets> {
  const get = async (path: string): Promise<Uint8Array<ArrayBuffer>> => {
    let r: Response;
    try {
      r = await fetchFn(new URL(path, base).href);
    } catch (e) {
      throw new DemoAssetError(`could not load the demo file ${path} (${(e as Error).message}); the demo is cached after one visit with the network on`);
    }
    if (!r.ok) throw new DemoAssetError(`could not load the demo file ${path}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  };
  const manifestBytes = await get('manifest.json');
  let manifest: DemoManifest;
  try {
    manifest = parseDemoManifest(JSON.parse(new TextDecoder().decode(manifestBytes)));
  } catch (e) {
    throw new DemoAssetError((e as Error).message);
  }
  const checked = async (path: string): Promise<Uint8Array<ArrayBuffer>> => {
    const bytes = await get(path);
    const want = manifest.files[path];
    if (!want) throw new DemoAssetError(`the demo's manifest does not list ${path}`);
    if (bytes.length !== want.bytes || (await sha256Hex(bytes)) !== want.sha256) {
      throw new DemoAssetError(`the demo file ${path} is damaged (${bytes.length} bytes, expected ${want.bytes} with sha256 ${want.sha256.slice(0, 12)}…): reload with the network on`);
    }
    return bytes;
  };
  const file = (bytes: Uint8Array<ArrayBuffer>, name: string, type = '') => new File([bytes], name, { type, lastModified: DEMO_LAST_MODIFIED });
  const [model, card, labels] = await Promise.all([checked(manifest.model.file), checked(manifest.model.card), checked(manifest.labels)]);
  let originals: string[];
  try {
    originals = demoSelection(manifest, size).clean;
  } catch (e) {
    throw new DemoAssetError((e as Error).message);
  }
  const clean = await Promise.all(
    originals.map(async (p) => ({ path: `${DEMO_CLEAN_ROOT}/${p.split('/').slice(1).join('/')}`, file: file(await checked(p), p.split('/').pop()!, 'image/jpeg') })),
  );
  const frostFiles = await Promise.all(manifest.frost.map(async (p) => ({ path: p.split('/').pop()!, file: file(await checked(p), p.split('/').pop()!, 'image/png') })));
  const frost = await loadFrostTextureFiles(frostFiles);
  return {
    manifest,
    model: file(model, manifest.model.file),
    cardJson: new TextDecoder().decode(card),
    labels: { text: new TextDecoder().decode(labels), name: manifest.labels },
    clean,
    frost,
  };
}

export type DemoPhase = 'idle' | 'loading' | 'generating' | 'evaluating' | 'done' | 'error' | 'cancelled';

export interface DemoState {
  phase: DemoPhase;
  /** Generation progress (corrupted images made). */
  progress: GenerateProgress | null;
  message: string;
  check: DemoCheck | null;
  /** Which demo runs (or ran last). */
  size: DemoSize;
}

/** What the demo hands to the app's ordinary run. */
export interface DemoEvaluation {
  assets: DemoAssets;
  corrupted: FileListSource;
  clean: FileListSource;
  notes: string[];
}

export interface DemoDeps {
  base: URL;
  workers: number;
  /** Runs the evaluation like the Run button does and returns its result (null when it did not finish). */
  evaluate: (e: DemoEvaluation) => Promise<ResultDocument | null>;
  fetch?: Fetch;
  /** The full demo (default) or the quick one (a tenth of the images, its own reference). */
  size?: DemoSize;
}

export class DemoRun {
  private state: DemoState = { phase: 'idle', progress: null, message: '', check: null, size: 'full' };
  private readonly listeners = new Set<(s: DemoState) => void>();
  private controller: AbortController | null = null;

  get current(): DemoState {
    return this.state;
  }

  get active(): boolean {
    return this.state.phase === 'loading' || this.state.phase === 'generating' || this.state.phase === 'evaluating';
  }

  subscribe(fn: (s: DemoState) => void): () => void {
    this.listeners.add(fn);
    fn(this.state);
    return () => this.listeners.delete(fn);
  }

  private set(next: Partial<DemoState>) {
    this.state = { ...this.state, ...next };
    for (const l of this.listeners) l(this.state);
  }

  /** Stops generation (the evaluation is cancelled through the app's own Cancel). */
  cancel(): void {
    this.controller?.abort();
  }

  async start(deps: DemoDeps): Promise<void> {
    if (this.active) return;
    this.controller = new AbortController();
    const signal = this.controller.signal;
    const size = deps.size ?? 'full';
    this.set({ phase: 'loading', progress: null, message: 'loading the demo model and images', check: null, size });
    try {
      const assets = await loadDemoAssets(deps.base, deps.fetch, size);
      const clean = discoverClean(assets.clean.map((f) => ({ path: f.path, size: f.file.size })));
      const byPath = new Map(assets.clean.map((f) => [f.path, f.file]));
      this.set({ phase: 'generating', message: `corrupting ${clean.images.length} images × 19 corruptions × 5 severities` });
      const set = await generateSet(clean.images, (p) => byPath.get(p)!, {
        corruptions: CORRUPTIONS.map((c) => c.name),
        severities: [...SEVERITIES],
        baseSeed: assets.manifest.baseSeed,
        frostTextures: assets.frost.textures,
        workers: deps.workers,
        lastModified: DEMO_LAST_MODIFIED,
        signal,
        onProgress: (p) => this.set({ progress: p }),
      });
      if (set.failures.length) throw new DemoAssetError(`could not corrupt ${set.failures.map((f) => `${f.path} (${f.reason})`).join(', ')}`);
      this.set({ phase: 'evaluating', message: 'evaluating the model on the corrupted and clean images' });
      const result = await deps.evaluate({
        assets,
        corrupted: new FileListSource(set.files, GENERATED_ROOT),
        clean: new FileListSource(assets.clean, DEMO_CLEAN_ROOT),
        notes: [
          `ShiftLens ${size === 'quick' ? `quick demo: ${clean.images.length} of the ${assets.manifest.clean.length}` : `demo: the ${clean.images.length}`} DEV-C originals of public/demo corrupted in the browser with all 19 corruptions × 5 severities, base seed ${assets.manifest.baseSeed}, the official frost textures (${assets.frost.description}); resize 256, crop 224, JPEG q85`,
        ],
      });
      if (!result) return this.set({ phase: 'cancelled', message: 'the demo run did not finish' });
      const check = checkDemoResult(result, demoSelection(assets.manifest, size).reference);
      this.set({ phase: 'done', message: '', check });
    } catch (e) {
      if (signal.aborted) this.set({ phase: 'cancelled', message: 'demo cancelled' });
      else this.set({ phase: 'error', message: (e as Error).message });
    } finally {
      this.controller = null;
    }
  }
}
