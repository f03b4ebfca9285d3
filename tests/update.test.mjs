// Updates reach people who visited before: a rebuilt page's service worker installs in the
// background, the page offers "a new version is ready — Reload", and accepting shows the new
// build. Two ConvPlay copies on one origin (two course folders) keep each other's caches.
//
// Each test serves copies of dist/ from a temporary folder with a small static server of its
// own, so that a copy can be "rebuilt" in place: a visible change in index.html and a new
// build version written into its sw.js, as the next `npm run build` would.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, openPage, waitForShell } from './harness.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
};

/** Serves the folder `root` on a free loopback port, every response revalidated (no-cache). */
async function serve(root) {
  const server = http.createServer((req, res) => {
    let file = path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!file.startsWith(root)) return res.writeHead(403).end();
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!fs.existsSync(file)) return res.writeHead(404).end();
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' }).end(fs.readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

const TAGLINE = 'Convolutional networks, trained and taken apart in your browser tab.';

/** Copies dist/ to `root/folder` as it is built. */
function deploy(root, folder) {
  if (!fs.existsSync('dist/sw.js')) throw new Error('dist/ is missing: run `npm run build` before the browser tests');
  fs.cpSync('dist', path.join(root, folder), { recursive: true });
}

/** "Rebuilds" `root/folder`: a visible change to the page and a new build version in its worker. */
function rebuild(root, folder, label) {
  const dir = path.join(root, folder);
  const page = path.join(dir, 'index.html');
  const html = fs.readFileSync(page, 'utf8');
  assert.ok(html.includes(TAGLINE), 'the built page has its tagline');
  fs.writeFileSync(page, html.replace(TAGLINE, `${TAGLINE} (${label})`));
  const worker = path.join(dir, 'sw.js');
  const code = fs.readFileSync(worker, 'utf8');
  const version = /"version":"([^"]+)"/.exec(code)?.[1];
  assert.ok(version, 'the built worker carries its build version');
  const next = `${version}-${label}`;
  fs.writeFileSync(worker, code.replace(`"version":"${version}"`, `"version":"${next}"`));
  const manifest = path.join(dir, 'precache.json');
  fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(version, next));
  return { before: version, after: next };
}

/** The origin's ConvPlay caches, each with how many files it holds. */
const cachesOf = (page) =>
  page.evaluate(async () => {
    const out = {};
    for (const key of await caches.keys())
      if (key.startsWith('convplay-')) out[key] = (await (await caches.open(key)).keys()).length;
    return out;
  });

/** Waits for an async condition, polling. */
async function until(condition, timeout = 60_000) {
  for (const end = Date.now() + timeout; !(await condition());) {
    if (Date.now() > end) throw new Error(`still not so after ${timeout} ms: ${condition}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const offlineReady = (page) =>
  page.waitForFunction(() => document.documentElement.dataset.offline === 'ready', null, { timeout: 60_000 });
const updateReady = (page) =>
  page.waitForFunction(() => document.documentElement.dataset.update === 'ready', null, { timeout: 60_000 });

let root, server, browser;
before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'convplay-update-'));
  server = await serve(root);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test('a rebuilt page reaches a visitor: the update is offered, and Reload shows the new build', async () => {
  deploy(root, 'course');
  const { page, errors } = await openPage(browser.context, `${server.url}course/?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  await offlineReady(page);
  const banner = page.locator('#update-banner');
  assert.equal(await banner.isHidden(), true, 'no update on the first visit');

  const { before: v1, after: v2 } = rebuild(root, 'course', 'build two');
  // The visit after the rebuild is still served the cached build; the new one installs meanwhile.
  await page.reload();
  assert.equal(await waitForShell(page), 'ready');
  assert.equal(await page.locator('.tagline').textContent(), TAGLINE);
  await updateReady(page);
  assert.equal(await banner.isVisible(), true);
  assert.match(await banner.textContent(), /A new version of ConvPlay is ready\./);

  // A second tab of the page offers the same update; once the first accepts, it says so.
  const other = await openPage(browser.context, `${server.url}course/?view=draw&backend=cpu`);
  await updateReady(other.page);
  const otherBanner = other.page.locator('#update-banner');
  assert.match(await otherBanner.textContent(), /A new version of ConvPlay is ready\./);

  await Promise.all([page.waitForEvent('load'), banner.getByRole('button', { name: 'Reload' }).click()]);
  await other.page.waitForFunction(() =>
    document.getElementById('update-banner').textContent.startsWith('ConvPlay was updated in another tab.'),
  );
  await Promise.all([other.page.waitForEvent('load'), otherBanner.getByRole('button', { name: 'Reload' }).click()]);
  assert.equal(await other.page.locator('.tagline').textContent(), `${TAGLINE} (build two)`);
  await other.page.close();
  assert.equal(await waitForShell(page), 'ready');
  assert.equal(await page.locator('.tagline').textContent(), `${TAGLINE} (build two)`);
  assert.equal(await banner.isHidden(), true, 'the new build is up to date');
  const keys = Object.keys(await cachesOf(page));
  assert.deepEqual(keys, [`convplay-/course/-${v2}`], `the old build's cache (${v1}) is gone`);
  assert.deepEqual([...errors, ...other.errors], []);
  await page.close();
});

test("two ConvPlay copies on one origin keep each other's caches through activations and updates", async () => {
  deploy(root, 'a');
  deploy(root, 'b');
  const visit = async (folder) => {
    const { page, errors } = await openPage(browser.context, `${server.url}${folder}/?backend=cpu`);
    await offlineReady(page);
    return { page, errors };
  };
  const a = await visit('a');
  const files = (await cachesOf(a.page))[`convplay-/a/-${versionOf('a')}`];
  assert.ok(files > 10, `a's cache holds the build (${files} files)`);
  const b = await visit('b');
  const both = await cachesOf(b.page);
  assert.equal(both[`convplay-/a/-${versionOf('a')}`], files, "b's first activation keeps a's cache");
  assert.equal(both[`convplay-/b/-${versionOf('b')}`], files);

  // b is rebuilt; its update activates and drops b's old cache only.
  const vb = rebuild(root, 'b', 'b two');
  await b.page.reload();
  await updateReady(b.page);
  await Promise.all([b.page.waitForEvent('load'), b.page.locator('#update-banner button').click()]);
  await b.page.waitForFunction((t) => document.querySelector('.tagline').textContent.endsWith(t), '(b two)');
  let now = await cachesOf(b.page);
  assert.equal(now[`convplay-/a/-${versionOf('a')}`], files, "b's update keeps a's cache");
  assert.equal(now[`convplay-/b/-${vb.after}`], files);
  assert.equal(now[`convplay-/b/-${vb.before}`], undefined, "b's old build is dropped");

  // And the other way round.
  const va = rebuild(root, 'a', 'a two');
  await a.page.reload();
  await updateReady(a.page);
  await Promise.all([a.page.waitForEvent('load'), a.page.locator('#update-banner button').click()]);
  await a.page.waitForFunction((t) => document.querySelector('.tagline').textContent.endsWith(t), '(a two)');
  now = await cachesOf(a.page);
  assert.deepEqual(
    Object.keys(now)
      .filter((k) => /^convplay-\/[ab]\//.test(k))
      .sort(),
    [`convplay-/a/-${va.after}`, `convplay-/b/-${vb.after}`],
    "a's update keeps b's cache and drops a's old one",
  );
  assert.equal(now[`convplay-/b/-${vb.after}`], files);
  assert.deepEqual([...a.errors, ...b.errors], []);
  await a.page.close();
  await b.page.close();
});

/** The build version of a copy as deployed now (its worker's). */
function versionOf(folder) {
  return /"version":"([^"]+)"/.exec(fs.readFileSync(path.join(root, folder, 'sw.js'), 'utf8'))[1];
}

// The worker ConvPlay shipped before updates worked, in short: the same bytes in every build,
// the version only in precache.json, cache-first from any cache of the origin.
const LEGACY_WORKER = `
self.addEventListener('install', (event) => event.waitUntil((async () => {
  const { version, files } = await (await fetch('precache.json', { cache: 'no-store' })).json();
  await (await caches.open('convplay-' + version)).addAll(files);
  await self.skipWaiting();
})()));
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  if (event.request.method !== 'GET') return;
  event.respondWith((async () =>
    (await caches.match(event.request, { ignoreSearch: event.request.mode === 'navigate', ignoreVary: true })) ??
    fetch(event.request))());
});
`;

test('a visitor of a build with the old worker gets the new build', async () => {
  // A browser of its own: the old worker's page reads every cache of the origin.
  const own = await launchBrowser();
  try {
    deploy(root, 'old');
    const worker = path.join(root, 'old', 'sw.js');
    const today = fs.readFileSync(worker, 'utf8');
    fs.writeFileSync(worker, LEGACY_WORKER);
    const { page, errors } = await openPage(own.context, `${server.url}old/?backend=cpu`);
    assert.equal(await waitForShell(page), 'ready');
    await offlineReady(page);
    // The next build: today's worker, with a new version, replaces the old one on the next
    // visit (no page of the old build asks it to).
    fs.writeFileSync(worker, today);
    const { before: version, after: next } = rebuild(root, 'old', 'next');
    assert.ok(Object.keys(await cachesOf(page)).includes(`convplay-${version}`), 'the old worker cached the build');
    await page.reload();
    await until(async () => (await Object.keys(await cachesOf(page))).join() === `convplay-/old/-${next}`);
    await page.reload();
    assert.equal(await waitForShell(page), 'ready');
    assert.equal(await page.locator('.tagline').textContent(), `${TAGLINE} (next)`);
    assert.deepEqual(errors, []);
  } finally {
    await own.close();
  }
});
