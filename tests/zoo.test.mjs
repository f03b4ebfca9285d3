// The architecture zoo: the view lists every zoo preset with its size and the accuracies stored
// with it; choosing Fashion-MNIST and "Train" trains that preset on a tiny subset of
// Fashion-MNIST (fetched only then), and the results name the clothes classes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, waitForShell, trainerFinished } from './harness.mjs';

const env = useBrowser();

const ZOO = [
  'lenet-5',
  'alexnet-mini',
  'alexnet-mini-nolrn',
  'googlenet-mini',
  'resnet-mini',
  'se-resnet-mini',
  'xception-mini',
  'seed-001',
];

test('the zoo shows every architecture; Train on Fashion-MNIST trains with class names', async () => {
  const q = new URLSearchParams({ backend: 'cpu', view: 'zoo', 'train-images': '320', 'test-images': '100' });
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?${q}`);
  const fashion = [];
  page.on('request', (r) => {
    if (r.url().includes('/data/fashion-mnist/')) fashion.push(r.url());
  });
  assert.equal(await waitForShell(page), 'ready');
  const zoo = page.locator('convplay-zoo');
  await page.evaluate(() => document.querySelector('convplay-zoo').ready);
  assert.ok(await page.locator('#zoo-card').isVisible());
  const rows = zoo.locator('table[data-zoo] tbody tr');
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.preset)), ZOO);
  // Sizes come from the summary; the MNIST accuracy is stored with each preset.
  const resnet = zoo.locator('tr[data-preset="resnet-mini"]');
  assert.match(await resnet.textContent(), /77,674/);
  for (const name of ZOO) {
    const cell = await zoo.locator(`tr[data-preset="${name}"] td[data-set="mnist"]`).textContent();
    assert.match(cell, /\d+\.\d\d% \(\d+ ep\.( × [\d,]+)?\)/, `${name}'s stored MNIST accuracy: ${cell}`);
    assert.ok((await zoo.locator(`tr[data-preset="${name}"] td.idea`).textContent()).length > 40, name);
  }
  assert.equal(fashion.length, 0, `Fashion-MNIST fetched before it was chosen: ${fashion.join(', ')}`);

  await zoo.locator('select[aria-label="zoo data set"]').selectOption('fashion-mnist');
  await zoo.locator('tr[data-preset="lenet-5"] button[data-train]').click();
  await trainerFinished(page, 120_000);
  const t = page.locator('convplay-train');
  const status = await t.locator('.status').textContent();
  assert.equal(await t.locator('.status').getAttribute('data-phase'), 'done', status);
  assert.ok(
    fashion.some((u) => u.endsWith('train-images-idx3-ubyte.gz')),
    'the Fashion-MNIST training set was fetched',
  );
  const settings = await page.evaluate(() => document.querySelector('convplay-train').settings);
  assert.equal(settings.preset, 'lenet-5');
  assert.equal(settings.dataset, 'fashion-mnist');
  assert.equal(await t.locator('select[aria-label="data set"]').inputValue(), 'fashion-mnist');
  // The confusion matrix over the 100 test images says the class names.
  const heads = await t.locator('table[data-confusion] thead th').allTextContents();
  assert.deepEqual(heads.slice(1), [
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
  ]);
  const cells = (await t.locator('table[data-confusion] tbody td').allTextContents()).map(Number);
  assert.equal(
    cells.reduce((a, b) => a + b, 0),
    100,
  );
  assert.match(await t.locator('convplay-confusion h4').textContent(), /rows: true class/);
  // The mistakes say them too (a lenet-5 on 288 images misses plenty of the 100).
  const caption = await t.locator('[data-mistakes] figcaption').first().textContent();
  assert.match(
    caption,
    /^(T-shirt\/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot) → \D/,
    caption,
  );
  assert.deepEqual(errors, []);
  await page.close();
});
