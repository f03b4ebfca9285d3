// Teach it new classes, timed: two synthetic classes of `PER_CLASS` photos each (flat colours,
// stripes) go through the page's steps on the CPU backend in headless Chromium — features
// (ms per image), the head (seconds), fine-tuning from conv_head and from blocks.13 (seconds
// per epoch) — and the test accuracy of each. Run with `npm run bench:transfer`.

import { launchBrowser, serveDist, openPage, waitForShell, syntheticPhotos } from '../tests/harness.mjs';

const PER_CLASS = Number(process.env.PER_CLASS ?? 100);
const server = await serveDist();
const browser = await launchBrowser();
const { page, errors } = await openPage(browser.context, `${server.url}?backend=cpu&view=teach`);
if ((await waitForShell(page)) !== 'ready') throw new Error('the page did not start');
const t = page.locator('convplay-transfer');
const seconds = async (what, fn) => {
  const t0 = Date.now();
  await fn();
  const s = (Date.now() - t0) / 1000;
  console.log(`${what}: ${s.toFixed(1)} s`);
  return s;
};
const done = async (locator, timeout = 1_800_000) => {
  const problem = t.locator('[data-problem]');
  const which = await Promise.race([
    locator.waitFor({ timeout }).then(() => 'ok'),
    problem.waitFor({ timeout }).then(() => 'problem'),
  ]);
  if (which === 'problem') throw new Error(await problem.textContent());
};

await t
  .locator('input[aria-label="images for class 1"]')
  .setInputFiles(await syntheticPhotos(page, 'flat', PER_CLASS, 7));
await t
  .locator('input[aria-label="images for class 2"]')
  .setInputFiles(await syntheticPhotos(page, 'stripes', PER_CLASS, 11));
await t.locator('[data-class="1"] [data-count]', { hasText: `${PER_CLASS} images` }).waitFor({ timeout: 120_000 });
console.log(await t.locator('[data-split]').textContent());
await seconds('features (2 augmented copies per training image)', async () => {
  await t.locator('[data-extract]').click();
  await done(t.locator('[data-status]', { hasText: 'features ready' }));
});
let status = await t.locator('[data-status]').textContent();
console.log(status);
await seconds('head, 30 epochs', async () => {
  await t.locator('[data-train-head]').click();
  await done(t.locator('[data-head-result]'));
});
console.log(await t.locator('[data-head-result]').textContent());
for (const from of ['conv_head', 'blocks.13']) {
  const option = (await t.locator('select[aria-label="unfreeze from"] option').allTextContents()).find((o) =>
    o.startsWith(`${from} upward`),
  );
  await t.locator('select[aria-label="unfreeze from"]').selectOption({ label: option });
  await t.locator('input[aria-label="fine-tuning epochs"]').fill('1');
  await t.locator('input[aria-label="fine-tuning epochs"]').dispatchEvent('change');
  await seconds(`fine-tuning from ${option}, 1 epoch (and assembling the model)`, async () => {
    await t.locator('[data-fine-tune]').click();
    await done(t.locator('[data-taught]', { hasText: `fine-tuned from ${from}` }));
  });
  console.log(await t.locator('[data-fine-result]').textContent());
}
if (errors.length) console.log('page errors:', errors);
await browser.close();
await server.close();
