// Writes the screenshots of the page that docs/ shows (docs/screenshots/*.png): the desktop at
// 1280×800, a phone at 390×844 and the dark scheme, each of the first screen and of the
// trainer. Run after a build, whenever the layout changes: `npm run screenshots`.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS, ellipse, serveDist, stroke, waitForShell } from '../tests/harness.mjs';

const out = 'docs/screenshots';
const shots = [
  { name: 'desktop', viewport: { width: 1280, height: 800 }, colorScheme: 'light' },
  { name: 'phone', viewport: { width: 390, height: 844 }, colorScheme: 'light', isMobile: true, hasTouch: true },
  { name: 'dark', viewport: { width: 1280, height: 800 }, colorScheme: 'dark' },
];

const server = await serveDist();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
fs.mkdirSync(out, { recursive: true });
try {
  for (const { name, ...options } of shots) {
    const context = await browser.newContext({ ...options, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${server.url}?backend=cpu`);
    if ((await waitForShell(page)) !== 'ready') throw new Error(`the page did not start for the ${name} screenshot`);
    // A zero on the pad, so the first screen shows a reading rather than an empty pad.
    const pad = page.locator('convplay-draw canvas').first();
    await stroke(page, await pad.boundingBox(), ellipse);
    await page.locator('convplay-draw [data-prediction="0"]').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: path.join(out, `${name}.png`) });
    await page.locator('#train-card').scrollIntoViewIfNeeded();
    await page.evaluate(() => document.querySelector('#train-card')?.scrollIntoView({ block: 'start' }));
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(out, `${name}-train.png`) });
    await context.close();
    console.log(`wrote ${out}/${name}.png and ${name}-train.png`);
  }
} finally {
  await browser.close();
  await server.close();
}
