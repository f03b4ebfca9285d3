// ONNX export (www/src/api/onnx.ts), read back by ONNX's own checker and run in ONNX Runtime
// (Python; `npm test` installs them: scripts/lib.sh, ensure_onnx_python). The outputs must equal
// ConvPlay's predictions on the same inputs: the shipped MNIST model, and a model of the other
// layers the export writes (separable and depthwise convs, batch norm, same-padded pooling,
// LRN, leaky ReLU, global pooling, dropout; up-sampling and transposed convs), and the blocks.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveDist, launchBrowser, openPage } from './harness.mjs';

let server;
let browser;
let page;

/** The Python with onnx and onnxruntime: the system's, or the one npm test set up. */
function python() {
  for (const p of [process.env.CONVPLAY_PYTHON, '.tools/onnx-venv/bin/python', 'python3']) {
    if (!p) continue;
    try {
      execFileSync(p, ['-c', 'import onnx, onnxruntime'], { stdio: 'pipe' });
      return p;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'no Python with the packages onnx and onnxruntime: `npm test` installs them into .tools/onnx-venv (scripts/lib.sh, ensure_onnx_python)',
  );
}

before(async () => {
  server = await serveDist();
  browser = await launchBrowser();
  ({ page } = await openPage(browser.context, `${server.url}presets/seed-001.json`));
  await page.evaluate(async (base) => {
    window.cp = await import(`${base}convplay-api.js`);
    window.engine = await window.cp.createEngine({ backend: 'cpu' });
  }, server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Exports a model made from `source` in the page and runs the file in ONNX Runtime. */
async function exportAndRun(source, shape, count) {
  const out = await page.evaluate(
    async ({ source, shape, count }) => {
      const { cp, engine } = window;
      const model = await engine.model(
        source.weights ? { weights: new URL(source.weights, location.href).href } : source,
        { batch: source.batch ?? 4 },
      );
      const len = shape.reduce((a, b) => a * b, 1);
      const inputs = Array.from({ length: count }, (_, k) =>
        Array.from({ length: len }, (_, i) => Math.abs(Math.sin(i * 12.9898 + k * 78.233)) % 1),
      );
      const ours = [];
      for (const x of inputs) ours.push(Array.from((await model.predict(Float32Array.from(x))).probabilities));
      const bytes = await cp.saveOnnx(model);
      let binary = '';
      for (const b of bytes) binary += String.fromCharCode(b);
      return { inputs, ours, onnx: btoa(binary), params: model.info.params };
    },
    { source, shape, count },
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convplay-onnx-'));
  try {
    const file = path.join(dir, 'model.onnx');
    fs.writeFileSync(file, Buffer.from(out.onnx, 'base64'));
    fs.writeFileSync(path.join(dir, 'job.json'), JSON.stringify({ model: file, shape, inputs: out.inputs }));
    const report = JSON.parse(
      execFileSync(python(), ['tests/helpers/onnx_check.py', path.join(dir, 'job.json')], { encoding: 'utf8' }),
    );
    let gap = 0;
    assert.equal(report.outputs.length, out.ours.length);
    report.outputs.forEach((row, i) => {
      assert.equal(row.length, out.ours[i].length);
      row.forEach((v, j) => (gap = Math.max(gap, Math.abs(v - out.ours[i][j]))));
    });
    return { ...report, gap, bytes: fs.statSync(file).size, params: out.params };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the shipped MNIST model exported to ONNX runs in ONNX Runtime with the same probabilities', async () => {
  const r = await exportAndRun({ weights: '/models/mnist-seed-001.safetensors' }, [28, 28, 1], 4);
  assert.deepEqual(r.opset, [17]);
  assert.deepEqual(r.input, ['batch', 1, 28, 28]);
  assert.deepEqual(r.output, ['batch', 10]);
  assert.deepEqual(r.ops, ['Conv', 'Flatten', 'Gemm', 'Identity', 'MaxPool', 'Relu', 'Softmax', 'Transpose']);
  assert.ok(r.bytes > r.params * 4, `the weights are in the file: ${r.bytes} bytes`);
  assert.ok(r.gap < 1e-5, `largest difference in probability: ${r.gap}`);
});

test('every layer the export writes agrees with ConvPlay in ONNX Runtime', async () => {
  const spec = {
    input: [9, 9, 3],
    layers: [
      { type: 'conv2d', filters: 4, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu6' },
      { type: 'batch_norm' },
      { type: 'separable_conv2d', filters: 5, kernel_size: 3, padding: 'same', activation: 'tanh' },
      { type: 'depthwise_conv2d', kernel_size: 2, padding: 'valid', activation: 'sigmoid' },
      { type: 'lrn', depth_radius: 1, alpha: 0.5, beta: 0.75 },
      { type: 'avg_pool2d', pool_size: 2, strides: 1, padding: 'same' },
      { type: 'leaky_relu' },
      { type: 'max_pool2d', pool_size: 3, strides: 2, padding: 'same' },
      { type: 'global_avg_pool2d' },
      { type: 'dropout', rate: 0.3 },
      { type: 'dense', units: 6, activation: 'leaky_relu' },
      { type: 'dense', units: 4, activation: 'softmax' },
    ],
  };
  const r = await exportAndRun({ spec }, [9, 9, 3], 3);
  for (const op of ['AveragePool', 'BatchNormalization', 'Clip', 'GlobalAveragePool', 'LRN', 'LeakyRelu', 'Sigmoid'])
    assert.ok(r.ops.includes(op), `${op} in ${r.ops.join(', ')}`);
  assert.deepEqual(r.output, ['batch', 4]);
  assert.ok(r.gap < 1e-5, `largest difference in probability: ${r.gap}`);
});

test('up-sampling (nearest, bilinear) and transposed convolutions export as Resize and ConvTranspose', async () => {
  const spec = {
    input: [5, 4, 2],
    layers: [
      { type: 'conv2d_transpose', filters: 3, kernel_size: 3, strides: 2, padding: 'same', activation: 'tanh' },
      { type: 'up_sampling2d', size: [1, 2], interpolation: 'bilinear' },
      { type: 'conv2d_transpose', filters: 2, kernel_size: [3, 1], strides: [1, 3], activation: 'relu' },
      { type: 'conv2d', filters: 3, kernel_size: 3, strides: 2, padding: 'same', activation: 'tanh' },
      { type: 'up_sampling2d', size: 2 },
      { type: 'conv2d_transpose', filters: 2, kernel_size: 2, strides: 3, use_bias: false },
      { type: 'up_sampling2d', size: [2, 3], interpolation: 'bilinear' },
      { type: 'conv2d', filters: 2, kernel_size: 4, strides: 4, activation: 'tanh' },
      { type: 'flatten' },
      { type: 'dense', units: 5, activation: 'softmax' },
    ],
  };
  const r = await exportAndRun({ spec }, [5, 4, 2], 3);
  for (const op of ['ConvTranspose', 'Resize']) assert.ok(r.ops.includes(op), `${op} in ${r.ops.join(', ')}`);
  assert.deepEqual(r.output, ['batch', 5]);
  assert.ok(r.gap < 1e-5, `largest difference in probability: ${r.gap}`);
});

test('residual, concat and squeeze-and-excitation blocks export and agree in ONNX Runtime', async () => {
  const spec = {
    input: [8, 8, 2],
    layers: [
      { type: 'conv2d', filters: 4, kernel_size: 3, padding: 'same', activation: 'tanh' },
      {
        type: 'residual',
        activation: 'relu',
        layers: [
          { type: 'conv2d', filters: 4, kernel_size: 3, padding: 'same', activation: 'relu' },
          { type: 'batch_norm' },
        ],
      },
      {
        type: 'residual',
        projection: true,
        layers: [{ type: 'conv2d', filters: 6, kernel_size: 3, strides: 2, padding: 'same', activation: 'tanh' }],
      },
      { type: 'squeeze_excite', ratio: 2 },
      {
        type: 'concat',
        branches: [
          [{ type: 'conv2d', filters: 2, kernel_size: 1, activation: 'tanh' }],
          [{ type: 'separable_conv2d', filters: 3, kernel_size: 3, padding: 'same', activation: 'sigmoid' }],
          [{ type: 'avg_pool2d', pool_size: 3, strides: 1, padding: 'same' }],
          [],
        ],
      },
      { type: 'global_avg_pool2d' },
      { type: 'dense', units: 5, activation: 'softmax' },
    ],
  };
  const r = await exportAndRun({ spec }, [8, 8, 2], 3);
  for (const op of ['Add', 'Concat', 'Mul', 'Unsqueeze', 'GlobalAveragePool'])
    assert.ok(r.ops.includes(op), `${op} in ${r.ops.join(', ')}`);
  assert.deepEqual(r.output, ['batch', 5]);
  assert.ok(r.gap < 1e-5, `largest difference in probability: ${r.gap}`);
});

test('EfficientNet-Lite0 (the shipped int8 file) exported to ONNX predicts as in ConvPlay', async () => {
  const r = await exportAndRun({ weights: '/models/efficientnet-lite0-int8.safetensors', batch: 1 }, [224, 224, 3], 1);
  assert.deepEqual(r.input, ['batch', 3, 224, 224]);
  assert.deepEqual(r.output, ['batch', 1000]);
  assert.ok(r.ops.includes('Add') && r.ops.includes('Clip'), r.ops.join(', '));
  assert.ok(r.gap < 1e-4, `largest difference in probability: ${r.gap}`);
});
