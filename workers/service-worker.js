/* ShiftLens service worker: the app shell from the cache, so the app starts with the network off.
 *
 * A template: the build (vite.config.ts, offlineShell) writes it to the output folder as sw.js with the
 * placeholders replaced by this build's file list and a hash of those files, so every new build is a new
 * worker with a new cache.
 *
 * Updates never break an open tab: a new worker waits (no skipWaiting on install) until the user accepts the
 * update (src/ui/UpdateBanner.svelte posts 'skip-waiting') or every tab of the old build is closed. Once it is
 * active it serves old tabs too, so a request its own cache lacks (an old build's lazily loaded chunk) is served
 * from any shell cache that has it, and an old build's cache is deleted only when every open window of the app
 * was loaded by this version (tracked per navigation, kept in this version's cache). */
const VERSION = '__SHIFTLENS_VERSION__';
/** Paths relative to this worker's folder (the app root). */
const FILES = __SHIFTLENS_FILES__;
const CACHE = `shiftlens-shell-${VERSION}`;
const PREFIX = 'shiftlens-shell-';
/**
 * The embedded demo's files (public/demo/, 13 MB) live in a cache of their own, named by a hash of those files only:
 * an app update that leaves the demo alone does not download it again. Cached at install, so the demo runs offline
 * after one visit.
 */
const DEMO_VERSION = '__SHIFTLENS_DEMO_VERSION__';
const DEMO_FILES = __SHIFTLENS_DEMO_FILES__;
const DEMO_CACHE = `shiftlens-demo-${DEMO_VERSION}`;
const DEMO_PREFIX = 'shiftlens-demo-';
/** Inside this version's cache: the ids of the window clients this version's shell was served to. */
const CLIENTS_KEY = '__shiftlens_clients__';

// Threaded WASM needs SharedArrayBuffer, hence cross-origin isolation: every response served from the cache
// carries the same COOP/COEP headers the server sends.
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // CONTENT_SECURITY_POLICY of vite.config.ts, filled in by the build: the same policy the server sends.
  'Content-Security-Policy': __SHIFTLENS_CSP__,
};

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // cache: 'reload' skips the HTTP cache, so the shell is this build's files, not stale copies.
      await cache.addAll(FILES.map((f) => new Request(new URL(f, self.registration.scope), { cache: 'reload' })));
      const demo = await caches.open(DEMO_CACHE);
      const have = await Promise.all(DEMO_FILES.map((f) => demo.match(new URL(f, self.registration.scope))));
      const missing = DEMO_FILES.filter((_, i) => !have[i]);
      if (missing.length) await demo.addAll(missing.map((f) => new Request(new URL(f, self.registration.scope), { cache: 'reload' })));
      // No skipWaiting here: tabs of the previous build keep their worker until the user reloads (UpdateBanner).
    })(),
  );
});

self.addEventListener('message', (event) => {
  const type = event.data && event.data.type;
  if (type === 'skip-waiting') self.skipWaiting();
  // A window has loaded (src/main.ts): the window it replaced is gone now, so older caches may be deletable.
  if (type === 'client-ready') event.waitUntil(dropStaleCaches());
});

/**
 * Which shell caches to delete: the other versions' caches, but only when every open window of the app is known
 * to run this version (its shell was served by this version); otherwise none, as an old tab may still need them.
 */
function staleCaches(keys, windowIds, ownClients) {
  if (windowIds.some((id) => !ownClients.includes(id))) return [];
  return keys.filter((k) => (k.startsWith(PREFIX) && k !== CACHE) || (k.startsWith(DEMO_PREFIX) && k !== DEMO_CACHE));
}

const clientsUrl = () => new URL(CLIENTS_KEY, self.registration.scope).href;

async function ownClients() {
  const hit = await (await caches.open(CACHE)).match(clientsUrl());
  return hit ? hit.json() : [];
}

/** Remembers that `id` runs this version, forgetting clients that are gone. */
async function addOwnClient(id) {
  const open = new Set((await self.clients.matchAll({ type: 'window', includeUncontrolled: true })).map((c) => c.id));
  const ids = [...new Set([...(await ownClients()).filter((c) => open.has(c)), id])];
  await (await caches.open(CACHE)).put(clientsUrl(), new Response(JSON.stringify(ids), { headers: { 'Content-Type': 'application/json' } }));
}

async function dropStaleCaches() {
  const windows = (await self.clients.matchAll({ type: 'window', includeUncontrolled: true })).map((c) => c.id);
  for (const key of staleCaches(await caches.keys(), windows, await ownClients())) await caches.delete(key);
}

self.addEventListener('activate', (event) => {
  // Claiming is safe: old tabs keep working from their build's cache (respond), which stays until they are gone.
  event.waitUntil(self.clients.claim().then(dropStaleCaches));
});

function isolated(response) {
  const headers = new Headers(response.headers);
  for (const [k, v] of Object.entries(ISOLATION)) headers.set(k, v);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

async function respond(request) {
  const cache = await caches.open(CACHE);
  // ignoreVary: the server varies on Origin, which the precache requests lacked and module scripts send.
  const options = { ignoreSearch: true, ignoreVary: true };
  let hit = await cache.match(request, options);
  if (!hit) hit = await (await caches.open(DEMO_CACHE)).match(request, options);
  // Any navigation inside the app (a reload of /, a deep link) gets the shell.
  if (!hit && request.mode === 'navigate') hit = await cache.match(new URL('index.html', self.registration.scope));
  // A file of an older build, asked for by a tab still running it: from that build's cache while it is kept.
  if (!hit) {
    for (const key of await caches.keys()) {
      if (!key.startsWith(PREFIX) || key === CACHE) continue;
      hit = await (await caches.open(key)).match(request, options);
      if (hit) break;
    }
  }
  if (hit) return isolated(hit);
  return fetch(request);
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(respond(request));
  // A window loading this version's shell: once every open window runs this version, older caches can go.
  if (request.mode === 'navigate' && event.resultingClientId) event.waitUntil(addOwnClient(event.resultingClientId).then(dropStaleCaches));
});
