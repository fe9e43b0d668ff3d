import { afterEach, describe, expect, it, vi } from 'vitest';
import type { UserConfig } from 'vite';

/** vite.config.ts as `vite build` reads it with the given SHIFTLENS_BENCH (unset when undefined). */
async function configWith(bench: string | undefined): Promise<UserConfig> {
  vi.resetModules();
  if (bench === undefined) vi.stubEnv('SHIFTLENS_BENCH', undefined as unknown as string);
  else vi.stubEnv('SHIFTLENS_BENCH', bench);
  return (await import('../../vite.config')).default as UserConfig;
}

const inputs = (c: UserConfig) => Object.keys(c.build?.rollupOptions?.input as Record<string, string>).sort();

describe('vite.config.ts', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('builds only the app without SHIFTLENS_BENCH: no benchmark page in dist/ (nor in the precache)', async () => {
    expect(inputs(await configWith(undefined))).toEqual(['main']);
    expect(inputs(await configWith('0'))).toEqual(['main']);
    expect(inputs(await configWith(''))).toEqual(['main']);
  });

  it('adds bench/page.html with SHIFTLENS_BENCH=1, as `npm run bench` sets it', async () => {
    const c = await configWith('1');
    expect(inputs(c)).toEqual(['bench', 'main']);
    expect((c.build!.rollupOptions!.input as Record<string, string>).bench.endsWith('bench/page.html')).toBe(true);
  });

  it('`npm run bench` sets SHIFTLENS_BENCH for its build; build and start do not', async () => {
    const { readFileSync } = await import('node:fs');
    const scripts = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).scripts as Record<string, string>;
    expect(scripts.bench).toMatch(/^SHIFTLENS_BENCH=1 vite build && /);
    for (const s of ['build', 'start', 'test']) expect(scripts[s]).not.toContain('SHIFTLENS_BENCH');
  });

  it('serves preview and dev with the Content-Security-Policy, and the meta variant has no header-only directive', async () => {
    const mod = await import('../../vite.config');
    const c = mod.default as UserConfig;
    expect((c.preview?.headers as Record<string, string>)['Content-Security-Policy']).toBe(mod.CONTENT_SECURITY_POLICY);
    // The dev server's variant only adds inline <style> (its CSS injection) and its HMR websocket.
    expect((c.server?.headers as Record<string, string>)['Content-Security-Policy']).toBe(mod.CONTENT_SECURITY_POLICY_DEV);
    expect(mod.CONTENT_SECURITY_POLICY_DEV).toContain("style-src 'self' 'unsafe-inline'");
    expect(mod.CONTENT_SECURITY_POLICY_DEV).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(mod.CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(mod.CONTENT_SECURITY_POLICY).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(mod.CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(mod.CONTENT_SECURITY_POLICY.split(/[ ;]+/)).not.toContain("'unsafe-eval'");
    expect(mod.CONTENT_SECURITY_POLICY_META).not.toContain('frame-ancestors');
  });
});
