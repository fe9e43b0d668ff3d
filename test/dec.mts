import { startPreview, serverUrl, openApp } from './support/browser.ts';
const server = await startPreview();
const app = await openApp(`${serverUrl(server)}bench/page.html`);
await app.page.locator('#files').setInputFiles('/work/shared/fixtures/imagenet-c-mini');
for (let i = 0; i < 3; i++) console.log(await app.page.evaluate((n) => (window as any).shiftlensBench.decode(n), 2000));
await app.close(); await server.close();
