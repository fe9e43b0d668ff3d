import { startPreview, serverUrl, openApp, waitForDone } from './support/browser.ts';
import { startRun } from './support/app-driver.ts';
const server = await startPreview();
const app = await openApp(serverUrl(server));
await app.page.evaluate(() => {
  (window as any).__log = [];
  new PerformanceObserver((l) => (window as any).__log.push(...l.getEntries().map((e) => ['long', Math.round(e.startTime), Math.round(e.duration)]))).observe({ type: 'longtask', buffered: true });
  const st = document.querySelector('[data-testid="status"]')!;
  new MutationObserver(() => (window as any).__log.push(['status', Math.round(performance.now()), st.textContent])).observe(st, { childList: true, characterData: true, subtree: true });
});
const F = '/work/shared/fixtures';
await app.page.getByTestId('dataset-input').setInputFiles(`${F}/imagenet-c-mini`);
await app.page.evaluate(() => (window as any).__log.push(['picked', Math.round(performance.now())]));
await startRun(app.page, { model: `${F}/models/squeezenet1.1-caffe2.fp32.gradcam.onnx`, labels: `${F}/labels/imagenet_class_index.json`, batchSize: 8, backend: 'wasm' });
await waitForDone(app.page, 600000);
console.log(JSON.stringify(await app.page.evaluate(() => (window as any).__log)));
await app.close(); await server.close();
