// <convplay-train>'s work, through the public API on the page's shared engine: MNIST (or
// Fashion-MNIST, fetched only when chosen) held in
// the engine's worker (loaded once, reused by every run that asks for the same counts), a model
// built from the spec, `model.fit` with the test set evaluated after each epoch and looks inside
// the model while it trains; and the evaluation of a weights file on the test digits.

import type {
  ConvPlay,
  FitCheckpoint,
  FitEpoch,
  FitLook,
  FitProgress,
  FitRun,
  HeldData,
  Mistake,
} from '../../api/index';
import { parseBackendChoice } from '../../engine';
import { sharedEngine, wantsCpu } from '../../api/index';
import { assetUrl } from '../../assets';
import { download, downloadStatus } from '../../download';
import { checkMnistInput, type AugmentSettings, type Optimizer, type Schedule } from './recipe';
import { DATA_SETS, type DataSetName } from '../../datasets';
import type { BackendChoice } from '../../engine';

/** Whether a run trains on the CPU beside the engine: as asked, and for "auto" on a GPU engine
 * whichever backend trains `spec` at `batch` faster here, measured once (the badge says so). */
export async function chooseCpu(
  engine: ConvPlay,
  backend: BackendChoice,
  spec: string,
  batch: number,
): Promise<boolean> {
  const cpu = wantsCpu(engine, backend);
  if (cpu || backend !== 'auto' || engine.info.kind !== 'gpu' || !spec) return cpu;
  return (await engine.chooseBackend(spec, Math.max(1, Math.floor(batch) || 1))).backend === 'cpu';
}

/** Misclassified test digits shown per evaluation. */
const MISTAKES = 30;

function aborted(): Error {
  const e = new Error('training was cancelled: the element left the page');
  e.name = 'AbortError';
  return e;
}

/** The page's shared engine, and whether a run of `spec` at `batch` on it goes to its CPU: the
 * element's `backend`, or for "auto" on a GPU engine the faster by measurement (`chooseCpu`). */
export async function engineFor(
  backend: string,
  spec: string,
  batch: number,
): Promise<{ engine: ConvPlay; cpu: boolean }> {
  const choice = parseBackendChoice(backend);
  const engine = await sharedEngine().catch((e: unknown) => {
    throw new Error(`the engine did not start: ${(e as Error).message}`);
  });
  return { engine, cpu: await chooseCpu(engine, choice, spec, batch) };
}

/** One element's splits of a data set (MNIST unless told), held in the engine's worker until it is disposed. */
export class MnistData {
  private held: Partial<Record<'train' | 'test', { count: number; loading: Promise<HeldData> }>> = {};
  private disposed = false;

  constructor(
    readonly engine: ConvPlay,
    readonly dataset: DataSetName = 'mnist',
  ) {}

  /** The first `count` digits of a split (the same data set again when the count is unchanged). */
  async get(split: 'train' | 'test', count: number): Promise<HeldData> {
    if (this.disposed) throw aborted();
    const had = this.held[split];
    if (had?.count === count) return had.loading;
    void had?.loading.then((d) => d.dispose()).catch(() => {});
    const loading = this.engine.dataset(this.dataset, split, { count });
    this.held[split] = { count, loading };
    loading.catch(() => {
      if (this.held[split]?.loading === loading) delete this.held[split];
    });
    const d = await loading;
    if (this.disposed) throw aborted();
    return d;
  }

  dispose(): void {
    this.disposed = true;
    for (const h of Object.values(this.held)) void h.loading.then((d) => d.dispose()).catch(() => {});
    this.held = {};
  }
}

export interface RunSettings {
  spec: string;
  epochs: number;
  batch: number;
  lr: number;
  optimizer: Optimizer;
  /** Undefined: the optimizer's default. */
  weightDecay: number | undefined;
  schedule: Schedule;
  augment: AugmentSettings;
  trainImages: number;
  /** Fraction of the training images held out for validation (the last ones, as Keras's validation_split). */
  validationSplit: number;
  testImages: number;
  seed: number;
  /** On the CPU beside the engine's GPU. */
  cpu: boolean;
  /** How the model keeps its activations: "f16" needs a GPU with shader-f16. */
  activations: 'f32' | 'f16';
  /** The digit to look inside the model with (the first test digit when null). */
  lookAt: Uint8Array | null;
}

/** The settings of a run from the trainer's fields as they stand (counts made whole, at least 1). */
export function runSettings(
  el: Omit<RunSettings, 'spec' | 'cpu' | 'lookAt' | 'activations'> & { activations: string },
  spec: string,
  cpu: boolean,
  lookAt: Uint8Array | null,
): RunSettings {
  const whole = (v: number) => Math.max(1, Math.floor(v));
  return {
    spec,
    epochs: whole(el.epochs),
    batch: whole(el.batch),
    lr: el.lr,
    optimizer: el.optimizer,
    weightDecay: el.weightDecay,
    schedule: el.schedule,
    augment: { ...el.augment },
    trainImages: whole(el.trainImages),
    validationSplit: el.validationSplit,
    testImages: whole(el.testImages),
    seed: Math.max(0, Math.floor(el.seed)) >>> 0,
    cpu,
    activations: el.activations === 'f16' ? 'f16' : 'f32',
    lookAt,
  };
}

/** A data set's training files (and Fashion-MNIST's test files, which the first visit does not
 * precache), fetched once per page with their progress before the engine's worker reads them
 * (then from the service worker's cache or the HTTP cache). */
const fetched = new Map<DataSetName, Promise<unknown>>();
function fetchTrainingSet(set: DataSetName, progress: (p: [status: string, fraction: number]) => void) {
  const parts = ['train-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz'];
  if (set !== 'mnist') parts.push('t10k-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz');
  const { title, folder } = DATA_SETS[set];
  const what = (f: string) => `the ${title} ${f.startsWith('train') ? 'training' : 'test'} set, ${f}`;
  const loading =
    fetched.get(set) ??
    (async () => {
      for (const f of parts)
        await download(assetUrl(`${folder}${f}`), (got, total) =>
          progress([downloadStatus(what(f), got, total), total ? got / total : 0]),
        );
    })().catch((e: unknown) => {
      fetched.delete(set);
      throw e;
    });
  fetched.set(set, loading);
  return loading;
}

export interface RunHooks {
  /** The training set is downloading (the first run of the page). */
  fetching: (p: [status: string, fraction: number]) => void;
  ready: (r: { params: number; backend: 'gpu' | 'cpu'; train: number; val: number; test: number }) => void;
  /** The fit started: the handle to pause, resume, stop it or change its look. */
  started: (run: FitRun) => void;
  progress: (p: FitProgress) => void;
  epoch: (e: FitEpoch) => void;
  look: (l: FitLook) => void;
  /** The weights at each epoch's end and on pausing, to keep in this browser. */
  checkpoint: (c: FitCheckpoint) => void;
}

/** Trains a model of `s.spec` on the data set of `data` (its class names go with the model); resolves with its epochs, whether it was stopped, and
 * the trained model as a ConvPlay weights file. The model is freed at the end. */
export async function trainMnist(
  data: MnistData,
  s: RunSettings,
  hooks: RunHooks,
  signal: AbortSignal,
): Promise<{ epochs: FitEpoch[]; stopped: boolean; weights: Uint8Array }> {
  checkMnistInput(s.spec);
  await fetchTrainingSet(data.dataset, hooks.fetching);
  const [train, test] = await Promise.all([data.get('train', s.trainImages), data.get('test', s.testImages)]);
  const model = await data.engine.model(
    { spec: s.spec },
    { batch: s.batch, seed: s.seed, cpu: s.cpu, activations: s.activations },
  );
  try {
    if (signal.aborted) throw aborted();
    const { title, classes } = DATA_SETS[data.dataset];
    if (model.info.classes !== 10) {
      throw new Error(
        `${title} has 10 classes, but this model ends in ${model.info.classes}; end it with {"type": "dense", "units": 10, "activation": "softmax"}`,
      );
    }
    if (data.dataset !== 'mnist') await model.configure({ labels: classes });
    const val = Math.floor(train.count * s.validationSplit);
    hooks.ready({
      params: model.info.params,
      backend: model.info.backend,
      train: train.count - val,
      val,
      test: test.count,
    });
    const run = model.fit(train, {
      epochs: s.epochs,
      lr: s.lr,
      optimizer: s.optimizer,
      weightDecay: s.weightDecay,
      schedule: s.schedule,
      augment: s.augment,
      validationSplit: s.validationSplit,
      seed: s.seed,
      test,
      mistakes: MISTAKES,
      lookAt: s.lookAt ?? (await test.example(0)).input,
      onLook: hooks.look,
      onProgress: hooks.progress,
      onEpoch: hooks.epoch,
      onCheckpoint: hooks.checkpoint,
      signal,
    });
    hooks.started(run);
    const result = await run;
    return { ...result, weights: await model.save() };
  } finally {
    void model.dispose().catch(() => {});
  }
}

export interface Evaluated {
  name: string;
  params: number;
  testAccuracy: number;
  testImages: number;
  /** The model's class names. */
  labels: string[];
  /** The predicted class of each test digit. */
  predictions: Uint8Array;
  confusion: number[][];
  mistakes: Mistake[];
}

/** Loads a weights file and evaluates it on the first `testImages` test digits. */
export async function evaluateWeights(
  data: MnistData,
  bytes: Uint8Array,
  testImages: number,
  cpu: boolean,
): Promise<Evaluated> {
  const test = await data.get('test', testImages);
  const model = await data.engine.model({ weights: bytes }, { batch: 100, cpu });
  try {
    const r = await model.evaluate(test, { mistakes: MISTAKES });
    return {
      name: model.info.name,
      params: model.info.params,
      testAccuracy: r.accuracy,
      testImages: test.count,
      labels: model.info.labels,
      predictions: r.predictions,
      confusion: r.confusion,
      mistakes: r.mistakes,
    };
  } finally {
    void model.dispose().catch(() => {});
  }
}
