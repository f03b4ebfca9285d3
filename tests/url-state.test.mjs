// The page's state in its URL: a link with a spec and hyper-parameters opens with them; the
// share dialog gives a link (and an iframe snippet) that opens the same state; bad values
// are named in the error banner and the rest still applies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, waitForShell } from './harness.mjs';

const env = useBrowser();

const spec = {
  name: 'tiny-cnn',
  input: [28, 28, 1],
  layers: [
    { type: 'conv2d', filters: 8, kernel_size: 3, activation: 'relu' },
    { type: 'max_pool2d', pool_size: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

async function trainerState(page) {
  const t = page.locator('convplay-train');
  await t.locator('select[aria-label="model"] option').first().waitFor({ state: 'attached' });
  await page.evaluate(() => document.querySelector('convplay-train').ready);
  const value = (label) => t.locator(`[aria-label="${label}"]`).inputValue();
  return {
    model: await t.locator('select[aria-label="model"] option:checked').textContent(),
    epochs: await value('epochs'),
    batch: await value('batch'),
    lr: await value('learning rate'),
    optimizer: await value('optimizer'),
    schedule: await value('schedule'),
    shift: await value('shift ± px'),
    rotate: await value('rotate ± °'),
    scale: await value('scale ± %'),
    trainImages: await value('training images'),
    testImages: await value('test images'),
    seed: await value('seed'),
  };
}

const want = {
  model: 'custom: tiny-cnn',
  epochs: '3',
  batch: '48',
  lr: '0.002',
  optimizer: 'sgd',
  schedule: 'cosine',
  shift: '1',
  rotate: '5',
  scale: '5',
  trainImages: '5000',
  testImages: '500',
  seed: '7',
};

test('a URL with a spec and hyper-parameters opens with them, and the share link round-trips', async () => {
  const q = new URLSearchParams({
    backend: 'cpu',
    view: 'train',
    spec: JSON.stringify(spec),
    epochs: '3',
    batch: '48',
    lr: '0.002',
    optimizer: 'sgd',
    schedule: 'cosine',
    augment: '1,5,0.05',
    'train-images': '5000',
    'test-images': '500',
    seed: '7',
  });
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?${q}`);
  assert.equal(await waitForShell(page), 'ready');
  assert.deepEqual(await trainerState(page), want);
  // view=train: the training card (and the inside view), not the others.
  assert.equal(await page.locator('#train-card').isVisible(), true);
  assert.equal(await page.locator('#inside-card').isVisible(), true);
  assert.equal(await page.locator('#model-card').isVisible(), false);
  assert.equal(await page.locator('#draw-card').isVisible(), false);
  // The model lab holds the spec too.
  assert.deepEqual(JSON.parse(await page.locator('convplay-model-lab textarea').inputValue()), spec);

  await page.getByRole('button', { name: 'Share / embed' }).click();
  const link = await page.locator('#share-url').inputValue();
  const iframe = await page.locator('#share-iframe').inputValue();
  assert.match(
    iframe,
    /^<iframe src="[^"]+" width="100%" height="760" style="border:0" title="ConvPlay" loading="lazy"><\/iframe>$/,
  );
  assert.equal(iframe.match(/src="([^"]+)"/)[1].replaceAll('&amp;', '&'), link);
  assert.equal(new URL(link).searchParams.get('view'), 'train');
  await page.locator('#share-view').selectOption('');
  const whole = await page.locator('#share-url').inputValue();
  assert.equal(new URL(whole).searchParams.get('view'), null);
  await page.close();

  const again = await openPage(env.browser.context, link);
  assert.equal(await waitForShell(again.page), 'ready');
  assert.deepEqual(await trainerState(again.page), want);
  assert.deepEqual(errors, []);
  assert.deepEqual(again.errors, []);
  await again.page.close();
});

test('bad values in the URL are named, and the rest applies', async () => {
  const { page } = await openPage(
    env.browser.context,
    `${env.server.url}?backend=cpu&preset=seed-004&epochs=-2&schedule=fast&view=everything`,
  );
  await waitForShell(page);
  assert.equal(
    await page.locator('#error-banner').textContent(),
    'URL: unknown view "everything": use draw, inside, photo, teach, model, train, compare, zoo, best; epochs=-2 is not a whole number ≥ 1; schedule=fast is not one of constant, step, cosine, onecycle',
  );
  const s = await trainerState(page);
  assert.equal(s.model, 'seed-004');
  assert.equal(s.epochs, '15', "seed-004's recipe");
  await page.close();
});

test('an unknown preset in the URL is named, and the model lab still shows a model and takes another', async () => {
  const { page, errors } = await openPage(
    env.browser.context,
    `${env.server.url}?backend=cpu&preset=resnet-9000&view=model`,
  );
  await waitForShell(page);
  assert.equal(
    await page.locator('#error-banner').textContent(),
    'URL: preset=resnet-9000 is not one of mnist-quick, seed-001, seed-004, lenet-5, mlp, course-3conv, seed-001-strided, alexnet-mini, alexnet-mini-nolrn, googlenet-mini, resnet-mini, se-resnet-mini, xception-mini, segment-mini, mnist-best',
  );
  const lab = page.locator('convplay-model-lab');
  const editor = lab.locator('textarea');
  await page.waitForFunction(() =>
    document.querySelector('convplay-model-lab')?.shadowRoot?.querySelector('textarea')?.value.includes('"layers"'),
  );
  assert.match(await editor.inputValue(), /"name": ?"seed-004"/, 'the default preset is in the editor');
  await lab.locator('select').first().selectOption('mlp');
  await page.waitForFunction(() =>
    /"name": ?"mlp"/.test(document.querySelector('convplay-model-lab').shadowRoot.querySelector('textarea').value),
  );
  assert.deepEqual(errors, []);
  await page.close();
});
