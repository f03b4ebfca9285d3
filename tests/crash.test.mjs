// The engine's worker dies mid-training (the internal test hook `crashForTest` raises a
// WebAssembly.RuntimeError in it, through the path a wasm trap takes): calls in flight reject
// with an error naming the crash, the engine restarts its worker, <convplay-train> says what happened and offers the
// checkpoint of its last finished epoch (which, restored, predicts as the model did at that
// epoch), a reload offers it too, a model rebuilt from its source still answers while a
// trained one says it was lost, and the digit pad keeps reading. A tiny model on the CPU.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, stroke, ellipse } from './harness.mjs';

const env = useBrowser();

/** A tiny MNIST model: one small conv layer, then the 10 digits. */
const TINY = {
  name: 'tiny-crash',
  input: [28, 28, 1],
  layers: [
    { type: 'conv2d', filters: 4, kernel_size: 3, strides: 2, activation: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

/** A page with the API on the CPU (the shared engine), a drawing pad and a training element. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>crash test</title><link rel="icon" href="favicon.svg">
<script type="module">
import { sharedEngine } from './convplay.js';
window.convplayTestHooks = true;
window.engine = await sharedEngine('cpu');
window.restarts = [];
window.engine.addEventListener('restart', (e) => window.restarts.push(e.detail));
document.body.insertAdjacentHTML('beforeend', '<convplay-draw size="280"></convplay-draw><convplay-train backend="cpu"></convplay-train>');
window.ready = true;
</script>`;

async function crashPage() {
  const page = await env.browser.context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  const url = `${env.server.url}crash-test.html`;
  await page.route(url, (route) => route.fulfill({ contentType: 'text/html', body: PAGE }));
  await page.goto(url);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
  return { page, errors };
}

const train = (page, f, arg) => page.evaluate(f, arg);

/** Polls the kept checkpoint until `ok(kept)` (at most 60 s); returns the last one read. */
async function waitKept(page, ok) {
  const deadline = Date.now() + 60_000;
  let kept = await checkpointKept(page);
  while (!ok(kept) && Date.now() < deadline) {
    await page.waitForTimeout(100);
    kept = await checkpointKept(page);
  }
  return kept;
}

/** The kept checkpoint in IndexedDB (idb-keyval's store): its epoch and reason, or null. */
async function checkpointKept(page) {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        const open = indexedDB.open('keyval-store');
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('keyval')) return resolve(null);
          const get = db.transaction('keyval').objectStore('keyval').get('convplay:checkpoint');
          get.onsuccess = () => resolve(get.result ? { epoch: get.result.epoch, reason: get.result.reason } : null);
          get.onerror = () => resolve(null);
        };
        open.onerror = () => resolve(null);
      }),
  );
}

test('a worker crash mid-training: calls reject, the engine restarts, the checkpoint comes back', async () => {
  const { page, errors } = await crashPage();
  const t = page.locator('convplay-train');
  await page.waitForFunction(() => document.querySelector('convplay-train')?.presets?.length > 0);
  await train(page, (spec) => document.querySelector('convplay-train').useSpec(spec), JSON.stringify(TINY));
  await t.locator('input[aria-label="training images"]').fill('400');
  await t.locator('input[aria-label="test images"]').fill('100');
  await t.locator('input[aria-label="epochs"]').fill('200');
  await t.locator('input[aria-label="batch"]').fill('32');
  await t.locator('input[aria-label="learning rate"]').fill('0.01');

  // The pad reads a drawn "0" with its pretrained model (from weights bytes the API keeps).
  const pad = page.locator('convplay-draw');
  await page.waitForFunction(() => document.querySelector('convplay-draw')?.modelName?.startsWith('pretrained'), null, {
    timeout: 60_000,
  });
  await stroke(page, await pad.locator('canvas.pad').boundingBox(), ellipse);
  await page.waitForFunction(() => document.querySelector('convplay-draw').probs !== null);
  const padBefore = await page.evaluate(() => document.querySelector('convplay-draw').probs);

  // Beside the element, two models of the API: one from a preset (rebuilt after the crash), one
  // being trained (lost with it).
  await page.evaluate(async () => {
    const e = window.engine;
    window.fresh = await e.model({ preset: 'seed-001' }, { batch: 4 });
    window.freshBefore = Array.from(await window.fresh.predictBatch(new Float32Array(784).fill(0.5)));
    const busy = await e.model({ preset: 'seed-001' }, { batch: 4 });
    window.busy = busy;
    const images = new Uint8Array(64 * 784).map((_, i) => (i * 37) % 256);
    const run = busy.fit({ images, labels: new Uint8Array(64).map((_, i) => i % 10) }, { epochs: 100000 });
    window.pendingFit = run.then(
      () => 'resolved',
      (err) => ({ name: err.name, message: err.message }),
    );
  });

  await t.getByRole('button', { name: 'Train' }).click();
  await page.waitForFunction(() => document.querySelector('convplay-train').epochsDone.length >= 1, null, {
    timeout: 120_000,
  });
  // Wait until a checkpoint of a finished epoch is in IndexedDB.
  assert.equal((await waitKept(page, (k) => k !== null))?.reason, 'epoch', 'no checkpoint of an epoch was kept');

  // The crash; the test predictions of every epoch finished when it came, as the run reported them.
  await page.evaluate(() => {
    window.engine.addEventListener('restart', () => {
      const t = document.querySelector('convplay-train');
      window.before = t.epochsDone.map((e) => Array.from(e.test.predictions));
    });
    window.engine.crashForTest();
  });

  // The fit in flight rejects with the crash; the page says what happened and offers the checkpoint.
  const fitError = await page.evaluate(() => window.pendingFit);
  const before = await page.evaluate(() => window.before);
  assert.equal(fitError.name, 'EngineStopped');
  assert.match(
    fitError.message,
    /^the ConvPlay engine stopped \(Uncaught RuntimeError: the test asked the engine to crash\); it was restarted, but this call was lost: call it again$/,
  );
  const notice = t.locator('[data-crash]');
  await notice.waitFor({ timeout: 30_000 });
  const text = await notice.textContent();
  assert.match(
    text,
    /^The engine stopped \(Uncaught RuntimeError: the test asked the engine to crash\)\. It was restarted; your model from the checkpoint of epoch \d+ \(\d+\.\d\d% validation\) is offered back\.$/,
  );
  assert.equal(await t.locator('.status').getAttribute('data-phase'), 'error');
  assert.match(await t.locator('.status').textContent(), /the ConvPlay engine stopped/);
  assert.deepEqual(await page.evaluate(() => window.restarts.map((r) => r.count)), [1]);

  // New calls go to the new worker: the preset model was rebuilt (same predictions), the trained
  // one says it was lost, and the pad reads again.
  const after = await page.evaluate(async () => {
    const fresh = Array.from(await window.fresh.predictBatch(new Float32Array(784).fill(0.5)));
    let lost = '';
    try {
      await window.busy.predictBatch(new Float32Array(784));
    } catch (e) {
      lost = e.message;
    }
    return { same: fresh.every((v, i) => v === window.freshBefore[i]), lost, usage: await window.engine.usage() };
  });
  assert.equal(after.same, true, 'the model rebuilt from its preset predicts otherwise');
  assert.match(after.lost, /^this model was lost when the ConvPlay engine stopped \(.*\): it had been trained/);
  assert.equal(after.usage.sessions, 0);
  await page.waitForFunction(() => document.querySelector('convplay-draw').restarted !== '');
  await page.evaluate(() => document.querySelector('convplay-draw').classify());
  const padAfter = await page.evaluate(() => ({
    probs: document.querySelector('convplay-draw').probs,
    problem: document.querySelector('convplay-draw').problem,
  }));
  assert.equal(padAfter.problem, '');
  assert.deepEqual(padAfter.probs, padBefore);
  assert.match(await pad.locator('[data-restarted]').textContent(), /^The engine stopped \(.*\)\. It was restarted/);

  // A reload offers the checkpoint too; restored, it predicts as the model did at its epoch.
  await page.reload();
  await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
  const restore = t.locator('button[data-restore]');
  await restore.waitFor({ timeout: 30_000 });
  const label = await restore.textContent();
  const m = /^Restore the checkpoint of epoch (\d+) \(\d+\.\d\d% validation\)$/.exec(label.trim());
  assert.ok(m, label);
  const epoch = Number(m[1]);
  assert.ok(epoch >= 1 && epoch <= before.length, `checkpoint epoch ${epoch}, ${before.length} epochs done`);
  assert.match(await t.locator('[data-crash]').textContent(), /^A training run of tiny-crash did not finish/);
  await restore.click();
  await page.waitForFunction(() => document.querySelector('convplay-train').loaded !== null, null, {
    timeout: 60_000,
  });
  const restored = await page.evaluate(() => Array.from(document.querySelector('convplay-train').loaded.predictions));
  assert.equal(restored.length, 100);
  assert.deepEqual(restored, before[epoch - 1], 'the restored model predicts otherwise than at its epoch');
  assert.match(await t.locator('[data-saved]').textContent(), /^Kept in this browser: tiny-crash/);
  assert.equal(await t.locator('button[data-restore]').count(), 0);
  assert.equal(await checkpointKept(page), null, 'the restored checkpoint is still offered');

  // Pausing keeps a checkpoint too; a run that ends (here: stopped) keeps its model and drops it.
  await t.locator('input[aria-label="epochs"]').fill('200');
  await t.getByRole('button', { name: 'Train' }).click();
  await page.waitForFunction(() => document.querySelector('convplay-train').curvePoints > 0, null, { timeout: 60_000 });
  await t.getByRole('button', { name: 'Pause' }).click();
  await t.getByRole('button', { name: 'Resume' }).waitFor({ timeout: 30_000 });
  assert.equal((await waitKept(page, (k) => k?.reason === 'pause'))?.reason, 'pause');
  await t.getByRole('button', { name: 'Stop' }).click();
  await page.waitForFunction(() => document.querySelector('convplay-train').status === 'stopped', null, {
    timeout: 30_000,
  });
  assert.equal(await waitKept(page, (k) => k === null), null, 'the checkpoint outlived the run that ended');
  assert.deepEqual(errors, []);
  await page.close();
});
