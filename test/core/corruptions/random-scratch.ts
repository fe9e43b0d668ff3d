// scratch runner (not a test): npx tsx test/core/corruptions/random-scratch.ts <name> [limit] [variant]
import { RandomState } from '../../../src/core/corruptions/rng/numpy-random';
import { randomRgbCorruptors } from '../../../src/core/corruptions/random/index';
import { fogWith } from '../../../src/core/corruptions/random/fog';
import { elasticTransformWith } from '../../../src/core/corruptions/random/elastic';
import { snowWith, grayF32NoFma, grayF32Scalar } from '../../../src/core/corruptions/random/snow';
import { formatReport, runSeverity } from './random-stats';

const [name, limitArg, variant] = process.argv.slice(2);
const limit = limitArg ? Number(limitArg) : 10;
const rows = [];
for (let s = 1; s <= 5; s++) {
  let fn = randomRgbCorruptors[name];
  if (name === 'fog' && variant === 'f64') fn = (rgb, w, h, sev, rs) => fogWith(rgb, w, h, sev, rs, 'float64');
  if (name === 'elastic_transform' && variant === 'mirror') fn = (rgb, w, h, sev, rs) => elasticTransformWith(rgb, w, h, sev, rs, 'mirror');
  if (name === 'snow' && variant === 'nofma') fn = (rgb, w, h, sev, rs) => snowWith(rgb, w, h, sev, rs, { gray: grayF32NoFma });
  if (name === 'snow' && variant === 'scalar') fn = (rgb, w, h, sev, rs) => snowWith(rgb, w, h, sev, rs, { gray: grayF32Scalar });
  rows.push(runSeverity(name, s, (rgb, w, h, sev, seed) => fn(rgb, w, h, sev, new RandomState(seed)), limit));
}
console.log(formatReport(rows));
