// Classify a photo: the shipped int8 EfficientNet-Lite0 reads the sample photos on the CPU
// backend in the page, shows the crop and the time, and says when a file is not an image or
// an input is far from what the model expects.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useBrowser, openPage, waitForShell, dropOn } from './harness.mjs';

const env = useBrowser();

test('sample and uploaded photos get the right ImageNet labels on the CPU backend', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu&view=photo`);
  assert.equal(await waitForShell(page), 'ready');
  const photo = page.locator('convplay-photo');
  const labels = () => photo.locator('[data-top] span[title]').allTextContents();
  await photo.locator('img[data-sample="chelsea.png"]').click();
  await photo.locator('[data-top]').waitFor({ timeout: 120_000 });
  const cat = await labels();
  assert.ok(['tiger cat', 'Egyptian cat', 'tabby'].includes(cat[0]), `top-5 ${cat}`);
  assert.equal(cat.length, 5);
  assert.match(
    await photo.locator('.note', { hasText: 'read in' }).textContent(),
    /^the sample chelsea\.png: read in \d+ ms · input mean -?\d\.\d\d, std \d\.\d\d$/,
  );
  assert.equal(await photo.locator('[data-warning]').count(), 0);
  // The crop is drawn.
  const lit = await photo.evaluate((el) => {
    const c = el.shadowRoot.querySelector('canvas.crop');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 30) n++;
    return n;
  });
  assert.ok(lit > 20_000, `${lit} lit pixels in the crop`);

  // An uploaded file.
  await photo.locator('input[aria-label="photo file"]').setInputFiles('www/public/samples/coffee.png');
  await photo.locator('[data-top] span[title]', { hasText: 'espresso' }).first().waitFor({ timeout: 60_000 });
  assert.equal((await labels())[0], 'espresso');

  // A blank white image: far from what the model expects, and the page says so.
  const blank = path.join(os.tmpdir(), 'blank.png');
  const png = await page.evaluate(async () => {
    const c = new OffscreenCanvas(64, 64);
    const ctx = c.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, 64, 64);
    return Array.from(new Uint8Array(await (await c.convertToBlob()).arrayBuffer()));
  });
  fs.writeFileSync(blank, Buffer.from(png));
  await photo.locator('input[aria-label="photo file"]').setInputFiles(blank);
  await photo.locator('[data-warning]').waitFor({ timeout: 60_000 });

  // Not an image: a clear message, and the next photo still works.
  const text = path.join(os.tmpdir(), 'notes.txt');
  fs.writeFileSync(text, 'not a photo');
  await photo.locator('input[aria-label="photo file"]').setInputFiles(text);
  assert.equal(
    await photo.locator('[data-problem]').textContent(),
    'notes.txt is not an image (text/plain); use a PNG, JPEG, GIF or WebP photo',
  );
  await photo.locator('img[data-sample="coffee.png"]').click();
  await photo.locator('.note', { hasText: 'the sample coffee.png: read in' }).waitFor({ timeout: 60_000 });
  assert.equal((await labels())[0], 'espresso');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the WebGPU backend reads a sample photo the same (SwiftShader: slow, correct)', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=webgpu&view=photo`);
  assert.equal(await waitForShell(page), 'ready');
  const photo = page.locator('convplay-photo');
  await photo.locator('img[data-sample="coffee.png"]').click();
  await photo.locator('[data-top]').waitFor({ timeout: 240_000 });
  assert.equal((await photo.locator('[data-top] span[title]').allTextContents())[0], 'espresso');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a photo dropped on the drop area is classified; a dropped text file is named', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu&view=photo`);
  assert.equal(await waitForShell(page), 'ready');
  const photo = page.locator('convplay-photo');
  const area = photo.locator('.drop');
  assert.deepEqual(await dropOn(page, area, [['cup.png', 'image/png', 'samples/coffee.png']]), {
    over: true,
    after: false,
  });
  await photo.locator('.note', { hasText: 'cup.png: read in' }).waitFor({ timeout: 120_000 });
  assert.equal(await photo.locator('[data-top] span[title]').first().textContent(), 'espresso');
  await dropOn(page, area, [['notes.txt', 'text/plain', null]]);
  assert.equal(
    await photo.locator('[data-problem]').textContent(),
    'notes.txt is not an image (text/plain); use a PNG, JPEG, GIF or WebP photo',
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test('a photo over 50 megapixels is refused with the limit before it is decoded, and the next one works', async () => {
  // A real 10,000×10,000 PNG (1-bit grey, a few KB deflated): over the limit, within the sides.
  const zlib = await import('node:zlib');
  const crc = (buf) => {
    let c = ~0;
    for (const b of buf) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    return ~c >>> 0;
  };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const side = 10_000;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([1, 0, 0, 0, 0], 8);
  const raw = Buffer.alloc(side * (1 + Math.ceil(side / 8)));
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  const file = path.join(os.tmpdir(), 'huge.png');
  fs.writeFileSync(file, png);

  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu&view=photo`);
  assert.equal(await waitForShell(page), 'ready');
  const photo = page.locator('convplay-photo');
  await photo.locator('input[aria-label="photo file"]').setInputFiles(file);
  await photo.locator('[data-problem]').waitFor({ timeout: 60_000 });
  assert.equal(
    await photo.locator('[data-problem]').textContent(),
    'huge.png: the image is 10000×10000 pixels, larger than the 50 megapixels (and 16384 pixels a side) this page reads: scale it down first',
  );
  await photo.locator('img[data-sample="coffee.png"]').click();
  await photo.locator('.note', { hasText: 'the sample coffee.png: read in' }).waitFor({ timeout: 120_000 });
  assert.deepEqual(errors, []);
  await page.close();
});
