import { openApp, serverUrl, startPreview } from '../test/support/browser';
import { BenchSession, FIXTURE_BASE, DATASET_REGION } from './scale-session';
import { allWnids, cellsFor } from './scale-tree';
const server = await startPreview();
const cells = cellsFor(250000);
const s = await BenchSession.open(serverUrl(server), { datasetRegionLabel: DATASET_REGION, fs: { rootName: 'x', cells: cells.map(c => [c.corruption, c.severity]), wnids: allWnids(), perClass: 50, fixturesPerCell: 50, fixtureBase: FIXTURE_BASE, lastModified: 0, batch: 100 } }, { rssLimitMB: 8000, deadlineMs: 600000 });
for (const [lim, wf] of [[50000, false], [50000, true], [250000, true]] as const) {
  console.log(await s.page.evaluate(`window.__scale.walkStandIn(${lim}, ${wf})`), s.rss());
}
console.log(await s.page.evaluate(`(async () => { const b = new Blob([new Uint8Array(20000)]); let t0 = performance.now(); const k = []; for (let i = 0; i < 50000; i++) k.push(new File([b], 'x' + i)); const a = performance.now() - t0; t0 = performance.now(); for (let i = 0; i < 50000; i++) await Promise.resolve(); return { newFileMs: a, awaitsMs: performance.now() - t0 }; })()`));
await s.close(); await server.close();
