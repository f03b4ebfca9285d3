// The wide canvas (<convplay-fcn>): two known MNIST test digits placed on the 56×168 canvas are
// read at their windows by one pass of the shipped model made fully convolutional, and the
// multiply-adds shown are the summary's arithmetic.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { useBrowser, openPage, waitForShell } from './harness.mjs';

const env = useBrowser();

/** Test digit k of MNIST (28×28, white on black) and its label. */
function testDigit(k) {
  const images = gunzipSync(
    readFileSync(new URL('../www/public/data/mnist/t10k-images-idx3-ubyte.gz', import.meta.url)),
  );
  const labels = gunzipSync(
    readFileSync(new URL('../www/public/data/mnist/t10k-labels-idx1-ubyte.gz', import.meta.url)),
  );
  return { pixels: Array.from(images.subarray(16 + 784 * k, 16 + 784 * (k + 1))), label: labels[8 + k] };
}

test('two test digits on the wide canvas are read at their windows; the MAC figures are the arithmetic', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  const fcn = page.locator('convplay-fcn');
  await fcn.locator('.note', { hasText: 'model: pretrained mnist-seed-001' }).waitFor();
  const [a, b] = [testDigit(0), testDigit(1)];
  assert.deepEqual([a.label, b.label], [7, 2]);
  // Digit a at model pixel (8, 0): window (0, 2) of a stride-4 grid; b at (100, 28): window (7, 25).
  const tops = await page.evaluate(
    async ([a, b]) => {
      const el = document.querySelector('convplay-fcn');
      el.clear();
      el.placeDigit(Uint8Array.from(a), 8, 0);
      el.placeDigit(Uint8Array.from(b), 100, 28);
      await el.run();
      return { a: el.topAt(0, 2), b: el.topAt(7, 25), blank: el.topAt(0, 33), rows: el.grid.rows, cols: el.grid.cols };
    },
    [a.pixels, b.pixels],
  );
  assert.deepEqual([tops.rows, tops.cols], [8, 36], 'a 56×168 canvas, 28×28 windows every 4 pixels');
  assert.equal(tops.a.top, 7, JSON.stringify(tops));
  assert.equal(tops.b.top, 2, JSON.stringify(tops));
  assert.ok(tops.a.p > 0.9 && tops.b.p > 0.9, JSON.stringify(tops));
  await fcn.locator('.note[data-grid="8x36"]').waitFor();
  // The canvas holds each digit exactly as MNIST stores it (zoomed, then averaged back).
  const ink = await page.evaluate(() =>
    Array.from(
      document
        .querySelector('convplay-fcn')
        .ink()
        .slice(0, 168 * 28),
    ),
  );
  const crop = Array.from({ length: 784 }, (_, i) => ink[Math.floor(i / 28) * 168 + 8 + (i % 28)]);
  assert.ok(
    crop.every((v, i) => Math.abs(v - a.pixels[i] / 255) < 1e-6),
    'digit a on the canvas as stored',
  );

  // Multiply-adds by hand (k·k·c_in per output value): seed-001 on 28×28 is conv 26·26·32·9 +
  // conv 11·11·64·288 + dense 1600·64 + dense 64·10 = 2,528,000; converted on 56×168: conv
  // 54·166·32·9 + conv 25·81·64·288 + 5×5 conv 8·36·64·1600 + 1×1 conv 8·36·10·64 = 69,581,952.
  const macs = fcn.locator('.macs');
  const figures = await macs.evaluate((p) => ({ ...p.dataset }));
  assert.equal(Number(figures.macsOriginal), 26 * 26 * 32 * 9 + 11 * 11 * 64 * 288 + 1600 * 64 + 64 * 10);
  assert.equal(Number(figures.macsFcn), 54 * 166 * 32 * 9 + 25 * 81 * 64 * 288 + 8 * 36 * 64 * 1600 + 8 * 36 * 10 * 64);
  assert.equal(Number(figures.positions), 288);
  assert.equal(Number(figures.macsSliding), 288 * Number(figures.macsOriginal));
  const text = await macs.textContent();
  assert.ok(text.includes('69,581,952 multiply-adds'), text);
  assert.ok(text.includes('288 × 2,528,000 = 728,064,000'), text);
  assert.ok(text.includes('(10.5× as many)'), text);
  // One class's probability map: the selector switches the heatmap without another pass.
  await fcn.locator('select').selectOption('7');
  await fcn.locator('.note', { hasText: 'here: the probability of 7' }).waitFor();
  // The keyboard's pen writes: Escape clears, Space lowers the pen, arrows draw.
  const pad = fcn.locator('canvas.pad');
  await pad.focus();
  await page.keyboard.press('Escape');
  await page.waitForFunction(() =>
    document
      .querySelector('convplay-fcn')
      .ink()
      .every((v) => v === 0),
  );
  for (const key of ['Space', 'ArrowRight', 'ArrowRight', 'ArrowDown']) await page.keyboard.press(key);
  assert.ok(
    await page.evaluate(() =>
      document
        .querySelector('convplay-fcn')
        .ink()
        .some((v) => v > 0.5),
    ),
  );
  // Random test digits: the button fills the canvas and the grid follows.
  await fcn.getByRole('button', { name: 'Place random test digits' }).click();
  await page.waitForFunction(() =>
    document
      .querySelector('convplay-fcn')
      .ink()
      .some((v) => v > 0),
  );
  assert.deepEqual(errors, []);
  await page.close();
});
