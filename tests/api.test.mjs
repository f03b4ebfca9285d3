// The JavaScript API on a page with WebGPU (SwiftShader): a model keeps the backend it was
// created on when a fit rebuilds it for another batch size; AdamW decays the weights (it is not
// Adam) and `weightDecay` reaches the optimizer; a fit pauses, resumes and stops; MNIST is
// held in the worker and trained on by name; the worker frees what it held.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './harness.mjs';

const env = useBrowser();

/** A blank page of the served dist/, so that `import('./convplay.js')` loads the API. */
async function apiPage() {
  const page = await env.browser.context.newPage();
  const errors = [];
  page.on('console', (msg) => msg.type() === 'error' && errors.push(`console.error: ${msg.text()}`));
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  const url = `${env.server.url}api-test.html`;
  await page.route(url, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: '<!doctype html><meta charset="utf-8"><title>api test</title><link rel="icon" href="favicon.svg">',
    }),
  );
  await page.goto(url);
  return { page, errors };
}

/** In the page: a tiny model's spec and 32 labelled 8×8 images (class 0 bright on top, 1 below). */
const setup = () => {
  window.tiny = {
    name: 'tiny',
    input: [8, 8, 1],
    layers: [
      { type: 'conv2d', filters: 4, kernel_size: 3, activation: 'relu' },
      { type: 'flatten' },
      { type: 'dense', units: 2, activation: 'softmax' },
    ],
  };
  const n = 32;
  const images = new Uint8Array(n * 64);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < 64; p++) if (p < 32 === (labels[i] === 0)) images[i * 64 + p] = 100 + ((i * 31 + p * 7) % 150);
  }
  window.data = { images, labels };
  window.same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
  // A model's weights, seen through its CPU predictions on the data (a saved file's header
  // order may vary; its tensors are what counts).
  window.weightsOf = async (engine, model) => {
    const probe = await engine.model({ weights: await model.save() }, { batch: 32, cpu: true });
    const p = await probe.predictBatch(Float32Array.from(window.data.images, (v) => v / 255));
    await probe.dispose();
    return p;
  };
};

test('a model created on the CPU stays there when a fit changes its batch size', async () => {
  const { page, errors } = await apiPage();
  await page.evaluate(setup);
  const r = await page.evaluate(async () => {
    const { createEngine } = await import('./convplay.js');
    const engine = await createEngine({ backend: 'auto' });
    // Created for batch 16 on the CPU, trained at batch 8: rebuilt for the new batch.
    const moved = await engine.model({ spec: window.tiny }, { batch: 16, seed: 3, cpu: true });
    // The same weights made for batch 8 on the CPU, and on the GPU.
    const cpu = await engine.model({ spec: window.tiny }, { batch: 8, seed: 3, cpu: true });
    const gpu = await engine.model({ spec: window.tiny }, { batch: 8, seed: 3 });
    const options = { epochs: 2, batch: 8, lr: 0.01, seed: 5 };
    for (const m of [moved, cpu, gpu]) await m.fit(window.data, options);
    const [a, b, c] = await Promise.all([moved, cpu, gpu].map((m) => window.weightsOf(engine, m)));
    const out = {
      kind: engine.info.kind,
      backends: [moved.info.backend, cpu.info.backend, gpu.info.backend],
      batch: moved.info.batch,
      movedTrainedLikeCpu: window.same(a, b),
      gpuTrainsDifferently: !window.same(b, c),
      usage: await engine.usage(),
    };
    engine.dispose();
    return out;
  });
  assert.equal(r.kind, 'gpu', 'the test needs WebGPU (SwiftShader)');
  assert.deepEqual(r.backends, ['cpu', 'cpu', 'gpu']);
  assert.equal(r.batch, 8);
  // Training on the GPU gives other low bits than the CPU: a model that moved would not match.
  assert.equal(r.gpuTrainsDifferently, true, 'the check below could not tell the backends apart');
  assert.equal(r.movedTrainedLikeCpu, true, 'the rebuilt model trained on the GPU, not on the CPU it was created on');
  assert.deepEqual(r.usage, { models: 3, sessions: 0, datasets: 0, cpuBeside: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('AdamW decays the weights, unlike Adam; weightDecay reaches the optimizer', async () => {
  const { page, errors } = await apiPage();
  await page.evaluate(setup);
  const r = await page.evaluate(async () => {
    const { createEngine } = await import('./convplay.js');
    const engine = await createEngine({ backend: 'cpu' });
    const trained = async (options) => {
      const m = await engine.model({ spec: window.tiny }, { batch: 8, seed: 3 });
      await m.fit(window.data, { epochs: 2, lr: 0.01, seed: 5, ...options });
      return window.weightsOf(engine, m);
    };
    const adam = await trained({ optimizer: 'adam' });
    const adamw = await trained({ optimizer: 'adamw' });
    const adamw0 = await trained({ optimizer: 'adamw', weightDecay: 0 });
    const adamwMore = await trained({ optimizer: 'adamw', weightDecay: 0.1 });
    let bad = '';
    try {
      await (await engine.model({ spec: window.tiny }, { batch: 8 })).fit(window.data, { weightDecay: 2 });
    } catch (e) {
      bad = e.message;
    }
    engine.dispose();
    return {
      adamwIsAdam: window.same(adam, adamw),
      zeroDecayIsAdam: window.same(adam, adamw0),
      decayMatters: !window.same(adamw, adamwMore),
      bad,
    };
  });
  assert.equal(r.adamwIsAdam, false, 'AdamW trained exactly as Adam: no weight decay');
  assert.equal(r.zeroDecayIsAdam, true, 'AdamW with weightDecay 0 is Adam');
  assert.equal(r.decayMatters, true, 'weightDecay 0.1 trained as the default 0.004');
  assert.equal(r.bad, 'weightDecay 2 must be a number from 0 up to (not including) 1, e.g. 0.004');
  assert.deepEqual(errors, []);
  await page.close();
});

test('fit on MNIST held in the worker: pause, resume, stop, looks, test evaluation', async () => {
  const { page, errors } = await apiPage();
  const r = await page.evaluate(async () => {
    const { createEngine } = await import('./convplay.js');
    const engine = await createEngine({ backend: 'cpu' });
    const train = await engine.mnist('train', { count: 512 });
    const test = await engine.mnist('test', { count: 100 });
    const first = await test.example(0);
    const model = await engine.model({ preset: 'seed-001' }, { batch: 32 });
    const events = [];
    const looks = [];
    // One epoch with a look: a confusion matrix and mistakes of the test digits after it.
    const one = await model.fit(train, {
      epochs: 1,
      lr: 0.003,
      validationSplit: 0.25,
      test,
      mistakes: 5,
      lookAt: first.input,
      onLook: (l) => looks.push(l),
      onEpoch: (e) => events.push(`epoch ${e.epoch}`),
    });
    const e = one.epochs[0];
    const again = await model.evaluate(test, { mistakes: 5 });
    // A long fit: pause it, check that nothing moves, resume, stop.
    let progress = 0;
    const run = model.fit(train, { epochs: 50, onProgress: () => progress++ });
    while (progress < 2) await new Promise((r) => setTimeout(r, 20));
    await run.pause();
    const at = progress;
    await new Promise((r) => setTimeout(r, 400));
    const whilePaused = progress - at;
    run.resume();
    while (progress === at) await new Promise((r) => setTimeout(r, 20));
    const busy = await engine.usage();
    run.stop();
    const stopped = await run;
    await Promise.all([train.dispose(), test.dispose(), model.dispose()]);
    const out = {
      first: [first.input.length, first.label],
      testCount: test.count,
      looks: looks.map((l) => [l.input.length, l.data.probabilities.length]),
      events,
      val: e.valAccuracy !== null,
      confusionTotal: e.test.confusion.flat().reduce((a, b) => a + b, 0),
      diagonal: e.test.confusion.reduce((s, row, i) => s + row[i], 0),
      testAccuracy: e.testAccuracy,
      sameAsEvaluate: e.test.accuracy === again.accuracy && e.test.mistakes.length === again.mistakes.length,
      mistakes: e.test.mistakes.map((m) => [m.input.length, m.label !== m.predicted]),
      whilePaused,
      busy,
      stopped: stopped.stopped,
      stoppedEpochs: stopped.epochs.length,
      after: await engine.usage(),
    };
    engine.dispose();
    return out;
  });
  assert.deepEqual(r.first, [784, 7], 'the first test digit is a 7');
  assert.equal(r.testCount, 100);
  assert.ok(r.looks.length >= 1, 'at least the look after the epoch');
  assert.ok(
    r.looks.every(([n, p]) => n === 784 && p === 10),
    JSON.stringify(r.looks),
  );
  assert.deepEqual(r.events, ['epoch 1']);
  assert.equal(r.val, true);
  assert.equal(r.confusionTotal, 100);
  assert.equal(Math.fround(r.diagonal / 100), r.testAccuracy);
  assert.equal(r.sameAsEvaluate, true);
  assert.equal(r.mistakes.length, Math.min(5, 100 - r.diagonal));
  assert.ok(r.mistakes.every(([n, wrong]) => n === 784 && wrong));
  assert.equal(r.whilePaused, 0, 'no progress while paused');
  assert.deepEqual(r.busy, { models: 1, sessions: 1, datasets: 2, cpuBeside: false });
  assert.equal(r.stopped, true);
  assert.ok(r.stoppedEpochs < 50, `${r.stoppedEpochs} epochs before the stop`);
  assert.deepEqual(r.after, { models: 0, sessions: 0, datasets: 0, cpuBeside: false });
  assert.deepEqual(errors, []);
  await page.close();
});
