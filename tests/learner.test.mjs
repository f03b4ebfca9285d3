// The learner's page on day one (issue 18): each bug a class hit, checked in the browser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, waitForShell } from './harness.mjs';

const env = useBrowser();

test("holding a second class's record button records it (the first button's blur does not stop it)", async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu&view=teach`);
  assert.equal(await waitForShell(page), 'ready');
  const t = page.locator('convplay-transfer');
  await t.getByRole('button', { name: 'Use the camera' }).click();
  await page.waitForFunction(
    () => document.querySelector('convplay-transfer').shadowRoot.querySelector('video')?.videoWidth > 0,
    null,
    { timeout: 30_000 },
  );
  const count = async (k) => Number((await t.locator(`[data-class="${k}"] [data-count]`).textContent()).split(' ')[0]);
  for (const [k, ms] of [
    [0, 300],
    [1, 1_100],
  ]) {
    await t.locator(`[data-class="${k}"] button.rec`).hover();
    await page.mouse.down();
    await page.waitForTimeout(ms);
    await page.mouse.up();
  }
  const b = await count(1);
  assert.ok(b >= 4, `class B recorded ${b} frames in 1.1 s`);
  await t.getByRole('button', { name: 'Stop camera' }).click();
  assert.deepEqual(errors, []);
  await page.close();
});
