// ConvPlay's service worker: after the first visit the playground works offline, and a new
// build reaches everyone who visited before.
//
// The build (the precache plugin in vite.config.ts) writes its version and the list of its
// files (the page, the scripts, the wasm engine, the MNIST test set, the digit model, the
// presets, the sample thumbnails) into BUILD below, so every build's worker differs in its
// bytes and the browser installs it on the next visit or update check. On install it caches
// those files; it answers from that cache first and falls back to the network. The large
// files (BUILD.lazy: EfficientNet-Lite0, the MNIST training set, all of Fashion-MNIST, the full
// sample photos) are not fetched on the first visit: the first time a view asks for one, the
// answer from the network is kept in the same cache, so it works offline from then on. A new build keeps the
// ones whose bytes did not change (each has a hash; a cache records its own in LAZY_INDEX).
//
// The first worker takes over at once. A later one installs in the background and waits: the
// page (www/src/sw-update.ts) says "a new version is ready — Reload", and its button asks the
// waiting worker to take over (the message 'skip-waiting'); the page then reloads into the new
// build. Closing every tab of the page does the same.
//
// Caches are named after this worker's scope (its base path) and build:
// `convplay-<scope path>-<version>`. Taking over deletes only this scope's older caches, so two
// ConvPlay copies on one origin (two course folders) keep each other's files.

const BUILD = /* build */ { version: 'unbuilt', files: [], lazy: {} } /* /build */;

const SCOPE = new URL(self.registration.scope).pathname;
const PREFIX = `convplay-${SCOPE}-`;
const CACHE = PREFIX + BUILD.version;
/** The cache's own record of the large files' hashes (a synthetic entry). */
const LAZY_INDEX = new URL('__convplay-lazy.json', self.registration.scope).href;
/** The large files by their full URL, and their hashes. */
const LAZY = new Map(Object.entries(BUILD.lazy).map(([f, hash]) => [new URL(f, self.registration.scope).href, hash]));

/** Copies the large files an older cache of this scope holds, where this build has the same bytes. */
async function keepLazy(cache) {
  for (const key of await caches.keys()) {
    if (!key.startsWith(PREFIX) || key === CACHE) continue;
    const old = await caches.open(key);
    const index = await old.match(LAZY_INDEX);
    const hashes = index ? await index.json().catch(() => ({})) : {};
    for (const [url, hash] of LAZY) {
      const hit = hashes[url] === hash ? await old.match(url) : undefined;
      if (hit && !(await cache.match(url))) await cache.put(url, hit);
    }
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // Revalidated with the server: a file with a fixed name (index.html, convplay.js) must be this
      // build's, and one the page has just loaded is not downloaded twice.
      await cache.addAll(BUILD.files.map((f) => new Request(f, { cache: 'no-cache' })));
      await cache.put(LAZY_INDEX, new Response(JSON.stringify(Object.fromEntries(LAZY))));
      await keepLazy(cache);
      // The first worker of this scope has nobody to wait for; nor has one that follows a worker
      // from before scoped caches (no cache of this scope yet), whose page cannot ask it to.
      const ours = (await caches.keys()).some((key) => key.startsWith(PREFIX) && key !== CACHE);
      if (!self.registration.active || !ours) await self.skipWaiting();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') event.waitUntil(self.skipWaiting());
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        // This scope's older builds, and caches of workers from before scoped names
        // (`convplay-<version>`), which no worker of today reads.
        if ((key.startsWith(PREFIX) && key !== CACHE) || /^convplay-[0-9a-f]{16}$/.test(key)) await caches.delete(key);
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
      // Only this worker's own cache: another scope's or build's files are not this page's.
      const cache = await caches.open(CACHE);
      // The page is cached under its bare path; its query string (the exercise) is the page's business.
      // ignoreVary: the build's files do not vary (a module script's Origin header must not miss the cache).
      const hit = await cache.match(request, { ignoreSearch: request.mode === 'navigate', ignoreVary: true });
      if (hit) return hit;
      const response = await fetch(request);
      // A large file fetched for the first time is kept (whole answers only, not a byte range).
      if (LAZY.has(request.url) && response.status === 200) event.waitUntil(cache.put(request.url, response.clone()));
      return response;
    })(),
  );
});
