import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = resolve(PROJECT_ROOT, '../shared/fixtures');
export const HAVE_FIXTURES = existsSync(join(FIXTURES, 'README.md'));

/**
 * Tests that read ../shared/fixtures: skipped with a message when it is absent on a developer's machine,
 * but never under CI, where a missing fixture folder must fail loudly.
 */
export const describeFixtures: typeof describe = ((name: string, fn: () => void) => {
  if (HAVE_FIXTURES) return describe(name, fn);
  if (process.env.CI) {
    return describe(name, () => {
      throw new Error(`CI is set but the fixtures are missing at ${FIXTURES}`);
    });
  }
  console.warn(`[skip] ${name}: ../shared/fixtures not found at ${FIXTURES}`);
  // The suite's body is not run at all: bodies may read fixture files while collecting their tests.
  return describe.skip(name, () => {
    it.skip(`needs ../shared/fixtures (not found at ${FIXTURES})`, () => {});
  });
}) as typeof describe;

export const fixture = (...parts: string[]) => join(FIXTURES, ...parts);
