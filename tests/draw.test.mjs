// Drawing a digit: strokes of a "1", a "0" and a "7" made with mouse events are read as
// those digits by the shipped pretrained model, with the MNIST-style preview.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, waitForShell, stroke, ellipse } from './harness.mjs';

const env = useBrowser();

test('a drawn 1, 0 and 7 are read as 1, 0 and 7 by the shipped model', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  const draw = page.locator('convplay-draw');
  await draw.locator('.note', { hasText: 'model: pretrained mnist-seed-001' }).waitFor();
  const box = await draw.locator('canvas.pad').boundingBox();
  const read = async (strokes) => {
    await draw.getByRole('button', { name: 'Clear' }).click();
    for (const s of strokes) await stroke(page, box, s);
    await page.waitForFunction(() => document.querySelector('convplay-draw').prediction !== null);
    await page.waitForTimeout(100);
    return page.evaluate(() => ({
      digit: document.querySelector('convplay-draw').prediction,
      probs: document.querySelector('convplay-draw').probs,
    }));
  };
  const one = await read([
    [
      [150, 40],
      [140, 240],
    ],
  ]);
  assert.equal(one.digit, 1, `probabilities ${one.probs}`);
  const zero = await read([ellipse]);
  assert.equal(zero.digit, 0, `probabilities ${zero.probs}`);
  const seven = await read([
    [
      [70, 50],
      [210, 50],
      [120, 240],
    ],
  ]);
  assert.equal(seven.digit, 7, `probabilities ${seven.probs}`);
  assert.equal(await draw.locator('.top').textContent(), '7');
  // The preview is the MNIST-style 28×28: centred by mass, fitted to 20 pixels.
  const digit = await page.evaluate(() => Array.from(document.querySelector('convplay-draw').digit));
  const ink = digit.map((v, i) => [v, i % 28, Math.floor(i / 28)]).filter(([v]) => v > 0);
  const mass = ink.reduce((s, [v]) => s + v, 0);
  const cx = ink.reduce((s, [v, x]) => s + v * (x + 0.5), 0) / mass;
  const cy = ink.reduce((s, [v, , y]) => s + v * (y + 0.5), 0) / mass;
  assert.ok(Math.abs(cx - 14) <= 0.6 && Math.abs(cy - 14) <= 0.6, `centre of mass (${cx}, ${cy})`);
  const rows = ink.map(([, , y]) => y);
  assert.equal(Math.max(...rows) - Math.min(...rows) + 1, 20);
  // Clear empties the prediction.
  await draw.getByRole('button', { name: 'Clear' }).click();
  assert.equal(await draw.locator('.top').textContent(), '–');
  assert.deepEqual(errors, []);
  await page.close();
});
