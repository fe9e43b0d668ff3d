/* ShiftLens service worker: the app shell from the cache, so the app starts with the network off.
 *
 * A template: the build (vite.config.ts, offlineShell) writes it to the output folder as sw.js with the
 * placeholders replaced by this build's file list and a hash of those files, so every new build is a new
 * worker with a new cache, and the old cache is dropped when it activates. */
const VERSION = '__SHIFTLENS_VERSION__';
/** Paths relative to this worker's folder (the app root). */
const FILES = __SHIFTLENS_FILES__;
const CACHE = `shiftlens-shell-${VERSION}`;
const PREFIX = 'shiftlens-shell-';

// Threaded WASM needs SharedArrayBuffer, hence cross-origin isolation: every response served from the cache
// carries the same COOP/COEP headers the server sends.
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // cache: 'reload' skips the HTTP cache, so the shell is this build's files, not stale copies.
      await cache.addAll(FILES.map((f) => new Request(new URL(f, self.registration.scope), { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key.startsWith(PREFIX) && key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

function isolated(response) {
  const headers = new Headers(response.headers);
  for (const [k, v] of Object.entries(ISOLATION)) headers.set(k, v);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

async function respond(request) {
  const cache = await caches.open(CACHE);
  // ignoreVary: the server varies on Origin, which the precache requests lacked and module scripts send.
  let hit = await cache.match(request, { ignoreSearch: true, ignoreVary: true });
  // Any navigation inside the app (a reload of /, a deep link) gets the shell.
  if (!hit && request.mode === 'navigate') hit = await cache.match(new URL('index.html', self.registration.scope));
  if (hit) return isolated(hit);
  return fetch(request);
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(respond(request));
});
