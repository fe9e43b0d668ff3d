import { describe, expect, it } from 'vitest';
import { PYTHON_MS, corruptionAcceptance, formatCorruptionRow, formatCorruptionTable } from '../../bench/corruptions';

const all = (ms: (name: string, py: number) => number | null) => Object.entries(PYTHON_MS).map(([name, pythonMs]) => ({ name, pythonMs, ms: ms(name, pythonMs) }));

/** `npm run bench` checks the README's "every corruption is faster than the Python reference" (bench/corruptions.ts). */
describe('bench: corruption speed acceptance', () => {
  it('passes when every corruption is faster than its Python time', () => {
    const r = corruptionAcceptance(all((_, py) => py / 2));
    expect(r.pass).toBe(true);
    expect(r.verdicts).toHaveLength(19);
    expect(formatCorruptionTable(all((_, py) => py / 2))).toMatch(/acceptance: every corruption faster than the Python reference: PASS$/);
  });

  it('fails when one corruption is slower, not timed, or missing, and names it', () => {
    const slow = corruptionAcceptance(all((n, py) => (n === 'zoom_blur' ? py * 1.01 : py / 2)));
    expect(slow.pass).toBe(false);
    expect(slow.verdicts.filter((v) => !v.pass).map((v) => v.name)).toEqual(['zoom_blur']);
    expect(corruptionAcceptance(all((n, py) => (n === 'fog' ? null : py / 2))).pass).toBe(false);
    expect(corruptionAcceptance(all((_, py) => py)).pass).toBe(false); // equal is not faster
    expect(corruptionAcceptance(all((_, py) => py / 2).slice(1)).pass).toBe(false);
    expect(corruptionAcceptance([]).pass).toBe(false);
  });

  it('prints PASS or FAIL on each corruption line', () => {
    expect(formatCorruptionRow({ name: 'fog', ms: 1, pythonMs: 2.6 })).toMatch(/^fog\s+1\.00\s+2\.6\s+PASS/);
    expect(formatCorruptionRow({ name: 'fog', ms: 3, pythonMs: 2.6 })).toMatch(/FAIL\s+slower/);
    expect(formatCorruptionRow({ name: 'fog', ms: null, pythonMs: 2.6 })).toMatch(/FAIL\s+\(not implemented\)/);
  });
});
