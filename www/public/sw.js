// ConvPlay's service worker: after the first visit the playground works offline. On install
// it caches every file of the build (precache.json, written by the build, lists them: the
// page, the scripts, the wasm engine, MNIST, the models, the presets); afterwards it answers
// from the cache first and falls back to the network. A new build has a new list, hence a
// new cache; the old one is dropped when the new worker takes over.

const PREFIX = 'convplay-';

async function manifest() {
  const response = await fetch('precache.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`precache.json: HTTP ${response.status}`);
  return response.json();
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const { version, files } = await manifest();
      const cache = await caches.open(PREFIX + version);
      await cache.addAll(files);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const { version } = await manifest().catch(() => ({ version: null }));
      if (version) {
        for (const key of await caches.keys()) if (key.startsWith(PREFIX) && key !== PREFIX + version) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    (async () => {
      // The page is cached under its bare path; its query string (the exercise) is the page's business.
      // ignoreVary: the build's files do not vary (a module script's Origin header must not miss the cache).
      const hit = await caches.match(request, { ignoreSearch: request.mode === 'navigate', ignoreVary: true });
      if (hit) return hit;
      return fetch(request);
    })(),
  );
});
