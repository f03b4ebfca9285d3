// Runs the built-in experiments of <convplay-compare> in headless Chromium, each at the budget its link
// gives (default: the experiment's own), and prints a Markdown table per experiment (docs/benchmarks.md).
//
//   npm run build && node scripts/bench-compare.mjs [--threads N] [--backend cpu|auto|webgpu] [experiment …]
//
// Each experiment is a fresh page opened from its link (?view=compare&compare=ID), run with its button.

import { serveDist, launchBrowser, openPage, waitForShell } from '../tests/harness.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  return value;
};
const threads = option('threads', '1');
const backend = option('backend', 'cpu');
const ids = args.length ? args : ['cnn-vs-dense', 'pool-vs-strided', 'lrn', 'batch-norm', 'precision'];

const pct = (v) => (v === null ? '–' : `${(100 * v).toFixed(2)}%`);
const int = (v) => (v === null ? '–' : Math.round(v).toLocaleString('en'));
const secs = (v) => (v === null ? '–' : `${v.toFixed(1)} s`);

const server = await serveDist();
const browser = await launchBrowser();
try {
  for (const id of ids) {
    const url = `${server.url}?backend=${backend}&threads=${threads}&view=compare&compare=${encodeURIComponent(id)}`;
    const { page, errors } = await openPage(browser.context, url);
    if ((await waitForShell(page)) !== 'ready') throw new Error(`${id}: the page did not start: ${errors.join('; ')}`);
    await page.locator('convplay-compare button[data-run]').click();
    await page.waitForFunction(
      () => ['done', 'error'].includes(document.querySelector('convplay-compare').phase),
      null,
      {
        timeout: 1_800_000,
      },
    );
    const r = await page.evaluate(() => {
      const c = document.querySelector('convplay-compare');
      return { error: c.error, budget: c.state.budget, rows: c.rows };
    });
    if (r.error) throw new Error(`${id}: ${r.error}`);
    const b = r.budget;
    console.log(
      `\n${id}: ${int(b.images)} images × ${b.epochs} epoch(s), batch ${b.batch}, seed ${b.seed}, Adam ${b.lr}, ${int(b.testImages)} test images; backend ${backend}, ${threads} thread(s)\n`,
    );
    console.log(
      '| model | test accuracy | parameters | multiply-adds / image | training time | evaluation | model size |',
    );
    console.log('|---|--:|--:|--:|--:|--:|--:|');
    for (const row of r.rows) {
      const name = row.storage ? `${row.label} · ${row.storage}` : row.label;
      console.log(
        `| ${name} | ${pct(row.accuracy)} | ${int(row.params)} | ${int(row.macs)} | ${secs(row.seconds)} | ${secs(row.evalSeconds)} | ${int(row.bytes)} bytes |`,
      );
    }
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
