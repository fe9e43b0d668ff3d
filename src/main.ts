import { mount } from 'svelte';
import App from './ui/App.svelte';
import UpdateBanner from './ui/UpdateBanner.svelte';
import './ui/global.css';

mount(App, { target: document.getElementById('app')! });

// The built app starts offline from the service worker's cache (the dev server has no sw.js).
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker
    .register(`${import.meta.env.BASE_URL}sw.js`)
    .then((registration) => {
      // Tells the worker this window has loaded, so it can drop a previous build's cache no open tab needs any more.
      navigator.serviceWorker.controller?.postMessage({ type: 'client-ready' });
      const target = document.body.appendChild(document.createElement('div'));
      mount(UpdateBanner, { target, props: { registration } });
    })
    .catch((e) => console.warn(`offline start unavailable: ${(e as Error).message}`));
}
