/**
 * The legacy RandomState port against numbers drawn once by numpy 1.24.2 (/usr/bin/python3; generator script
 * and JSON in test/data/small/numpy-random/). Doubles must be bit-identical, integers exact.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RandomState, randomLoggam } from '../../../src/core/corruptions/rng/numpy-random';
import { PROJECT_ROOT } from '../../support/fixtures';

interface Op {
  method: string;
  args: Record<string, unknown>;
  result: number | number[];
}
interface Case {
  name: string;
  seed: number | number[];
  ops: Op[];
}
interface Reference {
  numpy_version: string;
  cases: Case[];
  long_stream: {
    seed: number;
    loc: number;
    scale: number;
    n: number;
    indices: number[];
    values: number[];
    sum: number;
    angle_after: number;
  };
  generator_random_equals_random_sample: boolean;
}

const ref: Reference = JSON.parse(
  readFileSync(join(PROJECT_ROOT, 'test/data/small/numpy-random/numpy-random-reference.json'), 'utf8'),
);

function num(v: unknown, fallback?: number): number {
  if (v === undefined || v === null) {
    if (fallback === undefined) throw new Error('missing argument');
    return fallback;
  }
  return v as number;
}

function apply(rs: RandomState, op: Op): number | number[] {
  const a = op.args;
  const size = a.size as number | undefined;
  const arr = (v: number | Float64Array) => (typeof v === 'number' ? v : Array.from(v));
  switch (op.method) {
    case 'random_sample':
      return arr(size === undefined ? rs.randomSample() : rs.randomSample(size));
    case 'standard_normal':
      return arr(size === undefined ? rs.standardNormal() : rs.standardNormal(size));
    case 'normal':
      return arr(size === undefined ? rs.normal(num(a.loc, 0), num(a.scale, 1)) : rs.normal(num(a.loc, 0), num(a.scale, 1), size));
    case 'uniform':
      return arr(size === undefined ? rs.uniform(num(a.low, 0), num(a.high, 1)) : rs.uniform(num(a.low, 0), num(a.high, 1), size));
    case 'randint':
      return arr(
        size === undefined
          ? rs.randint(num(a.low), a.high as number | undefined)
          : rs.randint(num(a.low), a.high as number | undefined, size),
      );
    case 'choice':
      return arr(size === undefined ? rs.choice(num(a.a)) : rs.choice(num(a.a), size));
    case 'poisson':
      if (Array.isArray(a.lam)) return arr(rs.poisson(a.lam as number[]));
      return arr(size === undefined ? rs.poisson(num(a.lam)) : rs.poisson(num(a.lam), size));
    default:
      throw new Error(`unknown method ${op.method}`);
  }
}

/** Object.is-equality per element, so that a 1-ulp difference (or −0 vs +0) fails. */
function expectBitExact(got: number | number[], want: number | number[], label: string) {
  const g = Array.isArray(got) ? got : [got];
  const w = Array.isArray(want) ? want : [want];
  expect(g.length, `${label}: length`).toBe(w.length);
  const bad: string[] = [];
  for (let i = 0; i < w.length; i++) if (!Object.is(g[i], w[i]) && !(g[i] === w[i])) bad.push(`[${i}] ${g[i]} != ${w[i]}`);
  expect(bad, `${label}: mismatches`).toEqual([]);
}

describe('numpy legacy RandomState port', () => {
  it('was generated with numpy 1.24.x', () => {
    expect(ref.numpy_version.startsWith('1.24')).toBe(true);
  });

  for (const c of ref.cases) {
    it(`matches numpy bit-exactly: ${c.name} (seed ${JSON.stringify(c.seed)})`, () => {
      const rs = new RandomState(c.seed);
      c.ops.forEach((op, k) => expectBitExact(apply(rs, op), op.result, `${c.name} op ${k} ${op.method}(${JSON.stringify(op.args).slice(0, 60)})`));
    });
  }

  it('replays a 224×224 normal layer across regenerations, then the following uniform (the snow angle)', () => {
    const ls = ref.long_stream;
    const rs = new RandomState(ls.seed);
    const layer = rs.normal(ls.loc, ls.scale, ls.n);
    expectBitExact(
      ls.indices.map((i) => layer[i]),
      ls.values,
      'long stream values',
    );
    expect(rs.uniform(-135, -45)).toBe(ls.angle_after);
  });

  it('Generator.random() on the global bit generator equals random_sample (used by impulse_noise)', () => {
    expect(ref.generator_random_equals_random_sample).toBe(true);
  });

  it('seeding clears the cached normal and restarts the stream', () => {
    const rs = new RandomState(9);
    const first = rs.standardNormal(3);
    rs.seed(9);
    expect(Array.from(rs.standardNormal(3))).toEqual(Array.from(first));
    const snap = rs.getState();
    const next = rs.standardNormal(5);
    rs.setState(snap);
    expect(Array.from(rs.standardNormal(5))).toEqual(Array.from(next));
  });

  it('randomLoggam is exact at 1 and 2 and close to log Γ elsewhere', () => {
    expect(randomLoggam(1)).toBe(0);
    expect(randomLoggam(2)).toBe(0);
    expect(randomLoggam(5)).toBeCloseTo(Math.log(24), 12);
    expect(randomLoggam(61)).toBeCloseTo(188.62817342367163, 10);
  });

  it('rejects invalid arguments', () => {
    expect(() => new RandomState(-1)).toThrow(RangeError);
    expect(() => new RandomState(2 ** 32)).toThrow(RangeError);
    expect(() => new RandomState(1.5)).toThrow(RangeError);
    const rs = new RandomState(1);
    expect(() => rs.randint(3, 3)).toThrow(RangeError);
    expect(() => rs.normal(0, -1)).toThrow(RangeError);
    expect(() => rs.poisson(-1)).toThrow(RangeError);
  });
});
