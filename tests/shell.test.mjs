// The playground shell in headless Chromium: backend report, the WGSL smoke
// kernel, the CPU fallback without WebGPU, and MNIST decoded in the page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, waitForShell, launchBrowser } from './harness.mjs';

const env = useBrowser();

test('loads without console errors, runs on WebGPU, smoke kernel right, MNIST decoded', async () => {
  const { page, errors } = await openPage(env.browser.context, env.server.url);
  const state = await waitForShell(page);
  const errorText = await page.locator('#error-banner').textContent();
  assert.equal(state, 'ready', `shell ended in error: ${errorText}`);
  assert.deepEqual(errors, []);

  assert.equal(await page.locator('#backend-badge').getAttribute('data-kind'), 'gpu');
  assert.match(await page.locator('#backend-badge').textContent(), /^WebGPU · .*swiftshader/i);
  assert.equal(await page.locator('#fallback-banner').isHidden(), true);
  assert.match(await page.locator('#engine-details').textContent(), /GPU \(webgpu\)/);

  const smoke = page.locator('#smoke-status');
  assert.equal(await smoke.getAttribute('data-ok'), 'true');
  assert.ok(Number(await smoke.getAttribute('data-max-err')) <= 2.5e-7);
  assert.match(await smoke.textContent(), /^OK: 65,537 values on WebGPU/);

  const mnist = page.locator('#mnist-status');
  assert.equal(await mnist.getAttribute('data-count'), '10000');
  assert.equal(await mnist.getAttribute('data-first-label'), '7');
  assert.equal(await page.locator('#mnist-labels').textContent(), '7 2 1 0 4 1 4 9 5 9 0 6 9 0 1 5 9 7 3 4');
  // The strip really shows digits: the first one (a 7) has bright ink.
  const ink = await page.evaluate(() => {
    const c = document.getElementById('mnist-strip');
    const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 128) n++;
    return n;
  });
  assert.ok(ink > 50, `first digit has ${ink} bright pixels`);

  // The contents bar leads to every exercise; the engine's diagnostics wait, folded, under "About this engine".
  const targets = await page.locator('nav.contents a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(targets, [
    '#draw-card',
    '#inside-card',
    '#model-card',
    '#train-card',
    '#best-card',
    '#zoo-card',
    '#compare-card',
    '#fcn-card',
    '#segment-card',
    '#photo-card',
    '#teach-card',
    '#about-card',
  ]);
  for (const t of targets) assert.equal(await page.locator(t).count(), 1, `${t} exists`);
  assert.equal(await smoke.isVisible(), false, 'the kernel check is folded away at first');
  await page.locator('nav.contents a', { hasText: 'About this engine' }).click();
  await page.locator('#about-card > summary').click();
  assert.equal(await smoke.isVisible(), true);
  await page.close();
});

test('without WebGPU the page says so and runs on the CPU', async () => {
  // A browser without WebGPU at all: no navigator.gpu in the page nor in its workers (the
  // engine runs in a worker, so the worker's script loses it too).
  const browser = await launchBrowser();
  await browser.context.route('**/assets/convplay-worker.js', async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: `delete WorkerNavigator.prototype.gpu;\n${await response.text()}` });
  });
  const { page, errors } = await openPage(browser.context, env.server.url, {
    initScript: () => {
      delete Navigator.prototype.gpu;
      delete navigator.gpu;
    },
  });
  assert.equal(await waitForShell(page), 'ready');
  assert.deepEqual(errors, []);
  assert.equal(await page.evaluate(() => 'gpu' in navigator), false, 'the init script removed navigator.gpu');
  assert.match(await page.locator('#engine-details').textContent(), /CPU/);
  const banner = page.locator('#fallback-banner');
  assert.equal(await banner.isVisible(), true);
  assert.match(
    await banner.textContent(),
    /WebGPU is unavailable, so ConvPlay runs on its CPU backend.*navigator\.gpu is missing/,
  );
  // The CPU trains on every core the browser reports (at most 8): "CPU backend" on one.
  const cores = await page.evaluate(() => Math.min(8, navigator.hardwareConcurrency || 1));
  const badge = cores > 1 ? `CPU · ${cores} threads` : 'CPU backend';
  assert.equal(await page.locator('#backend-badge').textContent(), badge);
  assert.match(await page.locator('#smoke-status').textContent(), /^OK: 65,537 values on the CPU/);
  assert.equal(await page.locator('#mnist-status').getAttribute('data-count'), '10000');
  // The service worker registers once the shell is ready and precaches then: a fetch of the
  // worker script may still be in the route when the browser closes.
  await browser.context.unrouteAll({ behavior: 'ignoreErrors' });
  await browser.close();
});

test('?backend=cpu picks the CPU on purpose, without a fallback warning', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  assert.deepEqual(errors, []);
  assert.equal(await page.locator('#backend-badge').getAttribute('data-kind'), 'cpu');
  assert.equal(await page.locator('#fallback-banner').isHidden(), true);
  assert.equal(await page.locator('.switch a[aria-current="true"]').textContent(), 'CPU');
  await page.close();
});

test('an unknown backend in the URL is a readable error, and the page still runs', async () => {
  const { page } = await openPage(env.browser.context, `${env.server.url}?backend=tpu`);
  assert.equal(await waitForShell(page), 'error');
  assert.equal(
    await page.locator('#error-banner').textContent(),
    'URL: unknown backend "tpu": use "auto", "webgpu" or "cpu"',
  );
  assert.equal(await page.locator('#smoke-status').getAttribute('data-ok'), 'true');
  await page.close();
});
