// TF.js Layers models in and out (www/src/api/tfjs.ts), against TF.js itself in the same page:
// a model built and saved by TF.js loads into ConvPlay with the same predictions (float32 and
// uint8-quantized weights), and a ConvPlay model saved as TF.js artifacts loads with
// `tf.loadLayersModel` and predicts as ConvPlay does.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launchBrowser, openPage } from './harness.mjs';

let server;
let browser;
let page;
let errors;

before(async () => {
  server = await serveDist();
  browser = await launchBrowser();
  ({ page, errors } = await openPage(browser.context, `${server.url}presets/seed-001.json`));
  await page.addScriptTag({ path: 'node_modules/@tensorflow/tfjs/dist/tf.min.js' });
  await page.evaluate(async (base) => {
    window.cp = await import(`${base}convplay-api.js`);
    await window.tf.setBackend('cpu');
    window.engine = await window.cp.createEngine({ backend: 'cpu' });
    // Inputs for both sides: n instances of a shape, deterministic.
    window.inputs = (shape, n) => {
      const len = shape.reduce((a, b) => a * b, 1);
      return Array.from({ length: n }, (_, k) =>
        Float32Array.from({ length: len }, (_, i) => Math.abs(Math.sin(i * 12.9898 + k * 78.233)) % 1),
      );
    };
    window.largestGap = (a, b) => {
      if (a.length !== b.length) return Infinity;
      return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    };
  }, server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('a model saved by TF.js loads into ConvPlay with the same predictions (float32 and uint8 weights)', async () => {
  const result = await page.evaluate(async () => {
    const { tf, cp, engine } = window;
    tf.util.seedrandom?.('convplay');
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [10, 10, 2], filters: 4, kernelSize: 3, activation: 'relu' }));
    m.add(tf.layers.batchNormalization());
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'tanh' }));
    m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dropout({ rate: 0.25 }));
    m.add(tf.layers.dense({ units: 8, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 6, activation: 'softmax' }));
    // Moving statistics and every weight away from their initial values.
    m.setWeights(m.getWeights().map((w, i) => tf.randomUniform(w.shape, 0.4, 1.4, 'float32', i + 1)));
    let artifacts;
    await m.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const gaps = {};
    const xs = window.inputs([10, 10, 2], 3);
    const compare = async (label, art, reference) => {
      const { spec, weights, ignored } = cp.fromTfjs(art);
      const model = await engine.model({ weights });
      let gap = 0;
      for (const x of xs) {
        const ours = (await model.predict(x)).probabilities;
        const theirs = reference.predict(tf.tensor(x, [1, 10, 10, 2])).dataSync();
        gap = Math.max(gap, window.largestGap(Array.from(ours), Array.from(theirs)));
      }
      gaps[label] = { gap, params: model.info.params, layers: spec.layers.length, ignored };
      await model.dispose();
    };
    await compare('float32', artifacts, m);
    // The converter's uint8 quantization: q = round((w − min) / scale), read back as q·scale + min.
    const f32 = new Float32Array(artifacts.weightData);
    const bytes = [];
    let at = 0;
    const specs = artifacts.weightSpecs.map((s) => {
      const n = s.shape.reduce((a, b) => a * b, 1);
      const w = f32.subarray(at, at + n);
      at += n;
      const min = Math.min(...w);
      const scale = (Math.max(...w) - min) / 255 || 1;
      for (const v of w) bytes.push(Math.round((v - min) / scale));
      return { ...s, quantization: { dtype: 'uint8', scale, min } };
    });
    const quantized = { ...artifacts, weightSpecs: specs, weightData: Uint8Array.from(bytes).buffer };
    const reloaded = await tf.loadLayersModel(tf.io.fromMemory(quantized));
    await compare('uint8', quantized, reloaded);
    return { gaps, tfParams: m.countParams() };
  });
  for (const label of ['float32', 'uint8']) {
    const g = result.gaps[label];
    assert.equal(g.params, result.tfParams, `${label}: the same parameter count`);
    assert.equal(g.layers, 9);
    assert.deepEqual(g.ignored, []);
    assert.ok(g.gap < 1e-5, `${label}: the largest difference in probability is ${g.gap}`);
  }
  assert.deepEqual(
    errors.filter((e) => e.startsWith('uncaught')),
    [],
  );
});

test('a ConvPlay model saved as TF.js loads with tf.loadLayersModel and predicts the same', async () => {
  const result = await page.evaluate(async () => {
    const { tf, cp, engine } = window;
    const model = await engine.model({ weights: new URL('/models/mnist-seed-001.safetensors', location.href).href });
    const { modelJson, weightData, artifacts } = await cp.saveTfjs(model);
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    let gap = 0;
    let agree = 0;
    const xs = window.inputs([28, 28, 1], 4);
    for (const x of xs) {
      const a = (await model.predict(x)).probabilities;
      const b = theirs.predict(tf.tensor(x, [1, 28, 28, 1])).dataSync();
      gap = Math.max(gap, window.largestGap(Array.from(a), Array.from(b)));
      agree += a.indexOf(Math.max(...a)) === b.indexOf(Math.max(...b)) ? 1 : 0;
    }
    // A model with a residual block has no sequential TF.js twin: a clear error.
    const res = await engine.model({
      spec: {
        input: [8, 8, 1],
        layers: [
          { type: 'conv2d', filters: 2, kernel_size: 3, padding: 'same' },
          { type: 'residual', layers: [{ type: 'conv2d', filters: 2, kernel_size: 3, padding: 'same' }] },
          { type: 'flatten' },
          { type: 'dense', units: 3, activation: 'softmax' },
        ],
      },
    });
    const refused = await cp.saveTfjs(res).then(
      () => 'exported',
      (e) => e.message,
    );
    return {
      gap,
      agree,
      params: theirs.countParams(),
      ours: model.info.params,
      format: modelJson.format,
      paths: modelJson.weightsManifest[0].paths,
      bytes: weightData.byteLength,
      refused,
    };
  });
  assert.equal(result.params, result.ours);
  assert.equal(result.format, 'layers-model');
  assert.deepEqual(result.paths, ['model.weights.bin']);
  assert.equal(result.bytes, 121930 * 4);
  assert.equal(result.agree, 4);
  assert.ok(result.gap < 1e-4, `largest difference in probability: ${result.gap}`);
  assert.match(result.refused, /layer "residual_1" \(residual\) has no TF\.js Layers twin in a sequential model/);
  assert.deepEqual(
    errors.filter((e) => e.startsWith('uncaught')),
    [],
  );
});

test('transposed convolutions and nearest up-sampling cross to and from TF.js with the same predictions', async () => {
  const result = await page.evaluate(async () => {
    const { tf, cp, engine } = window;
    const m = tf.sequential();
    m.add(tf.layers.conv2dTranspose({ inputShape: [4, 5, 2], filters: 3, kernelSize: 3, strides: 2, padding: 'same' }));
    m.add(tf.layers.upSampling2d({ size: [1, 2] }));
    m.add(tf.layers.conv2dTranspose({ filters: 2, kernelSize: [2, 3], strides: [3, 1], activation: 'tanh' }));
    m.add(tf.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, activation: 'relu' }));
    m.add(tf.layers.conv2dTranspose({ filters: 2, kernelSize: 1, strides: 2, useBias: false }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 4, activation: 'softmax' }));
    m.setWeights(m.getWeights().map((w, i) => tf.randomUniform(w.shape, -0.5, 0.5, 'float32', i + 7)));
    let artifacts;
    await m.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const xs = window.inputs([4, 5, 2], 3);
    const gapOf = async (ours, theirs) => {
      let gap = 0;
      for (const x of xs) {
        const a = (await ours.predict(x)).probabilities;
        const b = theirs.predict(tf.tensor(x, [1, 4, 5, 2])).dataSync();
        gap = Math.max(gap, window.largestGap(Array.from(a), Array.from(b)));
      }
      return gap;
    };
    const { weights, ignored } = cp.fromTfjs(artifacts);
    const model = await engine.model({ weights });
    const imported = await gapOf(model, m);
    // And back: ConvPlay's export loads in TF.js and predicts the same.
    const back = await tf.loadLayersModel(tf.io.fromMemory((await cp.saveTfjs(model)).artifacts));
    const exported = await gapOf(model, back);
    // Bilinear: TF.js's UpSampling2D has no half-pixel centres, so both ways refuse it.
    const bilinear = await engine.model({
      spec: {
        input: [4, 4, 1],
        layers: [
          { type: 'up_sampling2d', interpolation: 'bilinear' },
          { type: 'flatten' },
          { type: 'dense', units: 2, activation: 'softmax' },
        ],
      },
    });
    const refusedOut = await cp.saveTfjs(bilinear).then(
      () => 'exported',
      (e) => e.message,
    );
    const t = tf.sequential();
    t.add(tf.layers.upSampling2d({ inputShape: [3, 3, 1], interpolation: 'bilinear' }));
    let art2;
    await t.save(
      tf.io.withSaveHandler(async (a) => {
        art2 = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    let refusedIn = 'accepted';
    try {
      cp.fromTfjs(art2);
    } catch (e) {
      refusedIn = e.message;
    }
    return { imported, exported, ignored, params: model.info.params, tfParams: m.countParams(), refusedOut, refusedIn };
  });
  assert.equal(result.params, result.tfParams);
  assert.deepEqual(result.ignored, []);
  assert.ok(result.imported < 1e-5, `TF.js → ConvPlay: largest difference in probability ${result.imported}`);
  assert.ok(result.exported < 1e-5, `ConvPlay → TF.js: largest difference in probability ${result.exported}`);
  assert.match(
    result.refusedOut,
    /layer "up_sampling2d_1" \(up_sampling2d\): TF\.js's UpSampling2D samples bilinear without half-pixel centres/,
  );
  assert.match(result.refusedIn, /UpSampling2D .*: interpolation "bilinear": TF\.js's UpSampling2D samples bilinear/);
});

test('TF.js models ConvPlay cannot read are named errors', async () => {
  const messages = await page.evaluate(() => {
    const { cp } = window;
    const attempt = (topology, weightSpecs = [], weightData = new ArrayBuffer(0)) => {
      try {
        cp.fromTfjs({ modelTopology: topology, weightSpecs, weightData });
        return 'accepted';
      } catch (e) {
        return e.message;
      }
    };
    const seq = (layers) => ({ class_name: 'Sequential', config: { name: 's', layers } });
    return [
      attempt(seq([{ class_name: 'Conv3D', config: { name: 'c', batch_input_shape: [null, 4, 4, 4, 1] } }])),
      attempt(
        seq([
          { class_name: 'Dense', config: { name: 'd', units: 2, activation: 'elu', batch_input_shape: [null, 3] } },
        ]),
      ),
      attempt(
        seq([{ class_name: 'Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 3] } }]),
        [
          { name: 'd/kernel', shape: [3, 2], dtype: 'float32' },
          { name: 'd/bias', shape: [2], dtype: 'float32' },
        ],
        new ArrayBuffer(12),
      ),
      attempt({ class_name: 'Sequential' }),
    ];
  });
  assert.match(messages[0], /^layer 0 \(Conv3D "c"\): Conv3D is not supported; ConvPlay reads Conv2D, /);
  assert.match(
    messages[1],
    /activation "elu" is not one ConvPlay has; it has linear, relu, relu6, sigmoid, tanh, softmax/,
  );
  assert.match(messages[2], /the TF\.js weights end early: d\/kernel needs bytes 0–24 but the shards hold 12/);
  assert.match(messages[3], /no modelTopology\.config: is this a Layers model \(not a graph model\)\?/);
});
