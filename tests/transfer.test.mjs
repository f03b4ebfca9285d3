// Teach it new classes: two synthetic classes (flat colours vs stripes) go through every
// step on the CPU backend — split, augmentation, cached features from the frozen
// EfficientNet-Lite0, a new head (100% on the held-out test split), fine-tuning of the top
// block, the new model on a fresh photo — then export, a reload that keeps the model, and
// loading the exported file back. Bad input gets named errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useBrowser, openPage, waitForShell, dropOn, syntheticPhotos as makeImages } from './harness.mjs';

const env = useBrowser();

/** Waits for `locator`, failing at once with the component's error if one shows instead. */
async function until(t, locator, timeout) {
  const problem = t.locator('[data-problem]');
  const which = await Promise.race([
    locator.waitFor({ timeout }).then(() => 'ok'),
    problem.waitFor({ timeout }).then(() => 'problem'),
  ]);
  if (which === 'problem') assert.fail(`the page reports: ${await problem.textContent()}`);
}

test('two new classes: features, head, fine-tuning, export and load back on the CPU backend', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu&view=teach`);
  assert.equal(await waitForShell(page), 'ready');
  const t = page.locator('convplay-transfer');
  const flat = await makeImages(page, 'flat', 10, 7);
  const stripes = await makeImages(page, 'stripes', 10, 11);

  // Too few images: a named error, nothing computed.
  await t.locator('[data-extract]').click();
  assert.match(await t.locator('[data-problem]').textContent(), /"class A" has 0 images; add at least 3/);

  await t.locator('input[aria-label="name of class 1"]').fill('flat');
  await t.locator('input[aria-label="name of class 2"]').fill('stripes');
  await t.locator('input[aria-label="images for class 1"]').setInputFiles(flat);
  await t.locator('input[aria-label="images for class 2"]').setInputFiles(stripes);
  await t.locator('[data-class="1"] [data-count]', { hasText: '10 images' }).waitFor();
  // A file that is not an image is named and skipped.
  const text = path.join(os.tmpdir(), 'teach-notes.txt');
  fs.writeFileSync(text, 'not a photo');
  await t.locator('input[aria-label="images for class 1"]').setInputFiles(text);
  assert.match(await t.locator('[data-problem]').textContent(), /teach-notes\.txt: not an image/);
  assert.equal(await t.locator('[data-class="0"] [data-count]').textContent(), '10 images');

  // The (fake) camera: holding the record button adds a frame every 0.2 s to that class;
  // Clear empties it again.
  await t.getByRole('button', { name: 'Use the camera' }).click();
  const rec = t.locator('[data-class="1"] button.rec');
  await rec.waitFor();
  await page.waitForFunction(
    () => document.querySelector('convplay-transfer').shadowRoot.querySelector('video')?.videoWidth > 0,
    null,
    { timeout: 30_000 },
  );
  await rec.hover();
  await page.mouse.down();
  await page.waitForTimeout(1_100);
  await page.mouse.up();
  const recorded = Number((await t.locator('[data-class="1"] [data-count]').textContent()).split(' ')[0]);
  assert.ok(recorded >= 13 && recorded <= 18, `${recorded - 10} frames recorded in 1.1 s`);
  await t.locator('[data-class="1"]').getByRole('button', { name: 'Clear' }).click();
  await t.locator('input[aria-label="images for class 2"]').setInputFiles(stripes);
  await t.locator('[data-class="1"] [data-count]', { hasText: '10 images' }).waitFor();
  await t.getByRole('button', { name: 'Stop camera' }).click();

  // 70/15/15 per class of 10: 6 + 2 + 2.
  assert.equal(
    await t.locator('[data-split]').textContent(),
    '12 training, 4 validation and 4 test images, split within each class.',
  );
  await t.locator('input[aria-label="augmented copies"]').fill('1');
  await t.locator('input[aria-label="augmented copies"]').dispatchEvent('change');

  // Clear the earlier error by starting the step; it runs without one now.
  await t.locator('[data-extract]').click();
  await t.locator('[data-problem]').waitFor({ state: 'detached' });
  await until(
    t,
    t.locator('[data-status]', {
      hasText: 'features ready: 20 photos and 12 augmented copies (24 for training, 4 validation, 4 test)',
    }),
    300_000,
  );
  const stats = await t.locator('[data-stats]').textContent();
  assert.match(stats, /prepared inputs: mean -?\d\.\d\d, std \d\.\d\d/);
  assert.equal(await t.locator('[data-mismatch]').count(), 0, "the base's own normalisation raises no warning");
  // The course's mistake, pixels ÷ 255 into a base trained on (x − 127) / 128, is flagged.
  await t.locator('select[aria-label="normalisation"]').selectOption('unit');
  await t.locator('[data-extract]').click();
  await until(t, t.locator('[data-mismatch]'), 300_000);
  assert.match(
    await t.locator('[data-mismatch]').textContent(),
    /preprocessing mismatch that leaves transfer learning at 11–19% test accuracy/,
  );
  await t.locator('select[aria-label="normalisation"]').selectOption('model');
  await t.locator('[data-extract]').click();
  await until(t, t.locator('[data-status]', { hasText: 'features ready' }), 300_000);
  await t.locator('[data-mismatch]').waitFor({ state: 'detached' });

  // The head: 100% on the held-out test split, with its confusion matrix.
  await t.locator('input[aria-label="head epochs"]').fill('40');
  await t.locator('input[aria-label="head epochs"]').dispatchEvent('change');
  await t.locator('[data-train-head]').click();
  await until(t, t.locator('[data-head-result]'), 120_000);
  assert.equal(await t.locator('[data-test-accuracy]').textContent(), '100.0%');
  const cells = await t.locator('[data-confusion] td').allTextContents();
  assert.deepEqual(cells, ['2', '0', '0', '2']);
  assert.equal((await t.locator('[data-plot="head"] canvas').count()) > 0, true, 'curves drawn');
  await t.locator('[data-taught]').waitFor({ timeout: 60_000 });

  // Fine-tuning the top (conv_head upward): before equals the head's result; after is reported.
  await t.locator('input[aria-label="fine-tuning epochs"]').fill('1');
  await t.locator('input[aria-label="fine-tuning epochs"]').dispatchEvent('change');
  const options = await t.locator('select[aria-label="unfreeze from"] option').allTextContents();
  assert.ok(options[0].startsWith('conv_head upward ('), options.join(' | '));
  assert.ok(
    options.some((o) => o.startsWith('blocks.15.expand_conv upward')),
    options.join(' | '),
  );
  await t.locator('[data-fine-tune]').click();
  await until(t, t.locator('[data-fine-result]'), 300_000);
  assert.equal(await t.locator('[data-before]').textContent(), '100.0%');
  assert.match(await t.locator('[data-after]').textContent(), /^\d+\.\d%$/);
  await until(t, t.locator('[data-taught]', { hasText: 'flat, stripes — fine-tuned from conv_head' }), 120_000);

  // The new model reads a fresh striped photo.
  const fresh = await makeImages(page, 'stripes', 1, 99);
  await t.locator('input[aria-label="photo to classify with the new model"]').setInputFiles(fresh);
  await until(t, t.locator('[data-trial]'), 60_000);
  assert.equal(await t.locator('[data-trial] span').first().textContent(), 'stripes');

  // The same model as ONNX (f32: about 4 × 3.4 million parameters).
  const [onnx] = await Promise.all([page.waitForEvent('download'), t.locator('[data-export-onnx]').click()]);
  assert.equal(onnx.suggestedFilename(), 'convplay-flat-stripes.onnx');
  const onnxSize = fs.statSync(await onnx.path()).size;
  assert.ok(onnxSize > 12_000_000 && onnxSize < 16_000_000, `ONNX export of ${onnxSize} bytes`);

  // Export (int8 safetensors with labels), then a reload keeps it, and the file loads back.
  const [download] = await Promise.all([page.waitForEvent('download'), t.locator('[data-export]').click()]);
  assert.equal(download.suggestedFilename(), 'convplay-flat-stripes.safetensors');
  const file = path.join(os.tmpdir(), 'convplay-flat-stripes.safetensors');
  await download.saveAs(file);
  const size = fs.statSync(file).size;
  // The base without its 1,000-class layer, kernels int8: about 3.8 MB.
  assert.ok(size > 3_000_000 && size < 4_500_000, `int8 export of ${size} bytes`);
  const header = JSON.parse(
    fs
      .readFileSync(file)
      .subarray(8, 8 + Number(fs.readFileSync(file).readBigUInt64LE(0)))
      .toString(),
  );
  assert.deepEqual(JSON.parse(header.__metadata__.labels), ['flat', 'stripes']);

  await page.reload();
  assert.equal(await waitForShell(page), 'ready');
  // The classes and their photos are kept too.
  await t
    .locator('[data-status]', { hasText: '20 photos in 2 classes kept from your last visit' })
    .waitFor({ timeout: 30_000 });
  assert.equal(await t.locator('input[aria-label="name of class 2"]').inputValue(), 'stripes');
  assert.equal(await t.locator('[data-class="1"] [data-count]').textContent(), '10 images');
  await t.locator('[data-restore]', { hasText: 'flat, stripes' }).click();
  await t.locator('[data-taught]').waitFor({ timeout: 60_000 });
  const flatPhoto = await makeImages(page, 'flat', 1, 1234);
  await t.locator('input[aria-label="photo to classify with the new model"]').setInputFiles(flatPhoto);
  await t.locator('[data-trial]').waitFor({ timeout: 60_000 });
  assert.equal(await t.locator('[data-trial] span').first().textContent(), 'flat');

  await t.locator('input[aria-label="load a taught model"]').setInputFiles(file);
  await t.locator('[data-taught]', { hasText: 'convplay-flat-stripes.safetensors' }).waitFor({ timeout: 60_000 });
  await t.locator('input[aria-label="photo to classify with the new model"]').setInputFiles(fresh);
  await t.locator('[data-trial]').waitFor({ timeout: 60_000 });
  assert.equal(await t.locator('[data-trial] span').first().textContent(), 'stripes');

  // Start over empties the classes and forgets the kept photos.
  await t.getByRole('button', { name: 'Start over' }).click();
  await t.locator('[data-class="0"] [data-count]', { hasText: '0 images' }).waitFor();
  assert.equal(await t.locator('input[aria-label="name of class 1"]').inputValue(), 'class A');
  await page.waitForTimeout(600); // past any pending save
  assert.equal(
    await page.evaluate(
      () =>
        new Promise((resolve) => {
          const open = indexedDB.open('keyval-store');
          open.onsuccess = () => {
            const get = open.result.transaction('keyval').objectStore('keyval').get('convplay:teach-set');
            get.onsuccess = () => resolve(get.result === undefined);
          };
        }),
    ),
    true,
    'the kept photos are gone',
  );

  // A weights file for another input (the MNIST model) is refused by name.
  await t
    .locator('input[aria-label="load a taught model"]')
    .setInputFiles('www/public/models/mnist-seed-001.safetensors');
  assert.match(
    await t.locator('[data-problem]').textContent(),
    /mnist-seed-001\.safetensors holds a model for \[28, 28, 1\] inputs/,
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test('photos dropped on a class join that class; a dropped text file is named', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu&view=teach`);
  assert.equal(await waitForShell(page), 'ready');
  const t = page.locator('convplay-transfer');
  const photos = [
    ['cat.png', 'image/png', 'samples/chelsea.png'],
    ['cup.png', 'image/png', 'samples/coffee.png'],
  ];
  assert.deepEqual(await dropOn(page, t.locator('[data-class="1"]'), photos), { over: true, after: false });
  await t.locator('[data-class="1"] [data-count]', { hasText: '2 images' }).waitFor();
  assert.equal(await t.locator('[data-class="0"] [data-count]').textContent(), '0 images');
  assert.deepEqual(await t.locator('[data-class="1"] .thumbs img').evaluateAll((imgs) => imgs.map((i) => i.title)), [
    'cat.png',
    'cup.png',
  ]);
  await dropOn(page, t.locator('[data-class="0"]'), [['notes.txt', 'text/plain', null]]);
  assert.match(await t.locator('[data-problem]').textContent(), /notes\.txt: not an image/);
  assert.equal(await t.locator('[data-class="0"] [data-count]').textContent(), '0 images');
  // Leave nothing kept for a later visit.
  await t.getByRole('button', { name: 'Start over' }).click();
  await t.locator('[data-class="1"] [data-count]', { hasText: '0 images' }).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});
