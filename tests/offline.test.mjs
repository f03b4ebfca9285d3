// Offline after the first visit: the service worker caches the page, and the large files
// (here the MNIST training set) once a view has fetched them, so with the network gone the page
// reloads, draws and trains from the cache.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, waitForShell, stroke, ellipse, trainerFinished } from './harness.mjs';

const env = useBrowser();

/** Trains LeNet-5 for an epoch on 128 images; it must end "done in …". */
async function trainLenet(page) {
  const t = page.locator('convplay-train');
  await t.locator('select[aria-label="model"] option').first().waitFor({ state: 'attached' });
  await t.locator('select[aria-label="model"]').selectOption('lenet-5');
  await t.locator('input[aria-label="epochs"]').fill('1');
  await t.locator('input[aria-label="training images"]').fill('128');
  await t.locator('input[aria-label="test images"]').fill('32');
  await t.getByRole('button', { name: 'Train' }).click();
  await trainerFinished(page, 120_000);
  assert.match(await t.locator('.status').textContent(), /^done in/);
}

test('after one visit the page works offline: reload, draw, train', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  await page.waitForFunction(() => document.documentElement.dataset.offline === 'ready', null, { timeout: 60_000 });
  const cachedFiles = () =>
    page.evaluate(async () => {
      const keys = await caches.keys();
      const cache = await caches.open(keys.find((k) => k.startsWith('convplay-')));
      return (await cache.keys()).map((r) => new URL(r.url).pathname);
    });
  let cached = await cachedFiles();
  assert.ok(!cached.includes('/data/mnist/train-images-idx3-ubyte.gz'), 'the training set waits for a view to need it');
  assert.ok(
    cached.some((p) => p.endsWith('.wasm')),
    'the engine',
  );
  // Training fetches the training set once (with its progress) and the worker keeps it.
  await trainLenet(page);
  // The service worker stores a fetched file after answering with it: a 9.7 MB file may land
  // in the cache a moment after training has used it.
  for (let i = 0; i < 100; i++) {
    cached = await cachedFiles();
    if (cached.includes('/data/mnist/train-images-idx3-ubyte.gz')) break;
    await page.waitForTimeout(100);
  }
  assert.ok(cached.includes('/data/mnist/train-images-idx3-ubyte.gz'), cached.join(' '));

  await env.browser.context.setOffline(true);
  try {
    await page.reload();
    assert.equal(await waitForShell(page), 'ready');
    assert.equal(await page.locator('#mnist-status').getAttribute('data-count'), '10000');
    const draw = page.locator('convplay-draw');
    await draw.locator('.note', { hasText: 'model: pretrained mnist-seed-001' }).waitFor();
    await draw.locator('canvas.pad').scrollIntoViewIfNeeded(); // the reload keeps the trainer's scroll position
    await stroke(page, await draw.locator('canvas.pad').boundingBox(), ellipse);
    await page.waitForFunction(() => document.querySelector('convplay-draw').prediction === 0);
    await trainLenet(page);
  } finally {
    await env.browser.context.setOffline(false);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
