// Semantic segmentation in the page (<convplay-segment>): the shipped segmenter loads on demand
// and scores on held-out scenes, the scenes are drawn with their maps, a drawing gets a class
// map with its digits written in, and segment-mini trains in the tab on a tiny budget.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, waitForShell, stroke } from './harness.mjs';

const env = useBrowser();

/** The number of non-background-coloured pixels in a canvas of the element. */
function coloured(seg, selector) {
  return seg.evaluate((el, sel) => {
    const c = el.shadowRoot.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    // The background is light grey (#F2F2F2, darker under ink); a class colour differs in its channels.
    for (let i = 0; i < d.length; i += 4)
      if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 20) n++;
    return n;
  }, selector);
}

test('the shipped segmenter scores on held-out scenes and segments a drawing; segment-mini trains in the tab', async () => {
  const { page, errors } = await openPage(env.browser.context, `${env.server.url}?backend=cpu`);
  assert.equal(await waitForShell(page), 'ready');
  const seg = page.locator('convplay-segment');
  await seg.evaluate((el) => (el.evalScenes = 40));
  await seg.locator('#segment-load').click();
  const iou = seg.locator('[data-iou]');
  await iou.waitFor({ timeout: 120_000 });
  // The CLI measured 0.455 on 500 held-out scenes; background alone would give about 0.08.
  const mean = Number(await iou.getAttribute('data-iou'));
  assert.ok(mean > 0.3 && mean <= 1, `held-out mean IoU ${mean}`);
  assert.equal(await seg.locator('table[aria-label="IoU per class"] td').count(), 11);
  assert.equal(await seg.locator('figure.scene').count(), 4);
  // A held-out scene's true map has digits in it, and so does the prediction.
  assert.ok((await coloured(seg, 'canvas[data-scene="0"][data-kind="truth"]')) > 50);
  assert.ok((await coloured(seg, 'canvas[data-scene="0"][data-kind="predicted"]')) > 50);

  // The blank pad has been segmented once the held-out scenes are shown (no regions yet).
  const map = seg.locator('canvas.drawn-map');
  await page.waitForFunction(
    () =>
      document.querySelector('convplay-segment').shadowRoot.querySelector('canvas.drawn-map').dataset.regions !==
      undefined,
    null,
    { timeout: 30_000 },
  );
  assert.equal(await map.getAttribute('data-regions'), '');
  // A vertical stroke half the canvas tall: a region with a digit written in it (the mouse
  // reaches only what is in the viewport).
  await seg.locator('canvas.pad').scrollIntoViewIfNeeded();
  const pad = await seg.locator('canvas.pad').boundingBox();
  await stroke(page, pad, [
    [140, 70],
    [140, 140],
    [140, 210],
  ]);
  await page
    .waitForFunction(
      () => document.querySelector('convplay-segment').shadowRoot.querySelector('canvas.drawn-map').dataset.regions,
      null,
      { timeout: 30_000 },
    )
    .catch(async (e) => {
      const said = await seg.evaluate((el) => el.shadowRoot.querySelector('[role="alert"]')?.textContent ?? 'nothing');
      throw new Error(`the drawing's class map shows no region (the component says: ${said}; page errors: ${errors})`, {
        cause: e,
      });
    });
  const regions = (await map.getAttribute('data-regions')).split(',');
  assert.ok(regions.length >= 1 && regions.every((d) => /^[0-9]$/.test(d)), `regions ${regions}`);
  assert.ok((await coloured(seg, 'canvas.drawn-map')) > 500);

  // Training here, on a tiny budget: one epoch of 64 scenes, then the held-out IoU again.
  await seg.evaluate((el) => {
    el.scenes = 64;
    el.epochs = 1;
  });
  await seg.locator('#segment-train').click();
  await seg.locator('.status', { hasText: 'trained 1 epochs' }).waitFor({ timeout: 180_000 });
  await seg.locator('.status', { hasText: 'using trained here' }).waitFor({ timeout: 60_000 });
  const after = Number(await iou.getAttribute('data-iou'));
  assert.ok(after >= 0 && after <= 1, `mean IoU after training here ${after}`);
  assert.equal(await seg.locator('[role="alert"]').count(), 0);
  assert.deepEqual(errors, []);
});
