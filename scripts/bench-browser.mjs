// npm run bench:browser — training speed in the browser, on both of ConvPlay's backends,
// against TF.js training the same network in the same headless Chromium.
//
// ConvPlay is measured through the page itself: the <convplay-train> element trains
// seed-001 (batch 64) on MNIST in its worker and reports img/s per chunk, which is what
// the page shows; the median of the reports after the first two is taken. TF.js
// (tf.min.js from node_modules) trains the same Keras network on random 28×28 batches
// with model.trainOnBatch, on its "cpu" and "webgl" backends. WebGPU and WebGL run on
// SwiftShader here (a CPU emulation of a GPU), so their figures say nothing about a
// real GPU; the CPU figures are the comparable ones.
//
// Options: --seconds N (per measurement; WebGPU gets three times as long; default 40), --batch N (default 64).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveDist, launchBrowser, openPage, waitForShell, stroke } from '../tests/harness.mjs';
import { benchThreads } from './bench-threads.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const seconds = arg('seconds', 40);
const batch = arg('batch', 64);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

/** The steady rate: the median after two warm-up reports, or the last report when there are few. */
const steady = (rates) => (rates.length > 4 ? median(rates.slice(2)) : rates.length ? rates.at(-1) : NaN);

async function convplay(context, url, backend, seconds) {
  const { page } = await openPage(context, `${url}?backend=${backend}`);
  await waitForShell(page);
  const kind = await page.locator('#backend-badge').textContent();
  const t = page.locator('convplay-train');
  await t.locator('select[aria-label="model"] option').first().waitFor({ state: 'attached' });
  await t.locator('select[aria-label="model"]').selectOption('seed-001');
  await t.locator('input[aria-label="epochs"]').fill('1');
  await t.locator('input[aria-label="batch"]').fill(String(batch));
  await t.locator('input[aria-label="test images"]').fill('100');
  await page.evaluate(() => {
    window.rates = [];
    document
      .querySelector('convplay-train')
      .addEventListener('progress', (e) => window.rates.push(e.detail.imagesPerSec));
  });
  await t.getByRole('button', { name: 'Train' }).click();
  await page.waitForTimeout(seconds * 1000);
  const rates = await page.evaluate(() => window.rates);
  await t
    .getByRole('button', { name: 'Stop' })
    .click()
    .catch(() => {});
  await page.close();
  return { kind, rate: steady(rates), reports: rates.length };
}

async function tfjs(context, url, backend) {
  const { page } = await openPage(context, 'about:blank');
  await page.addScriptTag({ path: path.join(root, 'node_modules/@tensorflow/tfjs/dist/tf.min.js') });
  const result = await page.evaluate(
    async ({ backend, batch, seconds }) => {
      const tf = window.tf;
      if (!(await tf.setBackend(backend))) return { error: `TF.js backend ${backend} is not available here` };
      await tf.ready();
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 64, activation: 'relu' }),
          tf.layers.dense({ units: 10, activation: 'softmax' }),
        ],
      });
      model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
      const x = tf.randomUniform([batch, 28, 28, 1]);
      const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10);
      const rates = [];
      const end = performance.now() + seconds * 1000;
      while (performance.now() < end) {
        const t0 = performance.now();
        await model.trainOnBatch(x, y); // resolves once the loss is read back
        rates.push((batch * 1000) / (performance.now() - t0));
      }
      return { rates, backend: tf.getBackend() };
    },
    { backend, batch, seconds },
  );
  await page.close();
  if (result.error) return { error: result.error };
  return { rate: steady(result.rates), reports: result.rates.length };
}

/** Draw → prediction on the CPU backend (main thread): preprocessing + one forward pass of
 * the shipped model, 40 times on a drawn "7"; and the look inside (inspect) after it. */
async function drawLatency(context, url) {
  const { page } = await openPage(context, `${url}?backend=cpu`);
  await waitForShell(page);
  const draw = page.locator('convplay-draw');
  await draw.locator('.note', { hasText: 'model: pretrained' }).waitFor();
  await stroke(page, await draw.locator('canvas.pad').boundingBox(), [
    [70, 50],
    [210, 50],
    [120, 240],
  ]);
  await page.waitForTimeout(300);
  const r = await page.evaluate(async () => {
    const d = document.querySelector('convplay-draw');
    const read = [];
    const look = [];
    for (let i = 0; i < 40; i++) {
      await d.classify();
      read.push(d.lastMs);
      const t0 = performance.now();
      await d.inspect();
      look.push(performance.now() - t0);
    }
    return { read, look, model: d.modelName };
  });
  await page.close();
  const q = (xs, f) => [...xs].sort((a, b) => a - b)[Math.floor(f * (xs.length - 1))];
  return { model: r.model, median: q(r.read, 0.5), p95: q(r.read, 0.95), inspect: q(r.look, 0.5) };
}

/** EfficientNet-Lite0 (int8 file) on one 224×224 photo, CPU backend in the page's worker:
 * the median of five readings after a first one. */
async function photoLatency(context, url) {
  const { page } = await openPage(context, `${url}?backend=cpu&view=photo`);
  await waitForShell(page);
  const photo = page.locator('convplay-photo');
  const times = [];
  for (let i = 0; i < 6; i++) {
    await photo.locator('img[data-sample="coffee.png"]').click();
    await page.waitForFunction(
      (n) => {
        const el = document.querySelector('convplay-photo');
        return el.reading && el.reading.source === 'the sample coffee.png' && !el.status && el.readings !== n;
      },
      i,
      { timeout: 120_000 },
    );
    times.push(await photo.evaluate((el) => el.reading.ms));
    await photo.evaluate((el) => (el.reading = null));
  }
  await page.close();
  return median(times.slice(1));
}

const server = await serveDist();
const browser = await launchBrowser();
const rows = [];
try {
  const cpu = await convplay(browser.context, server.url, 'cpu', seconds);
  // SwiftShader takes seconds per batch: give it three times as long.
  const gpu = await convplay(browser.context, server.url, 'webgpu', 3 * seconds);
  const tcpu = await tfjs(browser.context, server.url, 'cpu');
  const tgl = await tfjs(browser.context, server.url, 'webgl');
  rows.push(
    ['ConvPlay, CPU backend (wasm)', cpu],
    ['ConvPlay, WebGPU backend', gpu],
    ['TF.js 4.22, cpu backend', tcpu],
    ['TF.js 4.22, webgl backend', tgl],
  );
  console.log(
    `\nseed-001 training, batch ${batch}, headless Chromium, ${seconds} s per row (median of per-chunk rates)\n`,
  );
  for (const [name, r] of rows) {
    console.log(
      `${name.padEnd(32)} ${r.error ? r.error : `${r.rate.toFixed(1).padStart(8)} img/s  (${r.reports} reports${r.kind ? `; ${r.kind.trim()}` : ''})`}`,
    );
  }
  const ratio = (a, b) => (a.rate && b.rate ? `${(a.rate / b.rate).toFixed(2)}×` : 'n/a');
  console.log(`\nConvPlay CPU / TF.js cpu:      ${ratio(cpu, tcpu)}`);
  console.log(`ConvPlay WebGPU / TF.js webgl: ${ratio(gpu, tgl)}`);
  console.log(`ConvPlay WebGPU / ConvPlay CPU: ${ratio(gpu, cpu)}`);
  await benchThreads({ url: server.url, seconds, batch, tfjsCpu: tcpu });
  const d = await drawLatency(browser.context, server.url);
  const ms = await photoLatency(browser.context, server.url);
  console.log(`\nEfficientNet-Lite0, one 224×224 photo, CPU backend (wasm, worker): median ${ms.toFixed(0)} ms`);
  console.log(
    `draw → prediction (${d.model}, CPU backend in the shared engine worker): median ${d.median.toFixed(2)} ms, 95th percentile ${d.p95.toFixed(2)} ms; inspect (all layers + saliency) median ${d.inspect.toFixed(2)} ms`,
  );
} finally {
  await browser.close();
  await server.close();
}
