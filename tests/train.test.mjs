// Training in the tab: a tiny run on the CPU backend and on WebGPU (SwiftShader) moves
// the loss down, draws the curves, and reports validation and test accuracy; pause and
// stop work; the page stays free of errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useBrowser, openPage, waitForShell, trainerFinished } from './harness.mjs';

const env = useBrowser();

async function configure(page, { model, images, test, batch, lr, epochs = 1 }) {
  const t = page.locator('convplay-train');
  await t.locator('select[aria-label="model"] option').first().waitFor({ state: 'attached' });
  await t.locator('select[aria-label="model"]').selectOption(model);
  await t.locator('input[aria-label="training images"]').fill(String(images));
  await t.locator('input[aria-label="test images"]').fill(String(test));
  await t.locator('input[aria-label="epochs"]').fill(String(epochs));
  await t.locator('input[aria-label="batch"]').fill(String(batch));
  await t.locator('input[aria-label="learning rate"]').fill(String(lr));
  return t;
}

const phase = (page) =>
  page.evaluate(() => document.querySelector('convplay-train').shadowRoot.querySelector('.status').dataset.phase);

const finish = trainerFinished;

test('CPU backend: seed-001 on 1,024 images learns, with curves and an epoch row', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  const t = await configure(page, { model: 'seed-001', images: 1024, test: 256, batch: 32, lr: 0.003 });
  await t.getByRole('button', { name: 'Train' }).click();
  await finish(page, 120_000);
  assert.equal(await phase(page), 'done', await t.locator('.status').textContent());
  const losses = await page.evaluate(() => document.querySelector('convplay-train').losses);
  assert.ok(losses.length >= 3, `${losses.length} points on the loss curve`);
  assert.ok(losses.at(-1) < losses[0] * 0.8, `loss ${losses[0]} → ${losses.at(-1)}`);
  const row = await t.locator('table[data-epochs] tbody tr').textContent();
  const test = Number((await t.locator('td[data-test]').textContent()).replace('%', ''));
  assert.ok(test > 60, `test accuracy ${test}% after one epoch on 922 images (row: ${row})`);
  assert.match(await t.locator('.status').textContent(), /^done in [\d.]+ s$/);
  // The confusion matrix counts the 256 test images; its diagonal is the accuracy.
  const cells = await t.locator('table[data-confusion] tbody td').allTextContents();
  assert.equal(cells.length, 100);
  const counts = cells.map(Number);
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    256,
  );
  const diagonal = counts.filter((_, k) => k % 11 === 0).reduce((a, b) => a + b, 0);
  assert.equal(Math.round((1000 * diagonal) / 256) / 10, Math.round(test * 10) / 10);
  const mistakes = await t.locator('[data-mistakes] figcaption').allTextContents();
  assert.equal(mistakes.length, Math.min(30, 256 - diagonal));
  assert.ok(
    mistakes.every((m) => /^\d → \d$/.test(m) && m[0] !== m.at(-1)),
    mistakes.join(', '),
  );

  // The model is kept in IndexedDB and downloads as a ConvPlay safetensors file.
  assert.match(
    await t.locator('[data-saved]').textContent(),
    new RegExp(`^Kept in this browser: seed-001, ${test.toFixed(2)}% test accuracy`),
  );
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    t.getByRole('button', { name: 'Download .safetensors' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'seed-001.safetensors');
  const file = await download.path();
  const bytes = fs.readFileSync(file);
  const headerLen = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8'));
  assert.equal(header.__metadata__.format, 'convplay');
  assert.equal(JSON.parse(header.__metadata__.spec).name, 'seed-001');
  assert.deepEqual(header['conv2d_1/kernel'].shape, [3, 3, 1, 32]);
  assert.equal(header['conv2d_1/kernel'].dtype, 'F32');
  // The same model as TF.js Layers files (model.json and its shard) and as ONNX.
  const tfjsFiles = [];
  page.on('download', (d) => tfjsFiles.push(d));
  await t.locator('[data-download="tfjs"]').click();
  for (let i = 0; i < 50 && tfjsFiles.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(tfjsFiles.map((d) => d.suggestedFilename()).sort(), ['model.weights.bin', 'seed-001.json']);
  const modelJson = JSON.parse(
    fs.readFileSync(await tfjsFiles.find((d) => d.suggestedFilename().endsWith('.json')).path(), 'utf8'),
  );
  assert.equal(modelJson.format, 'layers-model');
  assert.deepEqual(modelJson.weightsManifest[0].paths, ['model.weights.bin']);
  assert.equal(
    fs.statSync(await tfjsFiles.find((d) => d.suggestedFilename().endsWith('.bin')).path()).size,
    121930 * 4,
  );
  const [onnx] = await Promise.all([page.waitForEvent('download'), t.locator('[data-download="onnx"]').click()]);
  assert.equal(onnx.suggestedFilename(), 'seed-001.onnx');
  assert.ok(fs.statSync(await onnx.path()).size > 121930 * 4);

  // A reload keeps it; loading the downloaded file predicts the same test images the same.
  await page.reload();
  assert.equal(await waitForShell(page), 'ready');
  await t.locator('[data-saved]').waitFor();
  assert.match(await t.locator('[data-saved]').textContent(), /^Kept in this browser: seed-001/);
  await t.locator('input[aria-label="test images"]').fill('256');
  await t.locator('input[aria-label="load weights"]').setInputFiles(file);
  await finish(page, 60_000);
  assert.equal(
    await t.locator('.status').textContent(),
    `loaded seed-001 (121,930 parameters): test accuracy ${test.toFixed(2)}% on 256 images`,
  );
  assert.deepEqual((await t.locator('table[data-confusion] tbody td').allTextContents()).map(Number), counts);
  // A file that is not a weights file is a readable error.
  const junk = path.join(os.tmpdir(), 'not-weights.safetensors');
  fs.writeFileSync(junk, 'hello');
  await t.locator('input[aria-label="load weights"]').setInputFiles(junk);
  // The phase is still "done" from the last load until the new file has been read: wait for the error itself.
  await page.waitForFunction(
    () => document.querySelector('convplay-train').shadowRoot.querySelector('.status').dataset.phase === 'error',
    null,
    { timeout: 60_000 },
  );
  assert.match(
    await t.locator('.status').textContent(),
    /^this is not a readable safetensors file \(.*\); it may be truncated or not a weights file: save or download it again$/,
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test('WebGPU backend: LeNet-5 on 160 images moves the loss down', async () => {
  // Asked for by name: under "auto" the trainer would measure both backends and pick the faster.
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=webgpu`);
  assert.equal(await waitForShell(page), 'ready');
  assert.equal(await page.locator('#backend-badge').getAttribute('data-kind'), 'gpu');
  const t = await configure(page, { model: 'lenet-5', images: 160, test: 32, batch: 16, lr: 0.005 });
  await t.getByRole('button', { name: 'Train' }).click();
  await finish(page, 240_000);
  assert.equal(await phase(page), 'done', await t.locator('.status').textContent());
  const losses = await page.evaluate(() => document.querySelector('convplay-train').losses);
  assert.ok(losses.length >= 2, `${losses.length} points`);
  assert.ok(losses.at(-1) < losses[0], `loss ${losses[0]} → ${losses.at(-1)}`);
  assert.ok(
    losses.every((l) => Number.isFinite(l) && l > 0),
    `losses ${losses}`,
  );
  assert.equal(await t.locator('table[data-epochs] tbody tr').count(), 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('pause, resume and stop', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  const t = await configure(page, { model: 'seed-001', images: 60000, test: 100, batch: 64, lr: 0.001 });
  await t.getByRole('button', { name: 'Train' }).click();
  await page.waitForFunction(() => document.querySelector('convplay-train').curvePoints >= 1, null, {
    timeout: 60_000,
  });
  await t.getByRole('button', { name: 'Pause' }).click();
  await page.waitForFunction(
    () => document.querySelector('convplay-train').shadowRoot.querySelector('.status').dataset.phase === 'paused',
  );
  const at = await page.evaluate(() => document.querySelector('convplay-train').curvePoints);
  await page.waitForTimeout(500);
  assert.equal(
    await page.evaluate(() => document.querySelector('convplay-train').curvePoints),
    at,
    'no progress while paused',
  );
  await t.getByRole('button', { name: 'Resume' }).click();
  await page.waitForFunction((n) => document.querySelector('convplay-train').curvePoints > n, at, { timeout: 60_000 });
  await t.getByRole('button', { name: 'Stop' }).click();
  await finish(page, 60_000);
  assert.equal(await t.locator('.status').textContent(), 'stopped');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the model lab hands its spec to the trainer; a spec MNIST cannot feed is a clear error', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  const lab = page.locator('convplay-model-lab');
  const t = page.locator('convplay-train');
  // An edited spec: seed-001 with 16 filters in its first conv, renamed.
  await lab.locator('select[aria-label="preset"]').selectOption('seed-001');
  const spec = JSON.parse(await lab.locator('textarea').inputValue());
  spec.name = 'my-net';
  spec.layers[0].filters = 16;
  delete spec.training;
  await lab.locator('textarea').fill(JSON.stringify(spec));
  await lab.getByRole('button', { name: 'Train this model on MNIST' }).click();
  await t.locator('select[aria-label="model"] option', { hasText: 'custom: my-net' }).waitFor({ state: 'attached' });
  assert.equal(await t.locator('select[aria-label="model"]').inputValue(), '(custom)');
  await t.locator('input[aria-label="epochs"]').fill('1');
  await t.locator('input[aria-label="training images"]').fill('256');
  await t.locator('input[aria-label="test images"]').fill('32');
  await t.getByRole('button', { name: 'Train' }).click();
  await finish(page, 120_000);
  assert.match(await t.locator('[data-saved]').textContent(), /^Kept in this browser: my-net,/);
  // The course's 200×300×3 network cannot take MNIST digits: the lab says so before the click
  // and keeps the button off; the trainer, handed the spec anyway, refuses it with the same reason.
  await lab.locator('select[aria-label="preset"]').selectOption('course-3conv');
  await lab.locator('[data-problems="0"]').waitFor();
  await lab.locator('[data-train-why]').waitFor();
  assert.match(await lab.locator('[data-train-why]').textContent(), /this model's input is \[200, 300, 3\]/);
  assert.equal(await lab.getByRole('button', { name: 'Train this model on MNIST' }).isDisabled(), true);
  const course = await lab.locator('textarea').inputValue();
  await page.evaluate((json) => document.querySelector('convplay-train').useSpec(json), course);
  await t
    .locator('select[aria-label="model"] option', { hasText: 'custom: course-3conv' })
    .waitFor({ state: 'attached' });
  await t.getByRole('button', { name: 'Train' }).click();
  await finish(page, 60_000);
  assert.equal(
    await t.locator('.status').textContent(),
    'MNIST digits are 28×28×1 (784 values), but this model\'s input is [200, 300, 3]; set "input": [28, 28, 1] in its spec',
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test("a recipe's weight decay is named and trained with", async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  const t = page.locator('convplay-train');
  await page.evaluate(() => document.querySelector('convplay-train').ready);
  const spec = JSON.parse(await page.evaluate(() => fetch('presets/seed-001.json').then((r) => r.text())));
  spec.name = 'decayed';
  spec.training = { epochs: 1, optimizer: 'adamw', weight_decay: 0.02, lr: 0.002 };
  await page.evaluate((json) => document.querySelector('convplay-train').useSpec(json), JSON.stringify(spec));
  assert.equal(
    await t.locator('[data-recipe]').textContent(),
    "decayed's recipe: 1 epoch, adamw, weight decay 0.02, lr 0.002.",
  );
  assert.equal(await page.evaluate(() => document.querySelector('convplay-train').weightDecay), 0.02);
  assert.equal(await t.locator('select[aria-label="optimizer"]').inputValue(), 'adamw');
  // A preset without one leaves the optimizer's default.
  await t.locator('select[aria-label="model"]').selectOption('seed-001');
  await t.locator('[data-recipe]', { hasText: 'seed-001' }).waitFor();
  assert.equal(await page.evaluate(() => document.querySelector('convplay-train').weightDecay), undefined);
  assert.deepEqual(errors, []);
  await page.close();
});
