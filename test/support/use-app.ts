import { afterAll, beforeAll } from 'vitest';
import type { PreviewServer } from 'vite';
import { openApp, serverUrl, startPreview, type AppSession } from './browser';

/**
 * For an e2e suite: serves the built app and opens it in a fresh headless Chromium before the suite's tests,
 * and closes both after them. Read `.app` / `.server` inside tests (they exist once beforeAll has run).
 */
export function useApp(opts: { webgpu?: boolean } = {}): { readonly app: AppSession; readonly server: PreviewServer } {
  const state = {} as { app: AppSession; server: PreviewServer };
  beforeAll(async () => {
    state.server = await startPreview();
    state.app = await openApp(serverUrl(state.server), opts);
  });
  afterAll(async () => {
    await state.app?.close();
    await state.server?.close();
  });
  return state;
}
