// The learner's page on day one (issue 18): each bug a class hit, checked in the browser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, waitForShell, trainerFinished } from './harness.mjs';

const env = useBrowser();

test("holding a second class's record button records it (the first button's blur does not stop it)", async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu&view=teach`);
  assert.equal(await waitForShell(page), 'ready');
  const t = page.locator('convplay-transfer');
  await t.getByRole('button', { name: 'Use the camera' }).click();
  await page.waitForFunction(
    () => document.querySelector('convplay-transfer').shadowRoot.querySelector('video')?.videoWidth > 0,
    null,
    { timeout: 30_000 },
  );
  const count = async (k) => Number((await t.locator(`[data-class="${k}"] [data-count]`).textContent()).split(' ')[0]);
  for (const [k, ms] of [
    [0, 300],
    [1, 1_500],
  ]) {
    await t.locator(`[data-class="${k}"] button.rec`).hover();
    await page.mouse.down();
    await page.waitForTimeout(ms);
    await page.mouse.up();
  }
  // Frames land asynchronously (each is decoded into the class): give them a moment.
  await page
    .waitForFunction(
      () =>
        Number.parseInt(
          document.querySelector('convplay-transfer').shadowRoot.querySelector('[data-class="1"] [data-count]')
            .textContent,
        ) >= 3,
      null,
      { timeout: 5_000 },
    )
    .catch(() => {});
  const b = await count(1);
  // A frame every 0.2 s (fewer on a busy machine); the bug left exactly one.
  assert.ok(b >= 3, `class B recorded ${b} frames in 1.5 s`);
  await t.getByRole('button', { name: 'Stop camera' }).click();
  assert.deepEqual(errors, []);
  await page.close();
});

async function configure(page, { model, images, test, batch, lr, epochs = 1 }) {
  const t = page.locator('convplay-train');
  await t.locator('select[aria-label="model"] option').first().waitFor({ state: 'attached' });
  await t.locator('select[aria-label="model"]').selectOption(model);
  for (const [label, v] of [
    ['training images', images],
    ['test images', test],
    ['epochs', epochs],
    ['batch', batch],
    ['learning rate', lr],
  ])
    await t.locator(`input[aria-label="${label}"]`).fill(String(v));
  return t;
}

const finish = trainerFinished;
const firstProgress = (page) =>
  page.waitForFunction(() => document.querySelector('convplay-train').curvePoints >= 1, null, { timeout: 60_000 });

test('stopping mid-epoch keeps the pad and the kept model; the half-trained model only on request', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  const draw = page.locator('convplay-draw');
  await draw.locator('.note', { hasText: 'model: pretrained mnist-seed-001' }).waitFor();
  const t = await configure(page, { model: 'seed-001', images: 60000, test: 100, batch: 64, lr: 0.001 });
  await t.getByRole('button', { name: 'Train' }).click();
  await firstProgress(page);
  await t.getByRole('button', { name: 'Stop' }).click();
  await finish(page, 60_000);
  assert.match(
    await t.locator('[data-stopped]').textContent(),
    /^Stopped in epoch 1, before any epoch finished: the half-trained model is not kept, and the drawing pad keeps its model\./,
  );
  assert.equal(await t.locator('[data-saved]').count(), 0, 'nothing kept');
  await page.waitForTimeout(300);
  assert.equal(await draw.locator('.note', { hasText: 'model: pretrained mnist-seed-001' }).count(), 1);
  // Asked for, it is kept and read with.
  await t.getByRole('button', { name: 'Keep the half-trained model' }).click();
  assert.match(
    await t.locator('[data-saved]').textContent(),
    /^Kept in this browser: seed-001 \(stopped at step \d+ of \d+\)/,
  );
  await draw.locator('.note', { hasText: 'model: trained here: seed-001 (stopped at step' }).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test('a pause does not count in the time left or the time taken', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu&view=train`);
  assert.equal(await waitForShell(page), 'ready');
  const t = await configure(page, { model: 'mlp', images: 6000, test: 100, batch: 32, lr: 0.001 });
  const t0 = Date.now();
  await t.getByRole('button', { name: 'Train' }).click();
  await firstProgress(page);
  await t.getByRole('button', { name: 'Pause' }).click();
  await t.locator('.status[data-phase="paused"]').waitFor();
  await page.waitForTimeout(3_000);
  await t.getByRole('button', { name: 'Resume' }).click();
  await finish(page, 120_000);
  const wall = (Date.now() - t0) / 1000;
  const took = Number((await t.locator('.status').textContent()).match(/^done in ([\d.]+) s/)?.[1]);
  assert.ok(took <= wall - 2.5, `done in ${took} s of ${wall.toFixed(1)} s with a 3 s pause`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a share link made in the model lab opens the spec and batch built there', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu&view=model`);
  assert.equal(await waitForShell(page), 'ready');
  const lab = page.locator('convplay-model-lab');
  await lab.locator('select[aria-label="preset"]').selectOption('seed-001');
  await lab.locator('[data-problems="0"]').waitFor();
  const spec = JSON.parse(await lab.locator('textarea').inputValue());
  spec.name = 'my-lab-net';
  spec.layers[0].filters = 12;
  await lab.locator('textarea').fill(JSON.stringify(spec));
  await lab.locator('input[aria-label="batch"]').fill('16');
  await page.locator('#share-button').click();
  const url = await page.locator('#share-url').inputValue();
  await page.locator('#share-dialog button[value="close"]').click();
  await page.goto(url);
  assert.equal(await waitForShell(page), 'ready');
  await lab.locator('[data-problems="0"]').waitFor();
  const opened = JSON.parse(await lab.locator('textarea').inputValue());
  assert.equal(opened.name, 'my-lab-net');
  assert.equal(opened.layers[0].filters, 12);
  assert.equal(await lab.locator('input[aria-label="batch"]').inputValue(), '16');
  assert.deepEqual(errors, []);
  await page.close();
});

test("the course network: the textbook memory answer first, the engine's explained; measured with a head; MNIST's refusal said before the click", async () => {
  const { page, errors } = await openPage(
    env.browser.context,
    `${env.server.url}?backend=cpu&view=model&preset=course-3conv`,
  );
  assert.equal(await waitForShell(page), 'ready');
  const lab = page.locator('convplay-model-lab');
  await lab.locator('input[aria-label="batch"]').fill('50');
  const text = async (sel) => (await lab.locator(sel).textContent()).replace(/\s+/g, ' ').trim();
  await lab.locator('[data-engine-need]', { hasText: '1252.45 MB' }).waitFor();
  assert.equal(
    await text('[data-textbook]'),
    "Textbook answer: the activations kept for backprop, 562.00 MB, plus parameters 3.61 MB and their gradients 3.61 MB, plus the optimiser's state (SGD momentum 3.61 MB, Adam's m and v 7.23 MB): with Adam 576.45 MB.",
  );
  assert.match(
    await text('[data-engine-need]'),
    /^What this engine needs: 1252\.45 MB with Adam, 676\.00 MB more, because backprop also holds the gradient of the activations .*\(600\.00 MB: two buffers of the largest layer output, used in turn\) and a workspace for the kernels \(76\.00 MB\)\.$/,
  );
  // One unit shown; the exact bytes on hover.
  assert.match(
    await lab.locator('[data-textbook] strong .figure').getAttribute('title'),
    /^576,4\d\d,\d\d\d bytes = 576\.45 MB = [\d.]+ MiB$/,
  );
  assert.match(
    await lab.locator('[data-train-why]').textContent(),
    /^MNIST digits are 28×28×1 \(784 values\), but this model's input is \[200, 300, 3\]: training it on MNIST will be refused/,
  );
  await lab.locator('input[aria-label="batch"]').fill('1');
  await lab.getByRole('button', { name: 'Measure on this device' }).click();
  const measured = lab.locator('[data-measured]');
  await measured.waitFor();
  assert.match(
    await measured.textContent(),
    /^the CPU backend allocated [\d,]+ bytes \([\d.]+ MB\) for batch 1 with a classifier head added .*: -?0\.\d% from the estimate of that model, [\d,]+ bytes\.$/,
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test('the phone layout (390 px) does not scroll sideways', async () => {
  const page = await env.browser.context.newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  await page.locator('convplay-train').locator('convplay-curves canvas').first().waitFor();
  const wide = await page.evaluate(() => {
    const out = [];
    const walk = (root, host) => {
      for (const el of root.querySelectorAll('*')) {
        // Wide tables scroll inside their own box; that box must fit.
        if (el.getBoundingClientRect().right > 390 && !el.closest('table'))
          out.push(`${host} ${el.tagName.toLowerCase()}.${el.className}`);
        if (el.shadowRoot) walk(el.shadowRoot, el.tagName.toLowerCase());
      }
    };
    walk(document, 'page');
    return { width: document.documentElement.scrollWidth, out: out.slice(0, 5) };
  });
  assert.deepEqual(wide, { width: 390, out: [] });
  await page.close();
});

test('an embedded trainer opens ready to run and says what Train will do', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  await page.evaluate(() => {
    const t = document.createElement('convplay-train');
    t.id = 'embedded';
    t.setAttribute('preset', 'lenet-5');
    t.setAttribute('compact', '');
    document.body.append(t);
  });
  const status = page.locator('#embedded .status');
  await status.filter({ hasText: 'Ready' }).waitFor();
  assert.match(
    await status.textContent(),
    /^Ready: Train runs lenet-5 for \d+ epochs? on 6,000 training images \(batch \d+, learning rate [\d.]+\), then tests it on 10,000 images\.$/,
  );
  assert.equal(await page.locator('#embedded').getByRole('button', { name: 'Train' }).isEnabled(), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the trainer opens on a quick run with what it should score; the full run is one click away', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  const t = page.locator('convplay-train');
  const size = t.locator('fieldset.run-size');
  await size.waitFor();
  assert.equal(await size.getAttribute('data-run-size'), 'quick');
  assert.equal(await t.locator('input[aria-label="training images"]').inputValue(), '6000');
  assert.match(
    await size.textContent(),
    /Quick: the first 6,000 training images\s+expect about 9\d\.\d% test accuracy/,
  );
  assert.match(await size.textContent(), /Full: all 60,000\s+expect about 99\.\d%/);
  await size.getByLabel(/^Full/).check();
  assert.equal(await size.getAttribute('data-run-size'), 'full');
  assert.equal(await t.locator('input[aria-label="training images"]').inputValue(), '60000');
  assert.match(await t.locator('.status').textContent(), /on 60,000 training images/);
  // Any other count is shown as such, neither choice ticked.
  await t.locator('input[aria-label="training images"]').fill('5000');
  assert.equal(await size.getAttribute('data-run-size'), 'custom');
  assert.match(await size.textContent(), /now 5,000 images, set below/);
  assert.deepEqual(errors, []);
  await page.close();
});
