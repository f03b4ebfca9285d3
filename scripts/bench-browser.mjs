// npm run bench:browser — training speed in the browser, on both of ConvPlay's backends,
// against TF.js training the same network in the same headless Chromium, for seed-001 at
// batch 64 and seed-004 at batch 128, all in one Chromium run.
//
// ConvPlay is measured through the page itself: the <convplay-train> element trains the
// preset on MNIST in its worker and reports img/s per chunk, which is what the page shows;
// the median of the reports after the first two is taken. TF.js (tf.min.js from
// node_modules) trains the same Keras network on random 28×28 batches with
// model.trainOnBatch, on its "cpu", "webgl" and "webgpu" (@tensorflow/tfjs-backend-webgpu)
// backends. A peak micro-benchmark (vec4 FMA chains on the WebGPU adapter) gives the
// adapter's measured FLOP/s, and each figure is also given as a share of it (a training
// step counts 3 × the forward FLOPs of ConvPlay's summary). WebGPU and WebGL run on
// SwiftShader here (a CPU emulation of a GPU), so their figures say nothing about a real GPU.
//
// ConvPlay's two GEMM kernels (the tiled one and the register-tiled one, which the engine
// chooses between by timing both at start-up) are also compared on the same WebGPU device:
// the engine is told which to use (`engine.gemm(kernel)`) and `engine.profile` times a few
// training steps with each, alternating, on synthetic batches.
//
// Options: --seconds N (per measurement; ConvPlay's WebGPU gets three times as long;
// default 40), --only seed-001|seed-004, --gpu-only (skip TF.js's cpu backend and the
// CPU-thread, drawing and photo benchmarks), --no-kernels (skip the GEMM kernel comparison,
// whose tiled steps take minutes on SwiftShader for seed-004).

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
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const gpuOnly = process.argv.includes('--gpu-only');
const noKernels = process.argv.includes('--no-kernels');
const CASES = [
  { preset: 'seed-001', batch: 64 },
  { preset: 'seed-004', batch: 128 },
].filter((c) => !only || c.preset === only);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

/** The steady rate: the median after two warm-up reports, or the last report when there are few. */
const steady = (rates) => (rates.length > 4 ? median(rates.slice(2)) : rates.length ? rates.at(-1) : NaN);

async function convplay(context, url, backend, seconds, preset, batch) {
  const { page } = await openPage(context, `${url}?backend=${backend}`);
  await waitForShell(page);
  const kind = await page.locator('#backend-badge').textContent();
  const t = page.locator('convplay-train');
  await t.locator('select[aria-label="model"] option').first().waitFor({ state: 'attached' });
  await t.locator('select[aria-label="model"]').selectOption(preset);
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

/** The TF.js twin of a preset (Keras layers, the same shapes). */
const TF_LAYERS = {
  'seed-001': [
    ['conv2d', { inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }],
    ['maxPooling2d', { poolSize: 2 }],
    ['conv2d', { filters: 64, kernelSize: 3, activation: 'relu' }],
    ['maxPooling2d', { poolSize: 2 }],
    ['flatten', {}],
    ['dense', { units: 64, activation: 'relu' }],
    ['dense', { units: 10, activation: 'softmax' }],
  ],
  'seed-004': [
    ['conv2d', { inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }],
    ['batchNormalization', {}],
    ['conv2d', { filters: 64, kernelSize: 3, activation: 'relu' }],
    ['batchNormalization', {}],
    ['maxPooling2d', { poolSize: 2 }],
    ['dropout', { rate: 0.25 }],
    ['conv2d', { filters: 128, kernelSize: 3, activation: 'relu' }],
    ['batchNormalization', {}],
    ['maxPooling2d', { poolSize: 2 }],
    ['dropout', { rate: 0.25 }],
    ['flatten', {}],
    ['dense', { units: 128, activation: 'relu' }],
    ['batchNormalization', {}],
    ['dropout', { rate: 0.5 }],
    ['dense', { units: 10, activation: 'softmax' }],
  ],
};

async function tfjs(context, url, backend, preset, batch) {
  const { page } = await openPage(context, url);
  await page.addScriptTag({ path: path.join(root, 'node_modules/@tensorflow/tfjs/dist/tf.min.js') });
  if (backend === 'webgpu')
    await page.addScriptTag({
      path: path.join(root, 'node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js'),
    });
  const result = await page.evaluate(
    async ({ backend, batch, seconds, layers }) => {
      const tf = window.tf;
      if (!(await tf.setBackend(backend).catch(() => false)))
        return { error: `TF.js backend ${backend} is not available here` };
      await tf.ready();
      const model = tf.sequential({ layers: layers.map(([kind, args]) => tf.layers[kind](args)) });
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
    { backend, batch, seconds, layers: TF_LAYERS[preset] },
  );
  await page.close();
  if (result.error) return { error: result.error };
  return { rate: steady(result.rates), reports: result.rates.length };
}

/** The WebGPU adapter's measured peak: 4,096 invocations, each 4 independent chains of vec4
 * FMAs (2 FLOPs per lane), timed to the queue's completion; the best of five runs, in FLOP/s. */
async function gpuPeak(context, url) {
  const { page } = await openPage(context, url);
  const r = await page.evaluate(async () => {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return { error: 'no WebGPU adapter' };
    const device = await adapter.requestDevice();
    const iters = 4096;
    const invocations = 4096;
    const code = `@group(0) @binding(0) var<storage, read_write> out: array<vec4<f32>>;
      @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
        var a = vec4<f32>(f32(id.x) * 1e-6, 1.0, 2.0, 3.0);
        var b = a + 0.5; var c = a + 0.25; var d = a + 0.125;
        let m = vec4<f32>(0.9999, 0.9998, 0.9997, 0.9996);
        let k = vec4<f32>(1e-4);
        for (var i = 0u; i < ${iters}u; i++) { a = fma(a, m, k); b = fma(b, m, k); c = fma(c, m, k); d = fma(d, m, k); }
        out[id.x] = a + b + c + d;
      }`;
    const pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
    });
    const out = device.createBuffer({ size: invocations * 16, usage: GPUBufferUsage.STORAGE });
    const bind = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: out } }],
    });
    const run = async () => {
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(invocations / 64);
      pass.end();
      const t0 = performance.now();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    await run();
    let best = Infinity;
    for (let i = 0; i < 5; i++) best = Math.min(best, await run());
    const info = adapter.info ?? {};
    device.destroy();
    return {
      flops: (invocations * iters * 4 * 4 * 2) / (best / 1000),
      adapter: `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`.trim(),
    };
  });
  await page.close();
  return r;
}

/** ConvPlay WebGPU with each GEMM kernel forced in turn (two rounds, alternating, so that load
 * from other programs falls on both alike): img/s of ordinary steps, best of the rounds. */
async function gemmKernels(context, url, preset, batch) {
  const { page } = await openPage(context, `${url}?backend=cpu`);
  await waitForShell(page);
  const r = await page.evaluate(
    async ({ preset, batch }) => {
      const { createEngine } = await import('./convplay.js');
      const engine = await createEngine({ backend: 'webgpu' });
      try {
        const chosen = await engine.gemm();
        const spec = await engine.presetSpec(preset);
        const rates = { tiled: 0, reg: 0, lane: 0 };
        for (let round = 0; round < 2; round++)
          for (const kernel of ['tiled', 'reg', 'lane']) {
            await engine.gemm(kernel);
            const p = await engine.profile(spec, batch, 2);
            rates[kernel] = Math.max(rates[kernel], p.imagesPerSecond);
          }
        return { chosen, rates };
      } catch (e) {
        return { error: String(e) };
      } finally {
        engine.dispose();
      }
    },
    { preset, batch },
  );
  await page.close();
  return r;
}

/** FLOPs of one training image of a preset: 3 × the forward FLOPs of ConvPlay's summary. */
async function trainingFlops(context, url, preset) {
  const { page } = await openPage(context, `${url}?backend=cpu`);
  await waitForShell(page);
  const flops = await page.evaluate(async (preset) => {
    const { createEngine } = await import('./convplay.js');
    const engine = await createEngine({ backend: 'cpu' });
    const s = await engine.summary(await engine.presetSpec(preset), 1);
    engine.dispose();
    return s.flops;
  }, preset);
  await page.close();
  return 3 * flops;
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
try {
  const peak = await gpuPeak(browser.context, server.url);
  console.log(
    peak.error
      ? `\nWebGPU peak: ${peak.error}`
      : `\nWebGPU peak (vec4 FMA, ${peak.adapter || 'adapter'}): ${(peak.flops / 1e9).toFixed(2)} GFLOP/s`,
  );
  for (const { preset, batch } of CASES) {
    const flops = await trainingFlops(browser.context, server.url, preset);
    const cpu = await convplay(browser.context, server.url, 'cpu', seconds, preset, batch);
    // SwiftShader takes seconds per batch: give it three times as long.
    const gpu = await convplay(browser.context, server.url, 'webgpu', 3 * seconds, preset, batch);
    const tcpu = gpuOnly
      ? { error: 'skipped (--gpu-only)' }
      : await tfjs(browser.context, server.url, 'cpu', preset, batch);
    const tgl = await tfjs(browser.context, server.url, 'webgl', preset, batch);
    const tgpu = await tfjs(browser.context, server.url, 'webgpu', preset, batch);
    const kernels = noKernels
      ? { error: 'skipped (--no-kernels)' }
      : await gemmKernels(browser.context, server.url, preset, batch);
    const rows = [
      ['ConvPlay, CPU backend (wasm)', cpu],
      ['ConvPlay, WebGPU backend', gpu, true],
      ['TF.js 4.22, cpu backend', tcpu],
      ['TF.js 4.22, webgl backend', tgl, true],
      ['TF.js 4.22, webgpu backend', tgpu, true],
    ];
    console.log(
      `\n${preset} training, batch ${batch} (${(flops / 1e6).toFixed(1)} MFLOP per image), headless Chromium, ${seconds} s per row (median of per-step rates)\n`,
    );
    for (const [name, r, onGpu] of rows) {
      const share =
        onGpu && peak.flops && r.rate
          ? `; ${((100 * r.rate * flops) / peak.flops).toFixed(1)}% of the WebGPU peak`
          : '';
      console.log(
        `${name.padEnd(32)} ${r.error ? r.error : `${r.rate.toFixed(1).padStart(8)} img/s  (${r.reports} reports${r.kind ? `; ${r.kind.trim()}` : ''}${share})`}`,
      );
    }
    const ratio = (a, b) => (a.rate && b.rate ? `${(a.rate / b.rate).toFixed(2)}×` : 'n/a');
    const fasterTf = [tgl, tgpu].filter((r) => r.rate).sort((a, b) => b.rate - a.rate)[0] ?? {};
    console.log(`\nConvPlay CPU / TF.js cpu:                  ${ratio(cpu, tcpu)}`);
    console.log(`ConvPlay WebGPU / TF.js webgl:             ${ratio(gpu, tgl)}`);
    console.log(`ConvPlay WebGPU / TF.js webgpu:            ${ratio(gpu, tgpu)}`);
    console.log(`ConvPlay WebGPU / faster TF.js GPU backend: ${ratio(gpu, fasterTf)} (goal ≥ 2×)`);
    console.log(`ConvPlay WebGPU / ConvPlay CPU:            ${ratio(gpu, cpu)}`);
    if (kernels.error) console.log(`\nConvPlay WebGPU GEMM kernels: ${kernels.error}`);
    else {
      const { tiled, reg, lane } = kernels.rates;
      const pct = (rate) => (peak.flops ? `, ${((100 * rate * flops) / peak.flops).toFixed(1)}% of the peak` : '');
      console.log(
        `\nConvPlay WebGPU GEMM kernels (synthetic batches, best of 2 alternating rounds; the engine chose ${kernels.chosen}):`,
      );
      console.log(`  tiled (workgroup memory): ${tiled.toFixed(1)} img/s${pct(tiled)}`);
      console.log(
        `  reg (register-tiled):     ${reg.toFixed(1)} img/s${pct(reg)}  (${(reg / tiled).toFixed(2)}× tiled)`,
      );
      console.log(
        `  lane (rows shared by 8):  ${lane.toFixed(1)} img/s${pct(lane)}  (${(lane / tiled).toFixed(2)}× tiled)`,
      );
      const bestTf = Math.max(tgl.rate || 0, tgpu.rate || 0);
      if (bestTf)
        console.log(
          `  fastest kernel / faster TF.js GPU backend: ${(Math.max(tiled, reg, lane) / bestTf).toFixed(2)}× (goal ≥ 2×)`,
        );
    }
    // The CPU backend on 1, 2 and all threads, isolated and not, then seed-004 (scripts/bench-threads.mjs).
    if (preset === 'seed-001' && !gpuOnly)
      await benchThreads({ url: server.url, seconds, batch, tfjsCpu: tcpu, preset });
  }
  if (!gpuOnly) {
    const d = await drawLatency(browser.context, server.url);
    const ms = await photoLatency(browser.context, server.url);
    console.log(`\nEfficientNet-Lite0, one 224×224 photo, CPU backend (wasm, worker): median ${ms.toFixed(0)} ms`);
    console.log(
      `draw → prediction (${d.model}, CPU backend in the shared engine worker): median ${d.median.toFixed(2)} ms, 95th percentile ${d.p95.toFixed(2)} ms; inspect (all layers + saliency) median ${d.inspect.toFixed(2)} ms`,
    );
  }
} finally {
  await browser.close();
  await server.close();
}
