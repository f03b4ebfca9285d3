// Writes the small thumbnails of the sample photos (www/public/samples/thumbs/*.jpg, 128 px
// high) that the photo view shows; the full photos are fetched only when one is classified.
// Run once after changing a sample: `node scripts/thumbnails.mjs` (Chromium draws them).

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { CHROMIUM } from '../tests/harness.mjs';

const dir = 'www/public/samples';
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
const page = await browser.newPage();
fs.mkdirSync(path.join(dir, 'thumbs'), { recursive: true });
for (const name of fs.readdirSync(dir).filter((f) => /\.(png|jpg)$/.test(f))) {
  const type = name.endsWith('.png') ? 'image/png' : 'image/jpeg';
  const src = `data:${type};base64,${fs.readFileSync(path.join(dir, name)).toString('base64')}`;
  const jpeg = await page.evaluate(async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const h = 128;
    const c = document.createElement('canvas');
    c.width = Math.round((img.naturalWidth * h) / img.naturalHeight);
    c.height = h;
    const ctx = c.getContext('2d');
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(img, 0, 0, c.width, c.height);
    return c.toDataURL('image/jpeg', 0.82).split(',')[1];
  }, src);
  const out = path.join(dir, 'thumbs', name.replace(/\.\w+$/, '.jpg'));
  fs.writeFileSync(out, Buffer.from(jpeg, 'base64'));
  console.log(`${out}: ${fs.statSync(out).size} bytes`);
}
await browser.close();
