import { mount } from 'svelte';
import App from './ui/App.svelte';
import './ui/global.css';

mount(App, { target: document.getElementById('app')! });

// The built app starts offline from the service worker's cache (the dev server has no sw.js).
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`).catch((e) => console.warn(`offline start unavailable: ${(e as Error).message}`));
}
