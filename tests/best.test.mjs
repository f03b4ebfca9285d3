// Best accuracy on MNIST: the shipped mnist-best models are not fetched on the first visit;
// asked for, they are fetched and evaluated one by one and as an ensemble (the mean of their
// softmax outputs) on the first test digits. (The averaging itself is checked against hand
// computations in tests/unit/ensemble.test.ts and crate/tests/best.rs.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, waitForShell } from './harness.mjs';

const env = useBrowser();

test('the mnist-best ensemble is fetched on demand and evaluated in the page', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu&view=best`);
  const fetched = [];
  page.on('request', (r) => {
    if (/models\/mnist-best/.test(r.url())) fetched.push(r.url());
  });
  assert.equal(await waitForShell(page), 'ready');
  assert.deepEqual(fetched, [], 'nothing of mnist-best is fetched before the learner asks');
  const best = page.locator('convplay-best');
  await best.evaluate((el) => (el.count = 300));
  await best.locator('#best-evaluate').click();
  await best.locator('#best-accuracy').waitFor({ timeout: 120_000 });
  const manifest = await (await fetch(`${env.server.url}models/mnist-best.json`)).json();
  assert.ok(manifest.members.length >= 2, 'an ensemble has at least two models');
  assert.equal(
    await best.locator('tr').count(),
    manifest.members.length + 2,
    'a row per model, the ensemble, the header',
  );
  const shown = Number((await best.locator('#best-accuracy').textContent()).replace('%', ''));
  assert.ok(shown >= 98 && shown <= 100, `ensemble accuracy ${shown}% on 300 test digits`);
  assert.match(await best.locator('.status').textContent(), /^done: 300 test digits$/);
  assert.ok(
    fetched.some((u) => u.endsWith('models/mnist-best.json')),
    `fetched ${fetched.join(', ')}`,
  );
  assert.deepEqual(errors, []);
  await page.close();
});
