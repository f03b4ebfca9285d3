// Training on every core (docs/design.md, "Every core"): a CPU model's fit split across two
// workers gives the one-worker run's loss and weights (within f32 rounding of the sums' order)
// and the same result on every run, in a page without COOP/COEP headers (a course site that
// sends none) and in a cross-origin isolated one; the badge shows the thread count.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, waitForShell } from './harness.mjs';

const env = useBrowser();

const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** A blank page of the served dist/ (so `import('./convplay.js')` loads the API), with or without isolation. */
async function apiPage(isolated) {
  const page = await env.browser.context.newPage();
  const errors = [];
  page.on('console', (msg) => msg.type() === 'error' && errors.push(`console.error: ${msg.text()}`));
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  const url = `${env.server.url}threads-test-${isolated ? 'isolated' : 'plain'}.html`;
  await page.route(url, (route) =>
    route.fulfill({
      contentType: 'text/html',
      headers: isolated ? ISOLATION : {},
      body: '<!doctype html><meta charset="utf-8"><title>threads test</title><link rel="icon" href="favicon.svg">',
    }),
  );
  await page.goto(url);
  return { page, errors };
}

/** In the page: seed-001 (batch 32; SGD, whose step follows the gradient's size, unlike Adam's) trained for one epoch of 3 batches (the last one short) on
 * 80 digit-sized images from a fixed recipe, on `threads` workers; the loss, the threads the
 * progress reports said, the test evaluation after the epoch, and the trained model's
 * probabilities on the images (its weights, seen through the CPU). */
const train = async (threads) => {
  const { createEngine } = await import('./convplay.js');
  const engine = await createEngine({ backend: 'cpu', threads });
  const n = 80;
  const images = Uint8Array.from({ length: n * 784 }, (_, i) => (i * 131 + 7) % 251);
  const labels = Uint8Array.from({ length: n }, (_, i) => (i * 7) % 10);
  const model = await engine.model({ preset: 'seed-001' }, { batch: 32, seed: 3 });
  const said = new Set();
  // The test set is evaluated after the epoch, split across the workers too.
  const test = { images: images.slice(0, 40 * 784).reverse(), labels: labels.slice(0, 40) };
  const options = { epochs: 1, seed: 5, test, optimizer: 'sgd', lr: 0.1, onProgress: (p) => said.add(p.threads) };
  const r = await model.fit({ images, labels }, options);
  // A second fit right after borrows the same workers again.
  const again = await model.fit({ images, labels }, { ...options, seed: 6, test: undefined });
  const probs = await model.predictBatch(Float32Array.from(images, (v) => v / 255));
  engine.dispose();
  const { accuracy, predictions } = r.epochs[0].test;
  return {
    loss: r.epochs[0].loss,
    loss2: again.epochs[0].loss,
    said: [...said],
    probs: Array.from(probs),
    test: { accuracy, predictions: Array.from(predictions) },
    isolated: crossOriginIsolated,
  };
};

async function matchesOneThread(isolated) {
  const { page, errors } = await apiPage(isolated);
  const one = await page.evaluate(train, 1);
  const two = await page.evaluate(train, 2);
  const again = await page.evaluate(train, 2);
  assert.equal(two.isolated, isolated, 'the page is cross-origin isolated exactly when asked');
  assert.deepEqual(one.said, [1]);
  assert.deepEqual(two.said, [2], 'every progress report of the 2-thread fit says 2 threads');
  assert.ok(Number.isFinite(one.loss) && one.loss > 0.5, `a first epoch's loss (${one.loss})`);
  assert.ok(Math.abs(one.loss - two.loss) < 1e-4, `loss on 1 thread ${one.loss}, on 2 ${two.loss}`);
  assert.ok(Math.abs(one.loss2 - two.loss2) < 1e-4, `second fit: loss ${one.loss2} on 1 thread, ${two.loss2} on 2`);
  const d = Math.max(...one.probs.map((p, i) => Math.abs(p - two.probs[i])));
  assert.ok(d < 1e-4, `the trained models' probabilities differ by ${d}`);
  assert.equal(one.probs.length, 80 * 10);
  assert.deepEqual(two.test, one.test, 'the test set evaluated on 2 workers as on 1');
  assert.equal(one.test.predictions.length, 40);
  assert.equal(two.probs.length, one.probs.length);
  assert.deepEqual(again, two, 'two runs on 2 threads give the same result');
  assert.deepEqual(errors, []);
  await page.close();
}

test('a page without COOP/COEP trains on 2 workers as on 1', () => matchesOneThread(false));

test('a cross-origin isolated page trains on 2 workers as on 1', () => matchesOneThread(true));

// Last: the playground registers its service worker, which would then answer the routed pages above.
test('the badge shows the thread count, and ?threads=1 the CPU backend as before', async () => {
  for (const [q, text] of [
    ['threads=2', 'CPU · 2 threads'],
    ['threads=1', 'CPU backend'],
  ]) {
    const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu&${q}`);
    assert.equal(await waitForShell(page), 'ready');
    assert.equal(await page.locator('#backend-badge').textContent(), text);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, "npm start's server sends COOP and COEP");
    assert.deepEqual(errors, []);
    await page.close();
  }
  const { page } = await openPage(env.browser.context, `${env.server.url}?backend=cpu&threads=0`);
  await waitForShell(page);
  assert.match(await page.locator('body').textContent(), /threads=0 is not a whole number from 1 to 64/);
  await page.close();
});
