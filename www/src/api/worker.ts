// The API's engine worker: one engine (one GPU device, or the CPU backend) and the models
// built on it, driven by calls from api/index.ts. Training runs in chunks of about 200 ms
// so that aborts, predictions and other calls get in between.

import { ConvPlayEngine, summarize, presetNames, presetSpec } from '../engine';
import { Trainer, preprocessDigit } from '../../pkg/convplay.js';
import { EpochChunks } from '../chunks';
import { TrainSession } from '../train-session';
import type { Call, FitOptionsWire, FromApiWorker, ModelInfo, ToApiWorker } from './protocol';
import type { BackendChoice } from '../engine';

const post = (m: FromApiWorker) => (self as unknown as Worker).postMessage(m);

let engine: ConvPlayEngine | null = null;
/** The CPU engine beside a GPU one, for models and sessions that ask for the CPU. */
let cpuEngine: Promise<ConvPlayEngine> | null = null;
const sessions = new Map<number, TrainSession>();
const models = new Map<number, { trainer: Trainer; info: ModelInfo }>();
let nextModel = 1;
const aborted = new Set<number>();

class AbortError extends Error {
  name = 'AbortError';
}

function needEngine(): ConvPlayEngine {
  if (!engine) throw new Error('the engine is not started: create it with createEngine() first');
  return engine;
}

/** The engine for a backend choice: "cpu" is always the CPU (beside the GPU when there is
 * one); "webgpu" needs the worker's engine to be on WebGPU; "auto" is the worker's engine. */
async function engineFor(backend: BackendChoice): Promise<ConvPlayEngine> {
  const main = needEngine();
  if (backend === 'cpu') {
    if (main.info.kind === 'cpu') return main;
    cpuEngine ??= ConvPlayEngine.create('cpu');
    return cpuEngine;
  }
  if (backend === 'webgpu' && main.info.kind !== 'gpu') {
    throw new Error(
      `WebGPU was asked for, but this page's engine runs on the CPU (${main.info.fallbackReason ?? 'no WebGPU adapter'}); use backend "auto" or "cpu"`,
    );
  }
  return main;
}

function needModel(id: number): { trainer: Trainer; info: ModelInfo } {
  const m = models.get(id);
  if (!m) throw new Error('this model was disposed; create it again');
  return m;
}

function describe(trainer: Trainer, id: number, batch: number): ModelInfo {
  const text = trainer.specJson;
  const spec = JSON.parse(text) as { name?: string; input?: number[]; input_shape?: number[] };
  return {
    id,
    name: spec.name ?? 'model',
    params: trainer.paramCount,
    classes: trainer.classes,
    input: spec.input ?? spec.input_shape ?? [],
    labels: trainer.labels(),
    layerNames: trainer.layerNames(),
    batch,
    spec: text,
    preprocessing: JSON.parse(trainer.preprocessingJson) as ModelInfo['preprocessing'],
  };
}

function perInstance(info: ModelInfo): number {
  return info.input.reduce((a, b) => a * b, 1);
}

function setData(
  trainer: Trainer,
  which: 'train' | 'eval',
  images: Uint8Array | Float32Array,
  labels: Uint8Array,
): void {
  if (images instanceof Float32Array) {
    if (which === 'train') trainer.setTrainValues(images, labels);
    else trainer.setEvalValues(images, labels);
  } else if (which === 'train') trainer.setTrainData(images, labels);
  else trainer.setEvalData(images, labels);
}

async function fit(
  id: number,
  model: number,
  images: Uint8Array | Float32Array,
  labels: Uint8Array,
  o: FitOptionsWire,
): Promise<unknown> {
  let m = needModel(model);
  const per = perInstance(m.info);
  if (labels.length === 0 || images.length !== labels.length * per) {
    throw new Error(
      `fit: ${images.length} values for ${labels.length} labels, but ${m.info.name} takes ${per} values per image; pass images and labels that belong together`,
    );
  }
  if (o.batch && o.batch !== m.info.batch) {
    // The model is rebuilt for the new batch size with the weights it has.
    const bytes = await m.trainer.save();
    const trainer = Trainer.fromWeights(needEngine().raw, bytes, o.batch);
    m.trainer.free();
    m = { trainer, info: { ...m.info, batch: o.batch } };
    models.set(model, m);
  }
  const { trainer, info } = m;
  trainer.setOptimizer(o.optimizer, undefined);
  trainer.setAugment(o.augment.shift, o.augment.rotateDeg, o.augment.scale);
  const nVal = Math.floor(labels.length * o.validationSplit);
  const nTrain = labels.length - nVal;
  if (nTrain < 1)
    throw new Error(
      `no training images left after a validation split of ${o.validationSplit}; pass more images or a smaller split`,
    );
  setData(trainer, 'train', images.subarray(0, nTrain * per), labels.subarray(0, nTrain));
  const perEpoch = Math.ceil(nTrain / info.batch);
  const total = perEpoch * o.epochs;
  trainer.setSchedule(o.schedule, o.lr, total, perEpoch);
  const history = [];
  let step = 0;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    trainer.startEpoch(o.seed + epoch);
    const chunks = new EpochChunks(trainer);
    while (chunks.done < perEpoch) {
      await new Promise((r) => setTimeout(r, 0));
      if (aborted.has(id))
        throw new AbortError(`fit aborted at step ${step} of ${total}; the model keeps the weights it had reached`);
      const lr = trainer.lr;
      const r = await chunks.next();
      step += r.steps;
      post({
        type: 'progress',
        id,
        progress: {
          epoch,
          step,
          totalSteps: total,
          loss: r.loss,
          accuracy: r.accuracy,
          imagesPerSec: r.imagesPerSec,
          lr,
        },
      });
    }
    let valAccuracy: number | null = null;
    if (nVal > 0) {
      setData(trainer, 'eval', images.subarray(nTrain * per), labels.subarray(nTrain));
      valAccuracy = await trainer.evaluate();
    }
    const row = { epoch, ...chunks.totals, valAccuracy, seconds: (performance.now() - t0) / 1000 };
    history.push(row);
    post({ type: 'epoch', id, epoch: row });
  }
  return { epochs: history };
}

async function predict(model: number, x: Float32Array): Promise<Float32Array> {
  const { trainer, info } = needModel(model);
  const per = perInstance(info);
  if (x.length === 0 || x.length % per !== 0) {
    throw new Error(
      `predict: ${x.length} values is not a whole number of inputs of ${per} values ([${info.input.join(', ')}]); pass one or more whole inputs`,
    );
  }
  const n = x.length / per;
  const out = new Float32Array(n * info.classes);
  for (let i = 0; i < n; i += info.batch) {
    const k = Math.min(info.batch, n - i);
    out.set(await trainer.predict(x.subarray(i * per, (i + k) * per)), i * info.classes);
  }
  return out;
}

async function features(model: number, x: Float32Array, layers: string[]): Promise<Float32Array[]> {
  const { trainer, info } = needModel(model);
  const per = perInstance(info);
  if (x.length === 0 || x.length % per !== 0) {
    throw new Error(
      `features: ${x.length} values is not a whole number of inputs of ${per} values ([${info.input.join(', ')}]); pass one or more whole inputs`,
    );
  }
  const n = x.length / per;
  const parts: Float32Array[][] = [];
  for (let i = 0; i < n; i += info.batch) {
    const k = Math.min(info.batch, n - i);
    parts.push(Array.from(await trainer.features(x.subarray(i * per, (i + k) * per), layers)) as Float32Array[]);
  }
  return layers.map((_, j) => {
    const total = parts.reduce((s, p) => s + p[j].length, 0);
    const out = new Float32Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p[j], at);
      at += p[j].length;
    }
    return out;
  });
}

async function run(id: number, c: Call): Promise<unknown> {
  switch (c.method) {
    case 'init':
      engine ??= await ConvPlayEngine.create(c.backend);
      return engine.info;
    case 'presets':
      return presetNames();
    case 'saxpy':
      return needEngine().saxpy(c.a, c.x, c.y);
    case 'measure':
      return needEngine().measureAllocation(c.spec, c.batch);
    case 'usage':
      return { models: models.size, sessions: sessions.size, cpuBeside: cpuEngine !== null };
    case 'presetSpec':
      return presetSpec(c.name);
    case 'summary':
      return summarize(c.spec, c.batch);
    case 'createModel': {
      const e = c.cpu ? await engineFor('cpu') : needEngine();
      let trainer: Trainer;
      if ('preset' in c.source) trainer = new Trainer(e.raw, await presetSpec(c.source.preset), c.batch, c.seed);
      else if ('spec' in c.source) trainer = new Trainer(e.raw, c.source.spec, c.batch, c.seed);
      else trainer = Trainer.fromWeights(e.raw, c.source.weights, c.batch);
      const mid = nextModel++;
      const info = describe(trainer, mid, c.batch);
      models.set(mid, { trainer, info });
      return info;
    }
    case 'fit':
      return fit(id, c.model, c.images, c.labels, c.options);
    case 'evaluate': {
      const { trainer, info } = needModel(c.model);
      if (c.labels.length === 0 || c.images.length !== c.labels.length * perInstance(info)) {
        throw new Error(
          `evaluate: ${c.images.length} pixel values for ${c.labels.length} labels, but ${info.name} takes ${perInstance(info)} values per image`,
        );
      }
      setData(trainer, 'eval', c.images, c.labels);
      const accuracy = await trainer.evaluate();
      return { accuracy, predictions: trainer.lastPredictions() };
    }
    case 'predict':
      return predict(c.model, c.x);
    case 'inspect':
      return needModel(c.model).trainer.inspect(c.x);
    case 'save':
      return needModel(c.model).trainer.saveAs(c.format);
    case 'features':
      return features(c.model, c.x, c.layers);
    case 'copyWeights': {
      const to = needModel(c.model);
      const copied = await to.trainer.copyWeightsFrom(needModel(c.from).trainer);
      return copied;
    }
    case 'configure': {
      const m = needModel(c.model);
      if (c.labels) m.trainer.setLabels(c.labels);
      if (c.preprocessing) m.trainer.setPreprocessing(c.preprocessing);
      m.info = describe(m.trainer, m.info.id, m.info.batch);
      return m.info;
    }
    case 'disposeModel': {
      models.get(c.model)?.trainer.free();
      models.delete(c.model);
      return null;
    }
    case 'toDigit':
      return preprocessDigit(c.ink, c.width, c.height);
  }
}

self.onmessage = (e: MessageEvent<ToApiWorker>) => {
  const m = e.data;
  if (m.type === 'abort') {
    aborted.add(m.id);
    return;
  }
  if (m.type === 'session') {
    let s = sessions.get(m.session);
    if (!s) {
      const id = m.session;
      s = new TrainSession(engineFor, (message) => post({ type: 'session', session: id, message }));
      sessions.set(id, s);
    }
    s.handle(m.message);
    return;
  }
  if (m.type === 'close-session') {
    sessions.get(m.session)?.handle({ type: 'stop' });
    sessions.delete(m.session);
    return;
  }
  run(m.id, m.call)
    .then(
      (value) => post({ type: 'result', id: m.id, value }),
      (err: unknown) =>
        post({
          type: 'error',
          id: m.id,
          message: err instanceof Error ? err.message : String(err),
          name: err instanceof Error ? err.name : undefined,
        }),
    )
    .finally(() => aborted.delete(m.id));
};
