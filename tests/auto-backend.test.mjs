// "auto" trains on the faster backend by measurement: with each answer forced through a fake
// measurement (globalThis.convplayFakeSpeeds, a test hook), <convplay-train> trains on the
// backend that won and the badge says by how much. And the profile view shows where a GPU
// training step's time goes, per layer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, waitForShell } from './harness.mjs';

const env = useBrowser();

async function trainWith(speeds) {
  const initScript = `globalThis.convplayTestHooks = true; globalThis.convplayFakeSpeeds = ${JSON.stringify(speeds)};`;
  const { page, errors } = await openPage(env.browser.context, env.server.url, { initScript });
  assert.equal(await waitForShell(page), 'ready');
  assert.equal(await page.locator('#backend-badge').getAttribute('data-kind'), 'gpu', 'the test needs WebGPU');
  const t = page.locator('convplay-train');
  await t.locator('select[aria-label="model"] option').first().waitFor({ state: 'attached' });
  await t.locator('select[aria-label="model"]').selectOption('lenet-5');
  await t.locator('input[aria-label="training images"]').fill('64');
  await t.locator('input[aria-label="test images"]').fill('16');
  await t.locator('input[aria-label="epochs"]').fill('1');
  await t.locator('input[aria-label="batch"]').fill('16');
  await t.getByRole('button', { name: 'Train' }).click();
  // Polled every frame: on the CPU a run this small is done within a second.
  const seen = await page.waitForFunction(
    () => {
      const s = document.querySelector('convplay-train').status;
      return / on (WebGPU|the CPU): /.test(s) ? s : null;
    },
    null,
    { timeout: 120_000, polling: 'raf' },
  );
  const status = await seen.jsonValue();
  const badge = await page.locator('#backend-badge').textContent();
  const kind = await page.locator('#backend-badge').getAttribute('data-kind');
  await t
    .getByRole('button', { name: 'Stop' })
    .click()
    .catch(() => {});
  return { page, errors, status, badge, kind };
}

test('auto trains on the CPU when the measurement says it is faster, and the badge says so', async () => {
  const r = await trainWith({ gpu: 10, cpu: 400 });
  assert.match(r.status, / on the CPU: /);
  assert.equal(r.badge, 'CPU: 40× faster than this GPU here');
  assert.equal(r.kind, 'cpu');
  assert.deepEqual(r.errors, []);
  await r.page.close();
});

test('auto trains on WebGPU when the measurement says it is faster', async () => {
  const r = await trainWith({ gpu: 900, cpu: 300 });
  assert.match(r.status, / on WebGPU: /);
  assert.equal(r.badge, 'WebGPU: 3.0× faster than the CPU here');
  assert.equal(r.kind, 'gpu');
  assert.deepEqual(r.errors, []);
  await r.page.close();
});

test('the profile view shows where a GPU training step spends its time, per layer', async () => {
  const { page, errors } = await openPage(env.browser.context, env.server.url);
  assert.equal(await waitForShell(page), 'ready');
  await page.evaluate(() => {
    const p = document.querySelector('convplay-profile');
    p.for = '';
    p.preset = 'lenet-5';
    p.batch = 4;
  });
  const p = page.locator('convplay-profile');
  await p.getByRole('button', { name: 'Where does the time go?' }).click();
  await p.locator('table[data-layers] tbody tr').first().waitFor({ timeout: 180_000 });
  const layers = await p.locator('table[data-layers] tbody tr td:first-child').allTextContents();
  assert.ok(layers.includes('conv2d_1') && layers.includes('loss'), layers.join(', '));
  assert.match(await p.locator('[data-summary]').textContent(), /img\/s: .* ms a step, of which .* ms on the CPU/);
  // The GEMM kernel the engine timed at start-up, and how: both kernels' times.
  assert.match(
    await p.locator('[data-summary]').textContent(),
    /GEMM kernel (tiled|reg|lane) \(timed at start-up: tiled [\d.]+ ms, reg [\d.]+ ms, lane [\d.]+ ms\)/,
  );
  const dispatches = await p.locator('table[data-dispatches] tbody tr').count();
  assert.ok(dispatches > layers.length, `${dispatches} dispatches for ${layers.length} layers`);
  // The API forces either kernel (as bench:browser does) and refuses an unknown one with the fix.
  const forced = await page.evaluate(async () => {
    const engine = await (await import('./convplay.js')).sharedEngine();
    const reg = await engine.gemm('reg');
    const bad = await engine.gemm('fast').catch((e) => String(e.message));
    return { reg, bad, tiled: await engine.gemm('tiled'), now: await engine.gemm() };
  });
  assert.equal(forced.reg, 'reg (forced)');
  assert.match(forced.bad, /unknown GEMM kernel "fast": use "tiled" .*"reg" .* or "lane"/);
  assert.equal(forced.tiled, 'tiled (forced)');
  assert.equal(forced.now, 'tiled (forced)');
  assert.deepEqual(errors, []);
  await page.close();
});

test('f16 activations: offered in the trainer and the API, refused with the reason where the GPU has no shader-f16', async () => {
  const initScript = `globalThis.convplayTestHooks = true; globalThis.convplayFakeSpeeds = ${JSON.stringify({ gpu: 900, cpu: 300 })};`;
  const { page, errors } = await openPage(env.browser.context, env.server.url, { initScript });
  assert.equal(await waitForShell(page), 'ready');
  const t = page.locator('convplay-train');
  await t.locator('select[aria-label="model"] option').first().waitFor({ state: 'attached' });
  await t.locator('select[aria-label="model"]').selectOption('lenet-5');
  await t.locator('input[aria-label="training images"]').fill('64');
  await t.locator('input[aria-label="test images"]').fill('16');
  await t.locator('input[aria-label="batch"]').fill('16');
  await t.locator('select[aria-label="activations"]').selectOption('f16');
  await t.getByRole('button', { name: 'Train' }).click();
  const seen = await page.waitForFunction(
    () => {
      const el = document.querySelector('convplay-train');
      return el.phase === 'error' || / with f16 activations: /.test(el.status)
        ? [el.phase, el.status, el.shaderF16]
        : null;
    },
    null,
    { timeout: 120_000, polling: 'raf' },
  );
  const [phase, status, shaderF16] = await seen.jsonValue();
  // What the API says of the same engine: its info, and a model asked for with f16 activations.
  const api = await page.evaluate(async () => {
    const engine = await (await import('./convplay.js')).sharedEngine();
    const f16 = await engine
      .model({ preset: 'lenet-5' }, { batch: 2, activations: 'f16' })
      .then((m) => m.info.activations)
      .catch((e) => String(e.message));
    const onCpu = await engine
      .model({ preset: 'lenet-5' }, { batch: 2, cpu: true, activations: 'f16' })
      .then(() => 'built')
      .catch((e) => String(e.message));
    const f32 = (await engine.model({ preset: 'lenet-5' }, { batch: 2 })).info.activations;
    return { shaderF16: engine.info.shaderF16, f16, onCpu, f32 };
  });
  assert.equal(api.shaderF16, shaderF16);
  assert.equal(api.f32, 'f32');
  assert.match(api.onCpu, /f16 activations are a GPU option .* the CPU, which keeps f32/);
  if (shaderF16) {
    assert.match(status, / on WebGPU with f16 activations: /);
    assert.equal(api.f16, 'f16');
    await t
      .getByRole('button', { name: 'Stop' })
      .click()
      .catch(() => {});
  } else {
    // SwiftShader here: the run stops before it starts, saying what is missing and what to do.
    assert.equal(phase, 'error');
    assert.match(
      status,
      /f16 activations need WebGPU's shader-f16 feature, and this GPU adapter .* does not have it; use f32/,
    );
    assert.match(api.f16, /shader-f16/);
    const option = t.locator('select[aria-label="activations"] option[value="f16"]');
    assert.equal(await option.isDisabled(), true, 'f16 is no longer offered');
    assert.match(await option.textContent(), /no shader-f16 here/);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
