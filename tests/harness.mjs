// Shared harness for the browser tests: serve dist/ with Vite's preview server
// and drive Debian's Chromium (headless, WebGPU on SwiftShader) with playwright-core.

import { before, after } from 'node:test';
import { chromium } from 'playwright-core';
import { preview } from 'vite';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.CONVPLAY_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // A fake camera (a moving test pattern) that needs no permission prompt.
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

/** Serves dist/ on a free loopback port. */
export async function serveDist() {
  if (!fs.existsSync('dist/index.html')) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it) before the browser tests');
  }
  const server = await preview({
    logLevel: 'silent',
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local?.[0];
  if (!url) throw new Error('the preview server did not report its URL');
  return { url, close: () => server.close() };
}

/** A browser context with a fresh user-data-dir, closed (and the dir removed) by close(). */
export async function launchBrowser() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convplay-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
    acceptDownloads: true,
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Opens a page and records console errors and uncaught exceptions. */
export async function openPage(context, url, { initScript } = {}) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  if (initScript) await page.addInitScript(initScript);
  await page.goto(url);
  return { page, errors };
}

/** Waits until the shell says it is done (ready or error) and returns which. */
export async function waitForShell(page, timeout = 120_000) {
  await page.waitForFunction(() => ['ready', 'error'].includes(document.documentElement.dataset.state ?? ''), null, {
    timeout,
  });
  return page.evaluate(() => document.documentElement.dataset.state);
}

/**
 * Serves dist/ and starts one browser for the test file (registers before/after hooks).
 * Returns an object whose `server` and `browser` are set once the hooks have run.
 */
export function useBrowser() {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await serveDist();
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

/** Draws a polyline given in 0..280 pad coordinates on a drawing pad whose box is `box`. */
export async function stroke(page, box, points) {
  const at = ([x, y]) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 4 });
  await page.mouse.up();
}

/** A tall ellipse (a "0") in pad coordinates. */
export const ellipse = Array.from({ length: 41 }, (_, i) => [
  140 + 55 * Math.sin((2 * Math.PI * i) / 40),
  140 - 85 * Math.cos((2 * Math.PI * i) / 40),
]);

/** PNG files of 96×96 synthetic photos: `kind` 'flat' (one random colour with a little
 * noise) or 'stripes' (black and white bars at a random angle and period). */
export async function syntheticPhotos(page, kind, count, seed) {
  const files = await page.evaluate(
    async ({ kind, count, seed }) => {
      let s = seed;
      const r = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
      const out = [];
      for (let i = 0; i < count; i++) {
        const c = new OffscreenCanvas(96, 96);
        const ctx = c.getContext('2d');
        if (kind === 'flat') {
          ctx.fillStyle = `rgb(${Math.floor(60 + 180 * r())}, ${Math.floor(60 + 180 * r())}, ${Math.floor(60 + 180 * r())})`;
          ctx.fillRect(0, 0, 96, 96);
        } else {
          ctx.fillStyle = '#fff';
          ctx.fillRect(0, 0, 96, 96);
          ctx.translate(48, 48);
          ctx.rotate(r() * Math.PI);
          ctx.fillStyle = '#111';
          const period = 10 + Math.floor(10 * r());
          for (let x = -100; x < 100; x += period) ctx.fillRect(x, -100, period / 2, 200);
        }
        out.push(Array.from(new Uint8Array(await (await c.convertToBlob()).arrayBuffer())));
      }
      return out;
    },
    { kind, count, seed },
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `teach-${kind}-`));
  return files.map((bytes, i) => {
    const f = path.join(dir, `${kind}-${i}.png`);
    fs.writeFileSync(f, Buffer.from(bytes));
    return f;
  });
}

/** Waits until the page's <convplay-train> has finished its run (phase "done" or "error"). */
export async function trainerFinished(page, timeout = 120_000) {
  await page.waitForFunction(
    () =>
      ['done', 'error'].includes(
        document.querySelector('convplay-train')?.shadowRoot?.querySelector('.status')?.dataset.phase,
      ),
    null,
    { timeout },
  );
}

/** Drags `files` ([name, type, url or null for a one-byte body]) over `target` and drops them
 * there; returns whether `target` was marked `over` while dragged over and after the drop. */
export async function dropOn(page, target, files) {
  const data = await page.evaluateHandle(async (files) => {
    const dt = new DataTransfer();
    for (const [name, type, url] of files) {
      const blob = url ? await (await fetch(url)).blob() : new Blob(['x'], { type });
      dt.items.add(new File([blob], name, { type }));
    }
    return dt;
  }, files);
  await target.dispatchEvent('dragover', { dataTransfer: data });
  const over = await target.evaluate((el) => el.classList.contains('over'));
  await target.dispatchEvent('drop', { dataTransfer: data });
  return { over, after: await target.evaluate((el) => el.classList.contains('over')) };
}
