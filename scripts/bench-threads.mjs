// The CPU backend on every core, for `npm run bench:browser` (scripts/bench-browser.mjs calls
// `benchThreads`): seed-001 training on MNIST through the API (`createEngine({ threads })`,
// `model.fit` on MNIST held in the worker) at 1, 2 and all threads in a cross-origin isolated
// page, and at all threads in a page without COOP/COEP (a course site that sends none), with the
// scaling ratios, beside TF.js cpu's rate from the same run; then seed-004 at batch 128 on 1 and
// all threads. Each row is the median of the fit's
// per-chunk rates after two warm-up reports.

import { launchBrowser, openPage } from '../tests/harness.mjs';

const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

/** seed-001 trained for `seconds` on `threads` workers in a page isolated or not: img/s. */
async function rate(context, url, { threads, isolated, seconds, batch, preset }) {
  const page = `${url}bench-threads-${isolated ? 'isolated' : 'plain'}.html`;
  const { page: p } = await openPage(context, 'about:blank');
  await p.route(page, (route) =>
    route.fulfill({
      contentType: 'text/html',
      headers: isolated ? ISOLATION : {},
      body: '<!doctype html><meta charset="utf-8"><title>bench</title><link rel="icon" href="favicon.svg">',
    }),
  );
  await p.goto(page);
  const r = await p.evaluate(
    async ({ threads, seconds, batch, preset }) => {
      const { createEngine } = await import('./convplay.js');
      const engine = await createEngine({ backend: 'cpu', threads });
      const data = await engine.mnist('train', { count: 20000 });
      const model = await engine.model({ preset }, { batch });
      const rates = [];
      const said = new Set();
      const run = model.fit(data, {
        epochs: 1,
        onProgress: (e) => {
          rates.push(e.imagesPerSec);
          said.add(e.threads);
        },
      });
      await new Promise((r) => setTimeout(r, seconds * 1000));
      run.stop();
      await run;
      engine.dispose();
      return { rates, said: [...said], isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency };
    },
    { threads, seconds, batch, preset },
  );
  await p.close();
  const steady = r.rates.length > 4 ? median(r.rates.slice(2)) : (r.rates.at(-1) ?? NaN);
  return { ...r, rate: steady };
}

/** Prints the rows; `tfjsCpu` is bench-browser's TF.js cpu result ({ rate } or { error }). A
 * browser of its own, where no playground page has registered its service worker (which would
 * answer the routed test pages from the server, isolated, instead). */
export async function benchThreads({ url, seconds, batch, tfjsCpu, preset = 'seed-001' }) {
  const browser = await launchBrowser();
  try {
    return await measure(browser.context, { url, seconds, batch, tfjsCpu, preset });
  } finally {
    await browser.close();
  }
}

async function measure(context, { url, seconds, batch, tfjsCpu, preset }) {
  const probe = await openPage(context, 'about:blank');
  const cores = await probe.page.evaluate(() => navigator.hardwareConcurrency);
  await probe.page.close();
  const all = Math.max(1, Math.min(8, cores));
  const runs = [
    ['isolated, 1 thread', { threads: 1, isolated: true }],
    ['isolated, 2 threads', { threads: 2, isolated: true }],
    [`isolated, all ${all} threads`, { threads: all, isolated: true }],
    [`not isolated, all ${all} threads`, { threads: all, isolated: false }],
  ];
  const rows = [];
  for (const [name, o] of runs) rows.push([name, await rate(context, url, { ...o, seconds, batch, preset })]);
  console.log(
    `\nThe CPU backend on every core: ${preset}, batch ${batch}, MNIST, ${seconds} s per row, ${cores} cores reported\n`,
  );
  for (const [name, r] of rows) {
    const note = `threads used ${r.said.join('/') || '?'}; crossOriginIsolated ${r.isolated}`;
    console.log(
      `ConvPlay CPU, ${name.padEnd(26)} ${r.rate.toFixed(1).padStart(8)} img/s  (${r.rates.length} reports; ${note})`,
    );
  }
  const one = rows[0][1].rate;
  const x = (r) => `${(r / one).toFixed(2)}×`;
  console.log(
    `scaling: 2 threads / 1 = ${x(rows[1][1].rate)}; all / 1 = ${x(rows[2][1].rate)}; not isolated all / 1 = ${x(rows[3][1].rate)}`,
  );
  // The issue's second network: seed-004 (batch norm, normalised per shard) at batch 128.
  const big = [];
  for (const threads of [1, all])
    big.push([threads, await rate(context, url, { threads, isolated: true, seconds, batch: 128, preset: 'seed-004' })]);
  for (const [threads, r] of big)
    console.log(
      `ConvPlay CPU, seed-004 batch 128, isolated, ${threads} thread${threads > 1 ? 's' : ''}: ${r.rate.toFixed(1)} img/s (${r.rates.length} reports; threads used ${r.said.join('/')})`,
    );
  console.log(`seed-004 scaling: all / 1 = ${(big[1][1].rate / big[0][1].rate).toFixed(2)}×`);
  console.log(
    `TF.js 4.22 cpu, same run: ${tfjsCpu?.rate ? `${tfjsCpu.rate.toFixed(1)} img/s; ConvPlay all threads / TF.js cpu = ${(rows[2][1].rate / tfjsCpu.rate).toFixed(1)}×` : (tfjsCpu?.error ?? 'not measured')}`,
  );
  return [...rows, ...big.map(([t, r]) => [`seed-004, ${t} threads`, r])];
}
