// Accessibility (issue 18): axe-core finds no serious or critical violation in the light and
// the dark scheme, on the page as it opens and once populated (a digit drawn from the keyboard,
// a short training run, two models side by side); the drawing pad works from the keyboard and
// announces its reading; the sample photos are buttons.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, waitForShell } from './harness.mjs';

const env = useBrowser();

/** axe-core's serious and critical violations on the page (shadow roots included). */
async function violations(page) {
  if (!(await page.evaluate(() => 'axe' in window)))
    await page.addScriptTag({ path: 'node_modules/axe-core/axe.min.js' });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.nodes
            .map((n) => n.target.join(' '))
            .slice(0, 3)
            .join(', ')}`,
      );
  });
}

/** Draws a "1" with the keyboard: the pen starts in the middle. */
async function drawOneWithKeys(page) {
  const pad = page.locator('convplay-draw canvas.pad');
  await pad.focus();
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Space');
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Space');
}

for (const scheme of ['light', 'dark']) {
  test(`axe: no serious or critical violation in the ${scheme} scheme, initial and populated`, async () => {
    const page = await env.browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${env.server.url}?backend=cpu`);
    assert.equal(await waitForShell(page), 'ready');
    await page.locator('convplay-draw .note', { hasText: 'model: pretrained' }).waitFor();
    assert.deepEqual(await violations(page), [], 'initial');

    await drawOneWithKeys(page);
    await page.waitForFunction(() => document.querySelector('convplay-draw').prediction === 1);
    await page.locator('convplay-inside canvas').first().waitFor();
    await page.locator('convplay-model-lab select[aria-label="compare"]').selectOption('mlp');
    await page.locator('convplay-model-lab table[data-compare]').waitFor();
    const t = page.locator('convplay-train');
    await t.locator('select[aria-label="model"]').selectOption('mlp');
    await t.locator('input[aria-label="training images"]').fill('256');
    await t.locator('input[aria-label="test images"]').fill('64');
    await t.getByRole('button', { name: 'Train' }).click();
    await t.locator('[data-mistakes]').waitFor({ timeout: 60_000 });
    assert.deepEqual(await violations(page), [], 'populated');
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('the pad draws from the keyboard and announces its reading; sample photos are buttons', async () => {
  const page = await env.browser.context.newPage();
  await page.goto(`${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  await page.locator('convplay-draw .note', { hasText: 'model: pretrained' }).waitFor();
  await drawOneWithKeys(page);
  await page.waitForFunction(() => document.querySelector('convplay-draw').prediction === 1);
  assert.match(await page.locator('convplay-draw [data-announce]').textContent(), /^read as 1, \d+% sure$/);
  // Inside the network: the ten probability bars carry their digits, and say them to a screen reader.
  await page.locator('convplay-inside [data-digits]').waitFor();
  assert.equal(await page.locator('convplay-inside [data-digits]').textContent(), '0123456789');
  assert.match(
    await page.locator('convplay-inside .vector.probs[role="img"]').getAttribute('aria-label'),
    /^class probabilities: 0: \d+%, 1: \d+%, .*, 9: \d+%$/,
  );
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.querySelector('convplay-draw').prediction === null);
  const sample = page.locator('convplay-photo').getByRole('button', { name: 'classify the sample chelsea.png' });
  await sample.focus();
  assert.equal(await sample.evaluate((b) => b.matches(':focus-visible') || b.matches(':focus')), true);
  await page.close();
});

test('a feature map opens large with its value range, by click or keyboard', async () => {
  const page = await env.browser.context.newPage();
  await page.goto(`${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  await page.locator('convplay-draw .note', { hasText: 'model: pretrained' }).waitFor();
  await drawOneWithKeys(page);
  const inside = page.locator('convplay-inside');
  const map = inside.locator('canvas[data-map="0:3"]');
  await map.focus();
  await page.keyboard.press('Enter');
  const zoom = inside.locator('[data-zoom]');
  await zoom.waitFor();
  assert.match(
    (await zoom.locator('figcaption').textContent()).replace(/\s+/g, ' ').trim(),
    /^conv2d_1, map 3 \(26×26\): values from -?[\d.e+-]+ to -?[\d.e+-]+, black at -?[\d.e+-]+, white at the largest\. Close$/,
  );
  assert.equal(await zoom.locator('canvas').evaluate((c) => c.width), 26);
  await zoom.getByRole('button', { name: 'Close' }).click();
  await zoom.waitFor({ state: 'detached' });
  await inside.locator('canvas[data-map="1:0"]').click();
  await zoom.waitFor();
  await page.close();
});
