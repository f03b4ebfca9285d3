// Inside the network: a drawn digit's feature maps, filters, dense activations and saliency
// map render; a test digit can be looked at; while a model trains, its own view arrives live.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, waitForShell, stroke, ellipse, trainerFinished } from './harness.mjs';

const env = useBrowser();

/** How many pixels of a canvas in the inside view are not black. */
const lit = (page, selector) =>
  page.evaluate((sel) => {
    const c = document.querySelector('convplay-inside').shadowRoot.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 0) n++;
    return n;
  }, selector);

test('feature maps, filters and saliency of a drawn digit, a test digit, and live during training', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  const draw = page.locator('convplay-draw');
  await draw.locator('.note', { hasText: 'model: pretrained mnist-seed-001' }).waitFor();
  await stroke(page, await draw.locator('canvas.pad').boundingBox(), ellipse);
  const inside = page.locator('convplay-inside');
  await inside.locator('[data-source]', { hasText: 'your drawing' }).waitFor();
  // seed-001: conv 26×26×32, pool 13×13×32, conv 11×11×64 (32 of 64 shown), pool 5×5×64 (32 shown).
  assert.equal(await page.evaluate(() => document.querySelector('convplay-inside').mapCount), 128);
  assert.equal(await inside.locator('canvas[data-filter]').count(), 32);
  assert.match(await inside.locator('h4').first().textContent(), /^conv2d_1 conv2d · 26×26×32$/);
  assert.match(
    await inside.locator('figcaption', { hasText: 'saliency' }).textContent(),
    /^saliency for “0” \(\d+\.\d%\)$/,
  );
  const saliencyPixels = await lit(page, 'canvas[data-saliency]');
  assert.ok(saliencyPixels > 50, `${saliencyPixels} lit saliency pixels`);
  assert.ok((await lit(page, 'canvas[data-map="0:0"]')) > 0, 'the first feature map is drawn');
  assert.equal(await inside.locator('[data-vector="dense_2"] span').count(), 10);
  assert.equal(await inside.locator('[data-vector="dense_1"] span').count(), 64);

  await page.locator('#inside-test-digit').click();
  await inside
    .locator('[data-source]', { hasText: /^test digit \d+ \(a \d\), read by pretrained mnist-seed-001$/ })
    .waitFor();

  // Training: the view switches to the model being trained.
  const t = page.locator('convplay-train');
  await t.locator('select[aria-label="model"] option').first().waitFor({ state: 'attached' });
  await t.locator('select[aria-label="model"]').selectOption('lenet-5');
  await t.locator('input[aria-label="epochs"]').fill('1');
  await t.locator('input[aria-label="training images"]').fill('200');
  await t.locator('input[aria-label="test images"]').fill('20');
  await t.locator('input[aria-label="batch"]').fill('20');
  await page.evaluate(() => {
    window.looks = [];
    document
      .querySelector('convplay-train')
      .addEventListener('inside', () => window.looks.push(document.querySelector('convplay-inside').source));
  });
  await t.getByRole('button', { name: 'Train' }).click();
  await trainerFinished(page, 120_000);
  const looks = await page.evaluate(() => window.looks);
  assert.ok(looks.length >= 1, 'at least the look after the epoch');
  assert.ok(
    looks.every((s) => /^live from the model being trained \(lenet-5\), after step \d+$/.test(s)),
    looks.join('; '),
  );
  // Once trained, the pad reads with the new model, and so does the view inside.
  await inside.locator('[data-source]', { hasText: 'your drawing, read by trained here: lenet-5' }).waitFor();
  assert.match(await inside.locator('h4').first().textContent(), /^conv2d_1 conv2d · 28×28×6$/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a preset brings its training recipe; augmentation trains on the CPU', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  const t = page.locator('convplay-train');
  await t.locator('[data-recipe]').waitFor();
  assert.equal(
    await t.locator('[data-recipe]').textContent(),
    "mnist-quick's recipe: 1 epoch, batch 32, adam, lr 0.003, onecycle.",
  );
  assert.equal(await t.locator('input[aria-label="batch"]').inputValue(), '32');
  assert.equal(await t.locator('select[aria-label="schedule"]').inputValue(), 'onecycle');
  await t.locator('select[aria-label="model"]').selectOption('seed-004');
  await t.locator('[data-recipe]', { hasText: 'seed-004' }).waitFor();
  assert.equal(await t.locator('input[aria-label="epochs"]').inputValue(), '15');
  assert.equal(await t.locator('input[aria-label="batch"]').inputValue(), '128');
  assert.equal(await t.locator('select[aria-label="schedule"]').inputValue(), 'cosine');
  // Augmented training of seed-001 on a few images learns.
  await t.locator('select[aria-label="model"]').selectOption('seed-001');
  await t.locator('input[aria-label="epochs"]').fill('1');
  await t.locator('input[aria-label="training images"]').fill('640');
  await t.locator('input[aria-label="test images"]').fill('64');
  await t.locator('input[aria-label="batch"]').fill('32');
  await t.locator('input[aria-label="learning rate"]').fill('0.003');
  await t.locator('input[aria-label="shift ± px"]').fill('2');
  await t.locator('input[aria-label="rotate ± °"]').fill('10');
  await t.locator('input[aria-label="scale ± %"]').fill('10');
  await t.getByRole('button', { name: 'Train' }).click();
  await trainerFinished(page, 120_000);
  assert.match(await t.locator('.status').textContent(), /^done in/);
  const losses = await page.evaluate(() => document.querySelector('convplay-train').losses);
  assert.ok(losses.at(-1) < losses[0], `loss ${losses[0]} → ${losses.at(-1)}`);
  // A bad range is a readable error, not a crash.
  await t.locator('input[aria-label="shift ± px"]').fill('40');
  await t.getByRole('button', { name: 'Train' }).click();
  await page.waitForFunction(
    () => document.querySelector('convplay-train').shadowRoot.querySelector('.status').dataset.phase === 'error',
    null,
    { timeout: 60_000 },
  );
  assert.equal(await t.locator('.status').textContent(), 'augmentation shift 40 is not allowed: use 0 to 14 pixels');
  assert.deepEqual(errors, []);
  await page.close();
});
