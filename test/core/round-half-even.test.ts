import { describe, expect, it } from 'vitest';
import { roundHalfEven } from '../../src/core/round-half-even';

describe('roundHalfEven', () => {
  it('rounds ties to the even neighbour, everything else to the nearest', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5].map(roundHalfEven)).toEqual([0, 2, 2, 4, -0, -2, -2]);
    expect([0.49999999999999994, 1.4999999, 1.5000001, 254.49, 254.51, -1.2, -1.7].map(roundHalfEven)).toEqual([0, 1, 2, 254, 255, -1, -2]);
  });
});
