import { ALL_CORRUPTIONS, SEVERITIES, type CorruptionGroup } from './corruption-catalog';
import { errorRate } from './metrics';
import type { ResultDocument } from './result-document';

/**
 * A group's curve of the paper's Fig. 1, in percent: the clean error, then at each severity the mean error of the
 * group's corruptions present in the result (null where none is).
 */
export function groupErrorSeries(doc: Pick<ResultDocument, 'corruptions' | 'clean'>, group: CorruptionGroup): (number | null)[] {
  const names = ALL_CORRUPTIONS.filter((c) => c.group === group && doc.corruptions[c.name]).map((c) => c.name);
  const clean = errorRate(doc.clean);
  return [
    clean === null ? null : clean * 100,
    ...SEVERITIES.map((s) => {
      const es = names.map((n) => errorRate(doc.corruptions[n].severities[String(s)])).filter((e): e is number => e !== null);
      return es.length ? (100 * es.reduce((a, b) => a + b, 0)) / es.length : null;
    }),
  ];
}
