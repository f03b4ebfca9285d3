// The API's engine worker: one engine (one GPU device, or the CPU backend), a CPU engine beside
// it on request, the models built on them and the data sets held for them, driven by calls
// from api/index.ts. Every request kind has one handler, typed by protocol.ts's `Requests`.
// Training (fit.ts) runs in chunks of about 200 ms so that control messages, predictions and
// other calls get in between.

import { ConvPlayEngine, summarize, presetNames, presetSpec } from '../engine';
import { Trainer, fullyConvolutional, preprocessDigit } from '../../pkg/convplay.js';
import { Control, evaluateOn, fit } from './fit';
import { DataStore } from './data';
import { describe, perInstance, type HeldModel } from './held';
import type { Args, CallOf, FitEvent, FromApiWorker, Method, Result, ToApiWorker } from './protocol';
import type { BackendChoice } from '../engine';
import type { InsideData } from '../types';
import { decideBackend, type BackendDecision, type Speeds } from './profile';

const post = (m: FromApiWorker) => (self as unknown as Worker).postMessage(m);

let engine: ConvPlayEngine | null = null;
/** Workers a CPU model's fit may split its batches across (createEngine's `threads`). */
let threads = 1;
/** The CPU engine beside a GPU one, for models that ask for the CPU. */
let cpuEngine: Promise<ConvPlayEngine> | null = null;

const models = new Map<number, HeldModel>();
const data = new DataStore();
/** Calls in flight, with the control state of those that are fits. */
const calls = new Map<number, Control>();
let fitsRunning = 0;

function needEngine(): ConvPlayEngine {
  if (!engine) throw new Error('the engine is not started: create it with createEngine() first');
  return engine;
}

/** The worker's CPU engine (the main one when that is the CPU). */
async function cpu(): Promise<ConvPlayEngine> {
  const main = needEngine();
  if (main.info.kind === 'cpu') return main;
  cpuEngine ??= ConvPlayEngine.create('cpu');
  return cpuEngine;
}

/** Runs `f` on a model, keeping it alive until `f` ends even if it is disposed meanwhile. */
async function using<T>(id: number, f: (m: HeldModel) => Promise<T> | T): Promise<T> {
  const m = models.get(id);
  if (!m) throw new Error('this model was disposed; create it again');
  m.busy++;
  try {
    return await f(m);
  } finally {
    m.busy--;
    if (m.disposed && m.busy === 0) m.trainer.free();
  }
}

/** Runs a model over `x` (n whole inputs) a batch at a time. */
async function batched<T>(
  m: HeldModel,
  what: string,
  x: Float32Array,
  run: (chunk: Float32Array) => Promise<T>,
): Promise<T[]> {
  const per = perInstance(m.info);
  if (x.length === 0 || x.length % per !== 0) {
    throw new Error(
      `${what}: ${x.length} values is not a whole number of inputs of ${per} values ([${m.info.input.join(', ')}]); pass one or more whole inputs`,
    );
  }
  const n = x.length / per;
  const out: T[] = [];
  for (let i = 0; i < n; i += m.info.batch) {
    const k = Math.min(m.info.batch, n - i);
    out.push(await run(x.subarray(i * per, (i + k) * per)));
  }
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** "auto"'s choice per spec and batch, measured once per worker. */
const decisions = new Map<string, Promise<BackendDecision>>();

/** Times a few training steps of `spec` at `batch` on the GPU and on the CPU (or takes a
 * test's `fake` speeds) and picks the faster. */
function chooseBackend(spec: string, batch: number, fake: Speeds | null): Promise<BackendDecision> {
  const main = needEngine();
  if (main.info.kind !== 'gpu') return Promise.resolve({ backend: 'cpu', gpu: 0, cpu: 0, note: 'CPU backend' });
  const key = `${batch} ${spec}`;
  let d = decisions.get(key);
  if (!d) {
    d = (async () => {
      if (fake) return decideBackend(fake);
      const cpuSpeed = await (await cpu()).measureTraining(spec, batch, 2);
      const gpuSpeed = await main.measureTraining(spec, batch, 1);
      return decideBackend({ gpu: gpuSpeed, cpu: cpuSpeed });
    })();
    d.catch(() => decisions.delete(key));
    decisions.set(key, d);
  }
  return d;
}

type Handlers = { [K in Method]: (args: Args<K>, id: number) => Promise<Result<K>> | Result<K> };

const handlers: Handlers = {
  init: async ({ backend, threads: t }: { backend: BackendChoice; threads: number }) => {
    threads = t;
    engine ??= await ConvPlayEngine.create(backend);
    return engine.info;
  },
  presets: () => presetNames(),
  usage: () => ({ models: models.size, sessions: fitsRunning, datasets: data.size, cpuBeside: cpuEngine !== null }),
  saxpy: ({ a, x, y }) => needEngine().saxpy(a, x, y),
  measure: ({ spec, batch }) => needEngine().measureAllocation(spec, batch),
  profile: ({ spec, batch, steps }) => needEngine().profile(spec, batch, steps),
  gemm: ({ kernel }) => needEngine().gemm(kernel ?? undefined),
  chooseBackend: ({ spec, batch, fake }) => chooseBackend(spec, batch, fake),
  presetSpec: ({ name }) => presetSpec(name),
  summary: ({ spec, batch }) => summarize(spec, batch),
  createModel: async ({ id, source, batch, seed, cpu: onCpu, activations }) => {
    const e = onCpu ? await cpu() : needEngine();
    const spec = 'preset' in source ? await presetSpec(source.preset) : 'spec' in source ? source.spec : null;
    const trainer = e.withActivations(activations, () =>
      'weights' in source
        ? Trainer.fromWeights(e.raw, source.weights, batch)
        : new Trainer(e.raw, spec ?? '', batch, seed),
    );
    models.get(id)?.trainer.free();
    const info = describe(trainer, id, batch, e);
    models.set(id, { trainer, info, engine: e, busy: 0, disposed: false, fitting: null });
    return info;
  },
  mnist: (args) => data.mnist(args.id, args.url, args.split, args.count, args.title),
  scenes: (args) => data.scenes(args.id, args.url, args.split, args.count, args.seed, args.options),
  holdData: ({ id, images, labels, shape, name }) => data.hold(id, { images, labels }, shape, name),
  example: ({ data: id, index }) => data.example(id, index),
  disposeData: ({ data: id }) => {
    data.dispose(id);
    return null;
  },
  fit: (args, id) => {
    const control = calls.get(id) ?? new Control();
    return using(args.model, async (m) => {
      if (m.fitting)
        throw new Error(`${m.info.name} is already training; wait for that fit to end, or stop it, before the next`);
      m.fitting = control;
      fitsRunning++;
      try {
        const test = args.options.test ? data.resolve(args.options.test) : null;
        const events = (event: FitEvent) => post({ type: 'event', id, event });
        return await fit(m, data.resolve(args.data), args.options, control, events, test, threads);
      } finally {
        m.fitting = null;
        fitsRunning--;
      }
    });
  },
  evaluate: ({ model, data: d, mistakes }) =>
    using(model, (m) => evaluateOn(m.trainer, m.info, data.resolve(d), mistakes, 'evaluate')),
  predict: ({ model, x }) =>
    using(model, async (m) => concat(await batched(m, 'predict', x, (c) => m.trainer.predict(c)))),
  features: ({ model, x, layers }) =>
    using(model, async (m) => {
      const parts = await batched(
        m,
        'features',
        x,
        async (c) => Array.from(await m.trainer.features(c, layers)) as Float32Array[],
      );
      return layers.map((_, j) => concat(parts.map((p) => p[j])));
    }),
  inspect: ({ model, x }) => using(model, async (m) => (await m.trainer.inspect(x)) as InsideData),
  save: ({ model, format }) => using(model, (m) => m.trainer.saveAs(format)),
  fullyConvolutional: ({ model, height, width }) =>
    using(model, async (m) => fullyConvolutional(await m.trainer.saveAs('f32'), height, width)),
  copyWeights: ({ model, from }) =>
    using(model, (to) => using(from, (source) => to.trainer.copyWeightsFrom(source.trainer))),
  configure: ({ model, labels, preprocessing }) =>
    using(model, (m) => {
      if (labels) m.trainer.setLabels(labels);
      if (preprocessing) m.trainer.setPreprocessing(preprocessing);
      m.info = describe(m.trainer, m.info.id, m.info.batch, m.engine);
      return m.info;
    }),
  disposeModel: ({ model }) => {
    const m = models.get(model);
    if (m) {
      models.delete(model);
      m.disposed = true;
      m.fitting?.abort('the model was disposed during its fit');
      if (m.busy === 0) m.trainer.free();
    }
    return null;
  },
  toDigit: ({ ink, width, height }) => preprocessDigit(ink, width, height),
};

/** One call, by its handler (the method and its arguments correlate through `CallOf<K>`). */
async function run<K extends Method>(call: CallOf<K>, id: number): Promise<Result<K>> {
  return handlers[call.method](call.args, id);
}

/** Answers call `id` with its error; a wasm trap (a panic aborts; out of memory) leaves the
 * instance unusable, so it ends this worker instead, uncaught, and the API restarts a new one
 * (api/restart.ts); the calls in flight then reject with the trap named. */
function failed(id: number, err: unknown): void {
  if (err instanceof WebAssembly.RuntimeError) {
    setTimeout(() => {
      throw err;
    });
    return;
  }
  post({
    type: 'error',
    id,
    message: err instanceof Error ? err.message : String(err),
    name: err instanceof Error ? err.name : undefined,
  });
}

self.onmessage = (e: MessageEvent<ToApiWorker>) => {
  const m = e.data;
  if (m.type === 'crash') {
    // Internal, for tests only: a trap, as a panic in wasm raises, through the same path.
    failed(0, new WebAssembly.RuntimeError('the test asked the engine to crash'));
    return;
  }
  if (m.type === 'control') {
    calls.get(m.id)?.apply(m.control);
    return;
  }
  calls.set(m.id, new Control());
  run(m, m.id)
    .then(
      (value) => post({ type: 'result', id: m.id, value }),
      (err: unknown) => failed(m.id, err),
    )
    .finally(() => calls.delete(m.id));
};
