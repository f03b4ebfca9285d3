// The model lab in the page: the summary of a preset, errors while typing, will it fit
// (with fixes), the measured allocation on WebGPU, and two models side by side.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { useBrowser, openPage, waitForShell } from './harness.mjs';

const env = useBrowser();

test('seed-004 summary: 505,098 parameters, 704 non-trainable, memory figures', async () => {
  const { page, errors } = await openPage(env.browser.context, env.server.url);
  assert.equal(await waitForShell(page), 'ready');
  const total = page.locator('convplay-summary [data-total-params]');
  await total.waitFor();
  assert.equal(await total.textContent(), '505,098');
  assert.match(await page.locator('convplay-summary tfoot').textContent(), /trainable 504,394, non-trainable 704/);
  assert.match(
    await page.locator('convplay-summary [data-inference-total]').textContent(),
    /^2,315,304 bytes = 2\.32 MB = 2\.21 MiB$/,
  );
  assert.match(
    await page.locator('convplay-summary tbody').textContent(),
    /conv2d_2 \(conv2d\)\s*24×24×64\s*\(26 − 3\) \/ 1 \+ 1 = 24/,
  );
  // The engine's own training figure, and with f16 activations (a GPU with shader-f16): less.
  const mb = async (sel) => Number((await page.locator(sel).textContent()).match(/([\d,.]+) MB/)[1].replace(/,/g, ''));
  const f32 = await mb('convplay-summary [data-engine-adam]');
  const f16 = await mb('convplay-summary [data-engine-adam-f16]');
  assert.ok(f16 > 0 && f16 < f32, `engine with f16 activations ${f16} MB, with f32 ${f32} MB`);
  assert.match(await page.locator('convplay-summary [data-engine-adam-f16]').textContent(), /shader-f16/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('typing a broken spec shows placed errors, fixing it brings the table back', async () => {
  const { page, errors } = await openPage(env.browser.context, env.server.url);
  assert.equal(await waitForShell(page), 'ready');
  await page.locator('convplay-summary [data-total-params]').waitFor();
  const editor = page.locator('convplay-model-lab textarea');
  await editor.fill(
    '{"input": [3, 3, 1], "layers": [{"type": "conv2d", "filters": 4, "kernel_size": 5}, {"type": "dropout", "rate": 1.5}]}',
  );
  const problems = page.locator('convplay-summary .problems li');
  await problems.first().waitFor();
  assert.deepEqual(await problems.allTextContents(), [
    'layers[0] (conv2d): kernel 5×5 does not fit input 3×3 with padding "valid"; use padding "same", a smaller kernel, or fewer downsampling layers before it',
    'layers[1] (dropout): "rate" is 1.5 but must be in [0, 1): the fraction of units dropped while training',
  ]);
  await page.locator('convplay-model-lab .status').filter({ hasText: '2 problems' }).waitFor();
  await editor.fill('{"input": [3, 3, 1], "layers": [{"type": "conv2d", "filters": 4, "kernel_size": 3}]}');
  await page.locator('convplay-summary [data-total-params]').waitFor();
  assert.equal(await page.locator('convplay-summary [data-total-params]').textContent(), '40');
  assert.deepEqual(errors, []);
  await page.close();
});

test('will it fit: the course network at batch 50 in 1,000 MB, with fixes; measured allocation on WebGPU', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?preset=course-3conv`);
  assert.equal(await waitForShell(page), 'ready');
  const lab = page.locator('convplay-model-lab');
  await page.locator('convplay-summary [data-total-params]').waitFor();
  assert.equal(await page.locator('convplay-summary [data-total-params]').textContent(), '903,400');
  await lab.locator('input[aria-label="batch"]').fill('50');
  await lab.locator('input[aria-label="budget"]').fill('1000');
  await page.waitForFunction(() => {
    const el = document.querySelector('convplay-model-lab');
    return el?.shadowRoot?.querySelector('[data-fits-budget="false"]') != null;
  });
  const fixes = await lab.locator('ul.fixes li').allTextContents();
  assert.equal(fixes.length, 5);
  assert.match(fixes[0], /^batch 25 instead of 50: 633\.\d\d MB — fits$/);
  assert.match(fixes[2], /^stride 4 in conv2d_1 \(the first conv\)/);
  // A small model measured on the device: the engine's bytes equal the estimate (within 1%).
  await lab.locator('select[aria-label="preset"]').selectOption('seed-001');
  await page.locator('convplay-summary [data-total-params]').filter({ hasText: '121,930' }).waitFor();
  await lab.locator('input[aria-label="batch"]').fill('16');
  await lab.getByRole('button', { name: 'Measure on this device' }).click();
  const measured = lab.locator('[data-measured]');
  await measured.waitFor();
  assert.match(
    await measured.textContent(),
    /^the GPU backend allocated [\d,]+ bytes .* for batch 16:\s+-?0\.\d% from the estimate\.$/,
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test('side by side: max pooling vs strided convs, CNN vs dense network', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?preset=seed-001&backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  const lab = page.locator('convplay-model-lab');
  await page.locator('convplay-summary [data-total-params]').filter({ hasText: '121,930' }).waitFor();
  await lab.locator('select[aria-label="compare"]').selectOption('seed-001-strided');
  const table = lab.locator('table[data-compare]');
  await table.waitFor();
  const rows = await table.locator('tbody tr').allTextContents();
  assert.match(rows[0], /parameters121,930213,162/);
  await lab.locator('select[aria-label="compare"]').selectOption('mlp');
  await table.locator('th', { hasText: 'mlp' }).waitFor();
  assert.match((await table.locator('tbody tr').allTextContents())[0], /parameters121,930118,282/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('an unknown preset attribute on an embedded lab is named, and the lab shows seed-004 instead', async () => {
  const { page, errors } = await openPage(env.browser.context, env.server.url);
  assert.equal(await waitForShell(page), 'ready');
  await page.evaluate(() => {
    const lab = document.createElement('convplay-model-lab');
    lab.id = 'bogus-lab';
    lab.setAttribute('preset', 'bogus');
    document.body.append(lab);
  });
  const note = page.locator('#bogus-lab [data-preset-error]');
  await note.waitFor();
  assert.match(await note.textContent(), /^preset "bogus" is not one of .*seed-004.*; showing seed-004 instead$/);
  assert.equal(await page.locator('#bogus-lab convplay-summary [data-total-params]').textContent(), '505,098');
  assert.deepEqual(errors, []);
  await page.close();
});

test('Keras code in: seed-001 pasted with its notebook gives 121,930 parameters; errors placed; Keras code out', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  const lab = page.locator('convplay-model-lab');
  await page.locator('convplay-summary [data-total-params]').filter({ hasText: '505,098' }).waitFor();
  await lab.getByRole('button', { name: 'Paste Keras code' }).click();
  const box = lab.locator('textarea[aria-label="Keras code"]');
  await box.fill('model = keras.Sequential([\n  keras.Input((28, 28, 1)),\n  layers.Conv3D(8, 3),\n])');
  await lab.getByRole('button', { name: 'Read the Keras code' }).click();
  const problem = lab.locator('.keras-problems li').first();
  await problem.waitFor();
  assert.match(await problem.textContent(), /^line 3: Conv3D is not supported; supported layers are Conv2D, /);
  await box.fill(fs.readFileSync('crate/tests/keras-notebooks/seed-001.py', 'utf8'));
  await lab.getByRole('button', { name: 'Read the Keras code' }).click();
  await page.locator('convplay-summary [data-total-params]').filter({ hasText: '121,930' }).waitFor();
  assert.equal(await lab.locator('.keras-problems').count(), 0);
  const ignored = await lab.locator('ol.ignored li').allTextContents();
  assert.ok(ignored.includes('   2 | import numpy as np'), ignored.join('\n'));
  assert.match(await lab.locator('textarea').inputValue(), /"training": \{"epochs": 10, "batch": 64/);
  await lab.getByRole('button', { name: 'Export as Keras code' }).click();
  const code = await lab.locator('[data-keras-export]').textContent();
  assert.match(code, /^# keras-model: exported from ConvPlay \(121,930 parameters/);
  assert.ok(code.includes('layers.Conv2D(32, 3, activation="relu"),'), code);
  assert.deepEqual(errors, []);
  await page.close();
});
