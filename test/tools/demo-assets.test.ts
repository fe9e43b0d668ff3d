import { expect, it } from 'vitest';
import { describeFixtures } from '../support/fixtures';
import { demoDifferences } from '../../tools/demo-assets';

/** public/demo/ is exactly what tools/demo-assets.ts makes from ../shared/fixtures (the one copy the repo holds). */
describeFixtures('embedded demo assets', () => {
  it('public/demo equals the fixtures it was made from', () => {
    expect(demoDifferences()).toEqual([]);
  });
});
