// Embedding: the plain HTML page of docs/embedding.md, served next to a copy of dist/ named
// convplay/ (as a course site would hold it), renders and runs its components; and every
// JavaScript example in docs/api.md runs in such a page and prints what its `// →` comments say.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { preview } from 'vite';
import { launchBrowser, openPage, stroke, ellipse, trainerFinished } from './harness.mjs';

const env = { site: '', url: '', server: null, browser: null };

/** The fenced blocks of one language in a Markdown file. */
function blocks(file, lang) {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

before(async () => {
  env.site = fs.mkdtempSync(path.join(os.tmpdir(), 'convplay-site-'));
  fs.cpSync('dist', path.join(env.site, 'convplay'), { recursive: true });
  const [page] = blocks('docs/embedding.md', 'html').filter((b) => b.startsWith('<!doctype html>'));
  fs.writeFileSync(path.join(env.site, 'course.html'), page);
  blocks('docs/api.md', 'js').forEach((code, i) => {
    const imports = code.split('\n').filter((l) => l.startsWith('import '));
    const body = code
      .split('\n')
      .filter((l) => !l.startsWith('import '))
      .join('\n');
    fs.writeFileSync(
      path.join(env.site, `api-${i}.html`),
      `<!doctype html><meta charset="utf-8"><title>api example ${i}</title><link rel="icon" href="convplay/favicon.svg">
<script type="module">
${imports.join('\n')}
window.logs = [];
const log = console.log.bind(console);
console.log = (...args) => { window.logs.push(args.map(String).join(' ')); log(...args); };
try {
${body}
  window.outcome = 'ok';
} catch (e) {
  window.outcome = 'threw: ' + (e && e.message);
}
</script>`,
    );
  });
  env.server = await preview({
    configFile: false,
    logLevel: 'silent',
    build: { outDir: env.site },
    preview: { host: '127.0.0.1', port: 0, open: false },
  });
  env.url = env.server.resolvedUrls.local[0];
  env.browser = await launchBrowser();
});

after(async () => {
  await env.browser?.close();
  await env.server?.close();
  fs.rmSync(env.site, { recursive: true, force: true });
});

test('the course page of docs/embedding.md: draw, summary and train work from a copied dist/', async () => {
  // Count the workers the page starts: the components share one engine worker.
  const { page, errors } = await openPage(env.browser.context, `${env.url}course.html`, {
    initScript: () => {
      const W = window.Worker;
      window.workersStarted = 0;
      window.Worker = class extends W {
        constructor(...args) {
          super(...args);
          window.workersStarted++;
        }
      };
    },
  });
  const missing = [];
  page.on('response', (r) => r.status() >= 400 && missing.push(r.url()));
  const draw = page.locator('convplay-draw');
  await draw.locator('.note', { hasText: 'model: pretrained mnist-seed-001' }).waitFor({ timeout: 60_000 });
  const box = await draw.locator('canvas.pad').boundingBox();
  assert.ok(Math.abs(box.width - 200) <= 2, `the size attribute: ${box.width} px`);
  await stroke(page, box, ellipse);
  await page.waitForFunction(() => document.querySelector('convplay-draw').prediction !== null);
  assert.equal(await page.evaluate(() => document.querySelector('convplay-draw').prediction), 0);
  // The inline spec's summary: the course network's 903,400 parameters.
  const summary = page.locator('convplay-summary');
  await summary.locator('text=903,400').first().waitFor();
  // The trainer takes seed-004's recipe, trains a few images on the CPU, from the copied folder's MNIST.
  const t = page.locator('convplay-train');
  await t.locator('[data-recipe]', { hasText: 'seed-004' }).waitFor();
  assert.equal(await t.locator('input[aria-label="batch"]').inputValue(), '128');
  // Compact: the settings beyond model, epochs, batch and learning rate are folded away.
  assert.equal(await t.locator('select[aria-label="optimizer"]').isVisible(), false);
  await t.locator('details.more summary', { hasText: 'More settings' }).click();
  assert.equal(await t.locator('select[aria-label="optimizer"]').isVisible(), true);
  await t.locator('input[aria-label="epochs"]').fill('1');
  await t.locator('input[aria-label="training images"]').fill('256');
  await t.locator('input[aria-label="test images"]').fill('64');
  await t.locator('input[aria-label="batch"]').fill('32');
  await t.getByRole('button', { name: 'Train' }).click();
  await trainerFinished(page, 180_000);
  assert.match(await t.locator('.status').textContent(), /^done in/);
  // The accent colour set by the page reaches inside the component.
  const accent = await t.evaluate((el) => getComputedStyle(el.shadowRoot.querySelector('button')).color);
  assert.equal(accent, 'rgb(138, 63, 252)');
  // The themes: convplay-auto is light here; convplay-dark turns the cards dark.
  const card = () => t.evaluate((el) => getComputedStyle(el.shadowRoot.querySelector('button')).backgroundColor);
  assert.equal(await card(), 'rgb(255, 255, 255)');
  await page.evaluate(() => (document.body.className = 'convplay-dark'));
  assert.equal(await card(), 'rgb(27, 31, 41)');
  assert.equal(await page.evaluate(() => window.workersStarted), 1, 'draw and train share one engine worker');
  // Removing the components cleans up without errors, and frees what they held in the worker.
  const usage = () =>
    page.evaluate(async () => (await (await import('./convplay/convplay.js')).sharedEngine()).usage());
  assert.equal((await usage()).models, 1, "the pad's model");
  await page.evaluate(() =>
    document.querySelectorAll('convplay-draw, convplay-summary, convplay-train').forEach((e) => e.remove()),
  );
  await page.waitForFunction(async () =>
    (await (await import('./convplay/convplay.js')).sharedEngine())
      .usage()
      .then((u) => u.models === 0 && u.sessions === 0),
  );
  assert.deepEqual(missing, []);
  assert.deepEqual(errors, []);
  await page.close();
});

for (const [i, code] of blocks('docs/api.md', 'js').entries()) {
  const title =
    code
      .split('\n')
      .find((l) => l.startsWith('//'))
      ?.slice(3) ?? `example ${i}`;
  test(`docs/api.md example ${i + 1} runs and prints what it says`, async () => {
    const expected = code
      .split('\n')
      .filter((l) => /console\.log\(.*\/\/ → /.test(l))
      .map((l) => l.slice(l.indexOf('// → ') + 5));
    const { page, errors } = await openPage(env.browser.context, `${env.url}api-${i}.html`);
    await page.waitForFunction(() => window.outcome !== undefined, null, { timeout: 180_000 });
    assert.equal(await page.evaluate(() => window.outcome), 'ok', title);
    const logs = await page.evaluate(() => window.logs);
    assert.deepEqual(logs, expected);
    assert.deepEqual(errors, []);
    await page.close();
  });
}
