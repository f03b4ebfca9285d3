// Experiments side by side (<convplay-compare>): a link opens an experiment ready to run; a run at a tiny
// budget draws both models' curves on one chart and fills both rows; the element's link and the share
// dialog give back the same comparison; the precision experiment shows three sizes, f32 > f16 > int8.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, waitForShell } from './harness.mjs';

const env = useBrowser();

const TINY = { 'compare-images': '256', 'compare-epochs': '1', 'compare-batch': '32', 'compare-test-images': '200' };

/** The element's experiment, budget inputs, rows and curves, as the page shows them. */
async function shown(page) {
  const c = page.locator('convplay-compare');
  const value = (label) => c.locator(`[aria-label="${label}"]`).inputValue();
  return {
    experiment: await value('experiment'),
    images: await value('training images'),
    epochs: await value('epochs'),
    batch: await value('batch'),
    testImages: await value('test images'),
    seed: await value('seed'),
    lr: await value('learning rate'),
  };
}

async function runToEnd(page, timeout = 240_000) {
  const c = page.locator('convplay-compare');
  await c.locator('button[data-run]').click();
  await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('convplay-compare').phase), null, {
    timeout,
  });
  const error = await page.evaluate(() => document.querySelector('convplay-compare').error);
  assert.equal(error, '', 'the comparison ran without an error');
}

/** Each row's cells as text, keyed by data-cell. */
async function rows(page) {
  return page.locator('convplay-compare tr[data-row]').evaluateAll((trs) =>
    trs.map((tr) => ({
      status: tr.dataset.status,
      label: tr.querySelector('th').textContent.replace(/\s+/g, ' ').trim(),
      bytes: Number(tr.dataset.bytes),
      accuracy: Number(tr.dataset.accuracy),
      cells: Object.fromEntries(
        [...tr.querySelectorAll('td[data-cell]')].map((td) => [td.dataset.cell, td.textContent.trim()]),
      ),
    })),
  );
}

test('a link opens the experiment ready to run; both curves drawn, both rows filled; the link round-trips', async () => {
  const q = new URLSearchParams({
    backend: 'cpu',
    threads: '1',
    view: 'compare',
    compare: 'pool-vs-strided',
    ...TINY,
    'compare-seed': '3',
  });
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?${q}`);
  assert.equal(await waitForShell(page), 'ready');
  assert.equal(await page.locator('#compare-card').isVisible(), true);
  assert.equal(await page.locator('#train-card').isVisible(), false);
  const want = {
    experiment: 'pool-vs-strided',
    images: '256',
    epochs: '1',
    batch: '32',
    testImages: '200',
    seed: '3',
    lr: '0.001',
  };
  assert.deepEqual(await shown(page), want);
  const expect = await page.locator('convplay-compare [data-expect]').textContent();
  assert.match(expect, /What to expect: Both halve the feature maps/);

  await runToEnd(page);
  const r = await rows(page);
  assert.equal(r.length, 2);
  assert.deepEqual(
    r.map((x) => x.status),
    ['done', 'done'],
  );
  assert.match(r[0].label, /max pooling \(seed-001\)/);
  assert.match(r[1].label, /strided conv \(seed-001-strided\)/);
  for (const x of r) {
    assert.ok(x.accuracy > 0.2 && x.accuracy <= 1, `${x.label}: accuracy ${x.accuracy} after 256 images`);
    assert.match(x.cells.accuracy, /^\d+\.\d\d%$/);
    assert.match(x.cells.seconds, /^\d+\.\d s$/);
    assert.match(x.cells.bytes, /^\d+\.\d kB$|^\d\.\d\d MB$/);
  }
  // The summary's figures: seed-001 121,930 parameters and 2,528,000 multiply-adds; the strided one more of both.
  assert.equal(r[0].cells.params, '121,930');
  assert.equal(r[0].cells.macs, '2,528,000');
  assert.equal(r[1].cells.params, '213,162');
  assert.ok(r[1].bytes > r[0].bytes, 'the strided model is the larger file');

  // One chart, four series: each model's loss (several points) and its test accuracy after the epoch.
  const curves = await page.evaluate(() => {
    const charts = document.querySelector('convplay-compare').renderRoot.querySelectorAll('convplay-curves');
    const c = charts[0];
    return {
      charts: charts.length,
      series: c.config.series.map((s) => s.label),
      counts: c.config.series.map((_, i) => c.values(i).length),
      acc: [c.values(1)[0], c.values(3)[0]],
    };
  });
  assert.equal(curves.charts, 1);
  assert.deepEqual(curves.series, [
    'max pooling (seed-001): loss',
    'max pooling (seed-001): test accuracy',
    'strided conv (seed-001-strided): loss',
    'strided conv (seed-001-strided): test accuracy',
  ]);
  assert.ok(curves.counts[0] >= 1 && curves.counts[2] >= 1, `loss points: ${curves.counts}`);
  assert.equal(curves.counts[1], 1);
  assert.equal(curves.counts[3], 1);
  assert.deepEqual(curves.acc, [r[0].accuracy, r[1].accuracy]);

  // The element's link and the share dialog carry the same comparison; opening it restores it.
  const link = await page.locator('convplay-compare a[data-link]').getAttribute('href');
  await page.locator('#share-button').click();
  assert.equal(await page.locator('#share-view').inputValue(), 'compare');
  assert.equal(await page.locator('#share-url').inputValue(), link);
  const again = await openPage(env.browser.context, link);
  assert.equal(await waitForShell(again.page), 'ready');
  assert.deepEqual(await shown(again.page), want);
  assert.equal(await again.page.locator('#compare-card').isVisible(), true);
  assert.deepEqual(again.errors, []);
  await again.page.close();
  assert.deepEqual(errors, []);
  await page.close();
});

test('f32 vs f16 vs int8: one model trained, three sizes in order, the accuracies close', async () => {
  const q = new URLSearchParams({ backend: 'cpu', threads: '1', compare: 'precision', ...TINY });
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?${q}`);
  assert.equal(await waitForShell(page), 'ready');
  assert.equal((await shown(page)).experiment, 'precision');
  await runToEnd(page);
  const r = await rows(page);
  assert.deepEqual(
    r.map((x) => [x.label, x.status]),
    [
      ['seed-001 · f32', 'done'],
      ['seed-001 · f16', 'done'],
      ['seed-001 · int8', 'done'],
    ],
  );
  const [f32, f16, int8] = r.map((x) => x.bytes);
  assert.ok(f32 > f16 && f16 > int8, `sizes ${f32} > ${f16} > ${int8}`);
  assert.ok(f16 < 0.55 * f32 && int8 < 0.3 * f32, `f16 about half, int8 about a quarter: ${f32} ${f16} ${int8}`);
  for (const x of r.slice(1))
    assert.ok(Math.abs(x.accuracy - r[0].accuracy) <= 0.02, `${x.label}: ${x.accuracy} vs ${r[0].accuracy}`);
  for (const x of r) assert.match(x.cells.eval, /^\d+\.\d s$/);
  const loss = await page.evaluate(() => {
    const c = document.querySelector('convplay-compare').renderRoot.querySelector('convplay-curves');
    return [c.config.series.length, c.values(0).length];
  });
  assert.equal(loss[0], 2, 'one trained model: its loss and its test accuracy');
  assert.ok(loss[1] >= 1);
  // On an embedding page the experiment is an attribute; a wrong one is named.
  const embedded = await page.evaluate(async () => {
    const made = ['lrn', 'dropout'].map((id) => {
      const el = document.createElement('convplay-compare');
      el.setAttribute('experiment', id);
      document.body.append(el);
      return el;
    });
    await Promise.all(made.map((el) => el.updateComplete));
    const out = made.map((el) => ({
      experiment: el.renderRoot.querySelector('select').value,
      error: el.renderRoot.querySelector('[data-error]')?.textContent ?? '',
    }));
    for (const el of made) el.remove();
    return out;
  });
  assert.deepEqual(embedded, [
    { experiment: 'lrn', error: '' },
    {
      experiment: 'cnn-vs-dense',
      error:
        'experiment="dropout" is not an experiment: use cnn-vs-dense, pool-vs-strided, lrn, batch-norm, precision, custom',
    },
  ]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('custom: presets chosen by hand; Stop ends the run and leaves the rest unrun', async () => {
  const q = new URLSearchParams({ backend: 'cpu', threads: '1', compare: 'custom', 'compare-model': 'mlp', ...TINY });
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?${q}`);
  assert.equal(await waitForShell(page), 'ready');
  const c = page.locator('convplay-compare');
  assert.equal(await c.locator('input[aria-label="mlp"]').isChecked(), true);
  // One model is not a comparison: the message says what to do.
  await c.locator('button[data-run]').click();
  assert.match(await c.locator('[data-error]').textContent(), /choose at least two models/);
  await c.locator('input[aria-label="seed-004"]').check();
  await c.locator('input[aria-label="lenet-5"]').check();
  await c.locator('[aria-label="training images"]').fill('6000');
  await c.locator('[aria-label="training images"]').dispatchEvent('change');
  const link = new URL(await c.locator('a[data-link]').getAttribute('href'));
  assert.deepEqual(link.searchParams.getAll('compare-model'), ['mlp', 'seed-004', 'lenet-5']);
  assert.equal(link.searchParams.get('compare-images'), '6000');
  // The model lab's spec joins as a fourth model (its JSON in the link), and leaves when unticked.
  await c.locator('button', { hasText: 'Add the model lab’s spec' }).click();
  assert.equal(await c.locator('input[data-spec]').isChecked(), true);
  const withLab = new URL(await c.locator('a[data-link]').getAttribute('href')).searchParams.getAll('compare-model');
  assert.equal(withLab.length, 4);
  const labSpec = await page.evaluate(() => document.querySelector('convplay-model-lab').specText);
  assert.deepEqual(JSON.parse(withLab[3]), JSON.parse(labSpec));
  await c.locator('input[data-spec]').click();
  assert.equal(await c.locator('input[data-spec]').count(), 0);
  assert.deepEqual(new URL(await c.locator('a[data-link]').getAttribute('href')).searchParams.getAll('compare-model'), [
    'mlp',
    'seed-004',
    'lenet-5',
  ]);
  // Stop during the second model: it stops after its chunk, the third is not started.
  await c.locator('button[data-run]').click();
  await page.waitForFunction(() => document.querySelector('convplay-compare').rows[1]?.status === 'training', null, {
    timeout: 120_000,
  });
  await page.waitForFunction(() => {
    const c = document.querySelector('convplay-compare').renderRoot.querySelector('convplay-curves');
    return c.values(2).length >= 1;
  });
  await c.locator('button[data-stop]').click();
  await page.waitForFunction(() => document.querySelector('convplay-compare').phase === 'done', null, {
    timeout: 60_000,
  });
  const r = await rows(page);
  assert.deepEqual(
    r.map((x) => x.status),
    ['done', 'stopped', 'waiting'],
  );
  assert.match(r[2].label, /not run: the comparison was stopped/);
  assert.match(await c.locator('p[data-status]').textContent(), /^Stopped in/);
  assert.deepEqual(errors, []);
  await page.close();
});
