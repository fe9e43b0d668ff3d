import { startPreview, serverUrl, openApp } from './support/browser.ts';
const server = await startPreview();
const app = await openApp(`${serverUrl(server)}bench/page.html`);
await app.page.locator('#model').setInputFiles('/work/main/bench/models/resnet50-random.onnx');
await app.page.locator('#files').setInputFiles('/work/shared/fixtures/imagenet-c-mini/fog');
console.log('real', await app.page.evaluate(() => (window as any).shiftlensBench.raw('wasm', 2, 8, 5)));
await app.close(); await server.close();
