// The playground shell: start the engine, say which backend runs it (and why
// when it is the CPU), prove a WGSL kernel end to end, and load MNIST.

import { type BackendChoice, type EngineInfo } from './engine';
import { sharedEngine, type ConvPlay } from './api/index';
import { readUrl, writeUrl, iframeSnippet, VIEWS } from './url-state';
import { loadMnist, type MnistSplit } from './mnist';
import { registerServiceWorker } from './sw-update';
import type { SavedModel } from './storage';
import './components/convplay-model-lab';
import './components/convplay-train';
import './components/convplay-profile';
import './components/convplay-draw';
import './components/convplay-inside';
import './components/convplay-photo';
import './components/convplay-transfer';
import './components/compare/convplay-compare';
import { readCompare } from './components/compare/state';
import './components/convplay-fcn';
import './components/convplay-zoo';
import './components/convplay-segment';
import './components/convplay-best';
import type { ConvplayInside } from './components/convplay-inside';
import type { ConvplayDraw } from './components/convplay-draw';
import type { ConvplayFcn } from './components/convplay-fcn';
import type { ConvplayTrain } from './components/convplay-train';
import type { ConvplayModelLab } from './components/convplay-model-lab';
import type { ConvplayCompare } from './components/compare/convplay-compare';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page is missing #${id}`);
  return el as T;
};

let hadError = false;

/** Shows a failure in the page's error banner; the shell ends in state "error". */
function showError(where: string, e: unknown): void {
  const msg = e instanceof Error ? e.message : String(e);
  const banner = $('error-banner');
  banner.hidden = false;
  banner.textContent = `${where}: ${msg}`;
  hadError = true;
}

function fmtBytes(n: number): string {
  return n >= 1 << 30
    ? `${(n / (1 << 30)).toFixed(1)} GiB`
    : n >= 1 << 20
      ? `${(n / (1 << 20)).toFixed(0)} MiB`
      : `${(n / 1024).toFixed(0)} KiB`;
}

// "auto" chose a backend for a training run by measuring both: the badge says which and why.
globalThis.addEventListener('convplay-backend-choice', (e) => {
  const d = (e as CustomEvent<{ backend: 'gpu' | 'cpu'; note: string }>).detail;
  const badge = $('backend-badge');
  badge.dataset.kind = d.backend;
  badge.textContent = d.note;
});

function renderEngine(info: EngineInfo, threads: number): void {
  const badge = $('backend-badge');
  badge.dataset.kind = info.kind;
  badge.dataset.threads = String(threads);
  badge.textContent =
    info.kind === 'gpu' ? `WebGPU · ${info.adapter}` : threads > 1 ? `CPU · ${threads} threads` : 'CPU backend';
  const rows: [string, string][] = [
    ['backend', info.kind === 'gpu' ? `GPU (${info.api})` : 'CPU (Rust, compiled to WebAssembly)'],
    ['adapter', info.adapter],
    ['device type', info.deviceType],
    ['CPU threads', `${threads} (training splits each batch across them; docs/design.md)`],
  ];
  if (info.driver) rows.push(['driver', info.driver]);
  if (info.limits) {
    rows.push(['max buffer', fmtBytes(info.limits.maxBufferSize)]);
    rows.push(['max storage binding', fmtBytes(info.limits.maxStorageBufferBindingSize)]);
    rows.push(['workgroup memory', fmtBytes(info.limits.maxComputeWorkgroupStorageSize)]);
    rows.push(['invocations / workgroup', String(info.limits.maxComputeInvocationsPerWorkgroup)]);
  }
  const dl = $('engine-details');
  dl.replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
  if (info.fallbackReason) {
    const banner = $('fallback-banner');
    banner.hidden = false;
    banner.textContent = `WebGPU is unavailable, so ConvPlay runs on its CPU backend (slower, same results). Reason: ${info.fallbackReason}`;
  }
}

async function runSmoke(engine: ConvPlay): Promise<void> {
  const n = 65_537; // not a multiple of the workgroup size, so the bounds check is exercised
  const a = 2.5;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = (i % 1000) * 0.001;
    y[i] = 1 - (i % 7);
  }
  const t0 = performance.now();
  const out = await engine.saxpy(a, x, y);
  const ms = performance.now() - t0;
  let maxErr = 0;
  for (let i = 0; i < n; i++) {
    const want = Math.fround(a * x[i] + y[i]);
    maxErr = Math.max(maxErr, Math.abs(out[i] - want) / Math.max(1, Math.abs(want)));
  }
  const ok = out.length === n && maxErr <= 2.5e-7;
  const status = $('smoke-status');
  status.dataset.ok = String(ok);
  status.dataset.maxErr = String(maxErr);
  status.textContent = `${ok ? 'OK' : 'MISMATCH'}: ${n.toLocaleString('en')} values on ${engine.info.kind === 'gpu' ? 'WebGPU' : 'the CPU'} in ${ms.toFixed(1)} ms, largest relative difference from JavaScript ${maxErr.toExponential(1)}`;
  if (!ok) throw new Error('the smoke kernel disagrees with JavaScript');
}

function renderMnist(test: MnistSplit): void {
  const { images, labels } = test;
  const status = $('mnist-status');
  status.dataset.count = String(images.count);
  status.dataset.firstLabel = String(labels[0]);
  status.textContent = `${images.count.toLocaleString('en')} digits of ${images.rows}×${images.cols}; the first twenty:`;
  const canvas = $<HTMLCanvasElement>('mnist-strip');
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser gives no 2D canvas context');
  const shown = Math.min(20, images.count);
  const img = ctx.createImageData(images.cols * shown, images.rows);
  for (let k = 0; k < shown; k++) {
    const px = images.image(k);
    for (let r = 0; r < images.rows; r++) {
      for (let c = 0; c < images.cols; c++) {
        const o = 4 * (r * images.cols * shown + k * images.cols + c);
        const v = px[r * images.cols + c];
        img.data[o] = img.data[o + 1] = img.data[o + 2] = v;
        img.data[o + 3] = 255;
      }
    }
  }
  canvas.width = images.cols * shown;
  canvas.height = images.rows;
  ctx.putImageData(img, 0, 0);
  $('mnist-labels').textContent = Array.from(labels.subarray(0, shown)).join(' ');
}

/** The share button: the current exercise as a link and an iframe snippet. */
function setUpSharing(
  trainer: ConvplayTrain | null,
  lab: ConvplayModelLab | null,
  backend: BackendChoice,
  view: string | null,
  threads: number | undefined,
): void {
  const dialog = document.getElementById('share-dialog') as HTMLDialogElement | null;
  const button = document.getElementById('share-button');
  if (!dialog || !button || !trainer) return;
  const viewSelect = $<HTMLSelectElement>('share-view');
  viewSelect.value = view ?? '';
  // "The current model" is the one last edited: in the model lab or in the trainer. A link to the
  // model lab always carries the lab's spec and batch.
  let labLast = false;
  lab?.addEventListener('input', () => (labLast = true));
  trainer.addEventListener('input', () => (labLast = false));
  lab?.addEventListener('train-spec', () => (labLast = false));
  const settings = () => {
    const shown = viewSelect.value || null;
    if (!lab || !(labLast || shown === 'model')) return trainer.settings;
    return { ...trainer.settings, preset: null, spec: lab.specText, batch: Math.max(1, Math.floor(lab.batch) || 1) };
  };
  const compare = document.getElementById('compare') as ConvplayCompare | null;
  const refresh = () => {
    const url =
      viewSelect.value === 'compare' && compare
        ? compare.link(location.href, threads)
        : writeUrl(location.href, backend, viewSelect.value || null, settings(), threads);
    $<HTMLTextAreaElement>('share-url').value = url;
    $<HTMLTextAreaElement>('share-iframe').value = iframeSnippet(url);
    $('share-copied').textContent = '';
  };
  viewSelect.addEventListener('change', refresh);
  button.addEventListener('click', () => {
    refresh();
    dialog.showModal();
  });
  const copy = (id: string) => {
    const text = $<HTMLTextAreaElement>(id).value;
    // There is no navigator.clipboard outside a secure context: then the text is only selected.
    const clipboard = navigator.clipboard as Clipboard | undefined;
    if (!clipboard) {
      $<HTMLTextAreaElement>(id).select();
      return;
    }
    clipboard.writeText(text).then(
      () => ($('share-copied').textContent = 'copied'),
      () => {
        $<HTMLTextAreaElement>(id).select();
        $('share-copied').textContent = 'selected: press Ctrl+C (⌘C) to copy';
      },
    );
  };
  $('share-copy-url').addEventListener('click', () => copy('share-url'));
  $('share-copy-iframe').addEventListener('click', () => copy('share-iframe'));
}

async function main(): Promise<void> {
  const state = readUrl(new URLSearchParams(location.search));
  const compared = readCompare(new URLSearchParams(location.search), state.problems);
  if (state.problems.length) showError('URL', new Error(state.problems.join('; ')));
  const choice = state.backend;
  // The page's one engine, on the backend the URL asks for; every component shares it.
  const starting = sharedEngine(choice, state.threads);
  if (state.view) {
    document.body.dataset.view = state.view;
    for (const id of VIEWS[state.view]) document.getElementById(id)?.classList.add('in-view');
  }
  const lab = document.getElementById('model-lab') as ConvplayModelLab | null;
  if (lab && state.train.batch) lab.batch = state.train.batch;
  if (lab && state.train.spec) void lab.setSpec(state.train.spec);
  else if (lab && state.train.preset) lab.preset = state.train.preset;
  const trainer = document.getElementById('trainer') as ConvplayTrain | null;
  if (trainer && Object.keys(state.train).length) trainer.configure(state.train).catch((e) => showError('URL', e));
  const compare = document.getElementById('compare') as ConvplayCompare | null;
  if (compare) {
    compare.backend = choice;
    compare.threads = state.threads;
    if (lab) compare.labSpec = () => lab.specText;
    if (compared) compare.setState(compared);
  }
  setUpSharing(trainer, lab, choice, state.view, state.threads);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('.switch a')) {
    if (a.dataset.backend === choice) a.setAttribute('aria-current', 'true');
  }
  let engine: ConvPlay;
  try {
    engine = await starting;
  } catch (e) {
    $('backend-badge').textContent = 'no engine';
    showError('Starting the engine failed', e);
    document.documentElement.dataset.state = 'error';
    return;
  }
  renderEngine(engine.info, engine.threads);
  if (lab) lab.engine = engine;
  if (trainer) trainer.backend = choice;
  const photo = document.getElementById('photo') as (HTMLElement & { backend: string }) | null;
  if (photo) photo.backend = choice;
  const teach = document.getElementById('teach') as (HTMLElement & { backend: string }) | null;
  if (teach) teach.backend = choice;
  // The digit pad switches to the model trained here as soon as there is one.
  const draw = document.getElementById('draw') as ConvplayDraw | null;
  trainer?.addEventListener('model-kept', (e: Event) => {
    const saved = (e as CustomEvent<SavedModel>).detail;
    if (draw) draw.setWeights(saved.weights, `trained here: ${saved.name}`).catch((err) => showError('Drawing', err));
    const fcn = document.getElementById('fcn') as ConvplayFcn | null;
    fcn?.setWeights(saved.weights, `trained here: ${saved.name}`).catch((err) => showError('Many digits', err));
  });
  // The zoo's actions: open an architecture in the model lab, or train it on the chosen data set.
  const zoo = document.getElementById('zoo');
  zoo?.addEventListener('zoo-open', (e: Event) => {
    lab?.setSpec((e as CustomEvent<{ spec: string }>).detail.spec).catch((err) => showError('Model lab', err));
    document.getElementById('model-card')?.scrollIntoView({ behavior: 'smooth' });
  });
  zoo?.addEventListener('zoo-train', (e: Event) => {
    const { preset, dataset } = (e as CustomEvent<{ preset: string; dataset: 'mnist' | 'fashion-mnist' }>).detail;
    trainer?.configure({ preset, dataset }).then(
      () => trainer.start(),
      (err) => showError('Training', err),
    );
    document.getElementById('train-card')?.scrollIntoView({ behavior: 'smooth' });
  });
  lab?.addEventListener('train-spec', (e: Event) => {
    if (!trainer) return;
    trainer.useSpec((e as CustomEvent<string>).detail).catch((err) => showError('Training', err));
    document.getElementById('train-card')?.scrollIntoView({ behavior: 'smooth' });
  });
  const inside = document.getElementById('inside') as ConvplayInside | null;
  const training = () => trainer !== null && ['loading', 'training', 'paused'].includes(trainer.phase);
  /** Shows a digit inside the digit pad's model (not while a model trains: that one is shown then). */
  const look = async (digit: Uint8Array | null, what: string) => {
    if (!inside || !draw || !digit || training()) return;
    const data = await draw.inspect(digit);
    if (!data || training()) return;
    inside.input = digit;
    inside.data = data;
    inside.source = `${what}, read by ${draw.modelName}`;
  };
  draw?.addEventListener('prediction', () => {
    if (!draw?.digit) return;
    trainer?.setLookInput(draw.digit);
    look(draw.digit, 'your drawing').catch((e) => showError('Inside the network', e));
  });
  trainer?.addEventListener('inside', (e: Event) => {
    const m = (e as CustomEvent<{ data: ConvplayInside['data']; input: Uint8Array; step: number }>).detail;
    if (!inside) return;
    inside.input = m.input;
    inside.data = m.data;
    inside.source = `live from the model being trained (${trainer.modelName}), after step ${m.step.toLocaleString('en')}`;
  });
  const jobs = [
    runSmoke(engine).catch((e) => showError('Kernel check', e)),
    loadMnist('t10k')
      .then((test) => {
        renderMnist(test);
        const button = document.getElementById('inside-test-digit') as HTMLButtonElement | null;
        button?.addEventListener('click', () => {
          const k = Math.floor(Math.random() * test.images.count);
          look(test.images.image(k), `test digit ${k} (a ${test.labels[k]})`).catch((err) =>
            showError('Inside the network', err),
          );
        });
      })
      .catch((e) => showError('Loading MNIST', e)),
  ];
  await Promise.all(jobs);
  // Set last, so that tests waiting for it see everything above finished.
  document.documentElement.dataset.state = hadError ? 'error' : 'ready';
}

/** Offline after the first visit, and updates offered in a banner (www/src/sw-update.ts; not in
 * development). Registered once the shell has loaded, so that the worker's precache finds the
 * files in the HTTP cache instead of downloading them a second time. */
void main().finally(() => {
  if (!import.meta.env.DEV) registerServiceWorker($('update-banner'));
});
