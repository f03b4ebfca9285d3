// ConvPlay's JavaScript API: one ES module with real types. The engine runs in a Web Worker
// behind it, so the caller never touches wasm memory or GPU objects, and the page never
// freezes. Every failure is a rejected promise with an Error whose message says what went
// wrong and how to fix it. See docs/api.md.

import type { BackendDecision, Speeds, StepProfile } from './profile';
import type { BackendChoice, EngineInfo } from '../engine';
import type { InsideData, Summary } from '../types';
import { assetBase, assetUrl, WORKER_FILE } from '../assets';
import { dataSet, type DataSetName } from '../datasets';
import { FitRun, HeldData } from './handles';
import { fitOptions, type Dataset, type FitOptions, type Prediction } from './options';
import { ENGINE_STOPPED, EngineStoppedError, Replay } from './restart';
import { threadsOf } from './replicas';
import { sceneArgs, type SceneOptions } from './scenes';
import { bytesOf, imageDataOf, prepareImage, type ImageInput, type ImageOptions, type PreparedImage } from './images';
import type {
  Args,
  DataInfo,
  DataWire,
  Evaluation,
  FitControl,
  FitEpoch,
  FitCheckpoint,
  FitEvent,
  FitLook,
  FitProgress,
  FitResult,
  FromApiWorker,
  Method,
  Mistake,
  ModelInfo,
  ModelSource,
  Result,
  ToApiWorker,
  Usage,
} from './protocol';

export type { BackendChoice, EngineInfo, InsideData, Summary, DataInfo, Evaluation, FitCheckpoint, FitEpoch };
export type { FitLook, FitProgress, FitResult, Mistake, ModelInfo, Usage, ImageInput, ImageOptions, PreparedImage };
export { FitRun, HeldData, ENGINE_STOPPED, EngineStoppedError };
export { DATA_SETS as dataSets, DATA_SET_NAMES, type DataSetName, type DataSetInfo } from '../datasets';
export type { Dataset, FitOptions, Prediction, BackendDecision, Speeds, StepProfile };
export { classMaps, EVAL_SEED, SCENE_CLASSES, type SceneOptions, type SegmentIou } from './scenes';
export { keras, type KerasImport, type KerasIgnoredLine } from './keras';
export { evaluateEnsemble, meanProbabilities, argmaxAccuracy } from './ensemble';
export type { EnsembleEvaluation, EnsembleMember } from './ensemble';

/** What a `restart` event of the engine says (`engine.addEventListener('restart', …)`). */
export interface RestartDetail {
  /** Why the worker stopped, e.g. "Uncaught RuntimeError: unreachable". */
  reason: string;
  /** Restarts so far. */
  count: number;
}

interface Pending {
  resolve: (v: Result<Method>) => void;
  reject: (e: Error) => void;
  onEvent?: (e: FitEvent) => void;
}

function errorFrom(message: string, name?: string): Error {
  const e = new Error(message);
  if (name === 'AbortError') e.name = 'AbortError';
  return e;
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

const DISPOSED = 'this engine was disposed; create a new one with createEngine()';

/** Restarts within a minute past which the engine gives up (a worker that dies as it starts). */
const MAX_RESTARTS_PER_MINUTE = 3;

/** An engine in a worker; make one with `createEngine`. When the worker dies (a wasm trap, out
 * of memory), the engine starts a new one: calls in flight reject with an error named
 * "EngineStopped" that says so, a `restart` event (a CustomEvent of `RestartDetail`) tells the
 * page, models and data sets that can be rebuilt are, and new calls go to the new worker. */
export class ConvPlay extends EventTarget {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private closed: string | null = null;
  private worker: Worker;
  /** Set while a restarted worker is rebuilding: calls wait for it. */
  private rebuilding: Promise<void> | null = null;
  private replay = new Replay();
  private restarts: number[] = [];
  private started = false;

  private constructor(
    private readonly backend: BackendChoice,
    /** The backend that runs the kernels, its adapter and limits. */
    readonly info: EngineInfo,
    /** Workers a CPU model's training splits each batch across (docs/api.md, `threads`). */
    readonly threads = 1,
  ) {
    super();
    this.worker = this.spawn();
  }

  /** @internal */
  static async start(backend: BackendChoice, threads = 1): Promise<ConvPlay> {
    if (!['auto', 'webgpu', 'cpu'].includes(backend))
      throw new Error(`unknown backend "${backend}": use "auto", "webgpu" or "cpu"`);
    const engine = new ConvPlay(backend, null as unknown as EngineInfo, threads);
    const info = await engine.call('init', { backend, threads });
    (engine as { info: EngineInfo }).info = info;
    engine.started = true;
    return engine;
  }

  private spawn(): Worker {
    const base = assetBase();
    const worker = base
      ? new Worker(new URL(WORKER_FILE, base), { type: 'module' })
      : new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<FromApiWorker>) => {
      if (worker === this.worker) this.receive(e.data);
    };
    worker.onerror = (e) => {
      if (worker !== this.worker) return;
      if (this.started) {
        // Handled here (a restart), so not an uncaught error of the page; said on the console.
        e.preventDefault();
        console.warn(`ConvPlay: the engine's worker stopped (${e.message}); restarting it`);
        this.crashed(e.message || 'the worker failed');
      } else
        this.failAll(
          e.message ||
            (base
              ? `the ConvPlay engine's worker did not load from ${new URL(WORKER_FILE, base).href}: serve a copy of ConvPlay's dist/ folder (assets/, data/, models/) there, or call setAssetBase() with the folder that holds it`
              : 'the ConvPlay worker failed to start'),
        );
    };
    return worker;
  }

  /** The worker died: calls in flight reject, a new worker takes over and rebuilds what it can. */
  private crashed(reason: string): void {
    if (this.closed !== null) return;
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new EngineStoppedError(reason));
    this.pending.clear();
    const now = performance.now();
    this.restarts = [...this.restarts.filter((t) => now - t < 60_000), now];
    if (this.restarts.length > MAX_RESTARTS_PER_MINUTE) {
      this.closed = `the ConvPlay engine stopped ${this.restarts.length} times within a minute (last: ${reason}); reload the page, or create a new engine with createEngine()`;
      return;
    }
    const rebuild = this.replay.crashed(reason);
    const worker = (this.worker = this.spawn());
    const rebuilding = (async () => {
      await this.post0('init', { backend: this.backend, threads: this.threads }).catch(() => {});
      for (const c of rebuild) {
        if (this.worker !== worker) return; // it died too: the next rebuild has the list
        await this.post0(c.method, c.args).catch((e: unknown) => {
          if (this.worker === worker) this.replay.failed(c, asError(e).message);
        });
      }
    })();
    this.rebuilding = rebuilding;
    void rebuilding.then(() => {
      if (this.rebuilding === rebuilding) this.rebuilding = null;
    });
    const detail: RestartDetail = { reason, count: this.restarts.length };
    this.dispatchEvent(new CustomEvent<RestartDetail>('restart', { detail }));
  }

  /** @internal For tests only, and only where `globalThis.convplayTestHooks` is true: makes the
   * worker throw an uncaught error, as a wasm trap would, to exercise the restart. */
  crashForTest(): void {
    if ((globalThis as { convplayTestHooks?: boolean }).convplayTestHooks !== true)
      throw new Error('crashForTest is a test hook: set globalThis.convplayTestHooks = true first');
    this.worker.postMessage({ type: 'crash' } satisfies ToApiWorker);
  }

  private receive(m: FromApiWorker): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'event') p.onEvent?.(m.event);
    else {
      this.pending.delete(m.id);
      if (m.type === 'result') p.resolve(m.value);
      else p.reject(errorFrom(m.message, m.name));
    }
  }

  private failAll(message: string): void {
    for (const p of this.pending.values()) p.reject(new Error(message));
    this.pending.clear();
  }

  /** Posts a call now, past the rebuild gate (the rebuild's own calls). */
  private post0<K extends Method>(method: K, args: Args<K>): Promise<Result<K>> {
    const id = this.nextId++;
    return new Promise<Result<K>>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'call', id, method, args });
    });
  }

  /** @internal Sends a request; `id` names it for `control`. */
  send<K extends Method>(
    method: K,
    args: Args<K>,
    onEvent?: (e: FitEvent) => void,
  ): { id: number; result: Promise<Result<K>> } {
    const id = this.nextId++;
    if (this.closed !== null) return { id, result: Promise.reject(new Error(this.closed)) };
    const lost = this.replay.lost(args);
    if (lost) return { id, result: Promise.reject(new Error(lost)) };
    this.replay.sent(method, args);
    const result = new Promise<Result<K>>((resolve, reject) => {
      // The worker answers request `id` with its kind's result (protocol.ts's `Requests`).
      this.pending.set(id, { resolve, reject, onEvent });
      this.post(id, { type: 'call', id, method, args } as ToApiWorker);
    });
    void result.then(
      () => this.replay.done(method, args),
      () => {},
    );
    return { id, result };
  }

  /** Posts a message of call `id` (while it is pending): now, or after a rebuild in progress. */
  private post(id: number, m: ToApiWorker): void {
    if (!this.rebuilding) this.worker.postMessage(m);
    else
      void this.rebuilding.then(() => {
        if (this.pending.has(id)) this.worker.postMessage(m);
      });
  }

  /** @internal */
  call<K extends Method>(method: K, args: Args<K>): Promise<Result<K>> {
    return this.send(method, args).result;
  }

  /** @internal Steers the running fit of request `id`. */
  control(id: number, control: FitControl): void {
    if (this.closed === null && this.pending.has(id)) this.post(id, { type: 'control', id, control });
  }

  /** What the worker holds now: models not yet disposed, fits running (`sessions`; each
   * `<convplay-train>` run is one), data sets held, and whether a CPU engine runs beside a GPU one. */
  usage(): Promise<Usage> {
    return this.call('usage', {});
  }

  /** The smoke kernel on the engine's backend: a·x + y, element by element. */
  saxpy(a: number, x: Float32Array, y: Float32Array): Promise<Float32Array> {
    return this.call('saxpy', { a, x, y });
  }

  /** Builds a spec's model for `batch` on the engine's backend, as training would, and
   * resolves with the bytes it allocated (then frees it). */
  measureAllocation(spec: object | string, batch: number): Promise<number> {
    return this.call('measure', { spec: typeof spec === 'string' ? spec : JSON.stringify(spec), batch });
  }

  /** Where a training step of `spec` at `batch` spends its time on the engine's GPU: `steps`
   * ordinary steps timed, then one dispatch by dispatch (kernel, layer, workgroups, ms). */
  profile(spec: object | string, batch: number, steps = 2): Promise<StepProfile> {
    return this.call('profile', { spec: typeof spec === 'string' ? spec : JSON.stringify(spec), batch, steps });
  }

  /** The GPU's GEMM kernel and how it was chosen ("reg (timed at start-up: tiled … ms, reg …
   * ms, lane … ms)"); `kernel` forces "tiled" (workgroup-memory tiles), "reg" (register-tiled,
   * no barriers) or "lane" (register-tiled, rows shared by 8-invocation workgroups) for every
   * later product, as benchmarks do to compare them. A CPU engine fails. */
  gemm(kernel?: 'tiled' | 'reg' | 'lane'): Promise<string> {
    return this.call('gemm', { kernel: kernel ?? null });
  }

  /** For backend "auto": times a few training steps of `spec` at `batch` on the GPU and on the
   * CPU (once per spec and batch) and says which is faster; the page's badge shows it (the
   * `convplay-backend-choice` event on `globalThis`). A test may set
   * `globalThis.convplayFakeSpeeds` (with `convplayTestHooks`) to force the answer. */
  async chooseBackend(spec: object | string, batch: number): Promise<BackendDecision> {
    const hooks = globalThis as { convplayTestHooks?: boolean; convplayFakeSpeeds?: Speeds };
    const fake = hooks.convplayTestHooks === true ? (hooks.convplayFakeSpeeds ?? null) : null;
    const text = typeof spec === 'string' ? spec : JSON.stringify(spec);
    const d = await this.call('chooseBackend', { spec: text, batch, fake });
    globalThis.dispatchEvent?.(new CustomEvent<BackendDecision>('convplay-backend-choice', { detail: d }));
    return d;
  }

  /** The preset names (seed-001, seed-004, mnist-quick, …). */
  presets(): Promise<string[]> {
    return this.call('presets', {});
  }

  /** A preset's spec as an object. */
  async presetSpec(name: string): Promise<object> {
    return JSON.parse(await this.call('presetSpec', { name })) as object;
  }

  /** Shapes, parameters, FLOPs and memory of a spec (object or JSON text) for a batch. */
  summary(spec: object | string, batch = 32): Promise<Summary> {
    return this.call('summary', { spec: typeof spec === 'string' ? spec : JSON.stringify(spec), batch });
  }

  /** A model from a preset, a spec (object or JSON), or a ConvPlay weights file (bytes, Blob, URL).
   * `batch`: the largest batch it runs at once; `cpu`: on the CPU beside the engine's GPU, for good;
   * `activations: 'f16'`: f16 activations on a GPU with shader-f16 (`info.shaderF16`), else refused. */
  async model(
    source:
      { preset: string } | { spec: object | string } | { weights: Uint8Array | ArrayBuffer | Blob | string | URL },
    options: { batch?: number; seed?: number; cpu?: boolean; activations?: 'f32' | 'f16' } = {},
  ): Promise<Model> {
    const batch = options.batch ?? 64;
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch ${batch} must be a whole number ≥ 1`);
    let src: ModelSource;
    if ('preset' in source) src = { preset: source.preset };
    else if ('spec' in source)
      src = { spec: typeof source.spec === 'string' ? source.spec : JSON.stringify(source.spec) };
    else src = { weights: await bytesOf(source.weights) };
    const info = await this.call('createModel', {
      id: this.nextId++,
      source: src,
      batch,
      seed: options.seed ?? 1,
      cpu: options.cpu ?? false,
      activations: options.activations ?? null,
    });
    return new Model(this, info);
  }

  /** MNIST's training (60,000) or test (10,000) digits, the first `count`, read in the worker
   * and held there: `fit` and `evaluate` take it by name, so no pixels are posted per run.
   * The files are fetched and decoded once per split while any data set cut from them lives.
   * `url`: the folder with the IDX files (default: ConvPlay's own `data/mnist/`). */
  async mnist(split: 'train' | 'test', options: { count?: number; url?: string } = {}): Promise<HeldData> {
    return this.dataset('mnist', split, options);
  }

  /** A shipped data set's training or test split, as `mnist` does it: `name` is "mnist" or
   * "fashion-mnist" (the default `url` is then ConvPlay's own `data/fashion-mnist/`, fetched only
   * now). Its class names are `dataSets[name].classes`; give them to a model with `configure`. */
  async dataset(
    name: DataSetName,
    split: 'train' | 'test',
    options: { count?: number; url?: string } = {},
  ): Promise<HeldData> {
    const set = dataSet(name);
    if (split !== 'train' && split !== 'test')
      throw new Error(`unknown ${set.title} split "${String(split)}": use "train" or "test"`);
    const count = options.count ?? Infinity;
    if (!(count >= 1)) throw new Error(`count ${count} must be at least 1`);
    const url = new URL(options.url ?? assetUrl(set.folder), document.baseURI).href;
    const args = { id: this.nextId++, url, split, count: Math.floor(Math.min(count, 1e9)) };
    return new HeldData(this, await this.call('mnist', name === 'mnist' ? args : { ...args, title: set.title }));
  }

  /** `count` (500) synthetic scenes for segmentation, made in the worker from MNIST's `split`
   * digits with `seed` (held-out default: `EVAL_SEED`) and held there; docs/api.md, "Segmentation". */
  async scenes(split: 'train' | 'test', options: SceneOptions & { count?: number; seed?: number; url?: string } = {}) {
    const url = new URL(options.url ?? assetUrl('data/mnist/'), document.baseURI).href;
    return new HeldData(
      this,
      await this.call('scenes', { id: this.nextId++, url, split, ...sceneArgs(split, options) }),
    );
  }

  /** Hands a data set to the worker once, to train and evaluate on by name afterwards.
   * `shape`: each instance's shape, when it should be checked and reported. */
  async hold(data: Dataset, options: { shape?: number[]; name?: string } = {}): Promise<HeldData> {
    const info = await this.call('holdData', {
      id: this.nextId++,
      images: data.images,
      labels: data.labels,
      shape: options.shape ?? null,
      name: options.name ?? 'the data set',
    });
    return new HeldData(this, info);
  }

  /** MNIST-style preprocessing of a drawing: crop the ink, fit it in 20×20, centre it by
   * mass in 28×28; returns 28×28 u8, white on black. Ink is the alpha channel, or darkness
   * when the image is opaque. */
  async toDigit(drawing: ImageInput): Promise<Uint8Array> {
    const img = await imageDataOf(drawing);
    const ink = new Uint8Array(img.width * img.height);
    const opaque = img.data.every((_, i) => i % 4 !== 3 || img.data[i] === 255);
    for (let i = 0; i < ink.length; i++) {
      const d = img.data;
      ink[i] = opaque ? 255 - Math.round((d[4 * i] + d[4 * i + 1] + d[4 * i + 2]) / 3) : d[4 * i + 3];
    }
    return this.call('toDigit', { ink, width: img.width, height: img.height });
  }

  /** Stops the worker and frees the engine (and its GPU device); pending calls reject. */
  dispose(): void {
    this.closed = DISPOSED;
    this.failAll('the engine was disposed');
    this.worker.terminate();
  }
}

/** A model on an engine. */
export class Model {
  constructor(
    private readonly engine: ConvPlay,
    /** Name, parameter count, classes, input shape, labels, batch, preprocessing, spec. */
    public info: ModelInfo,
  ) {}

  /** The model's summary for its batch. */
  async summary(): Promise<Summary> {
    return this.engine.summary(this.info.spec, this.info.batch);
  }

  /** How a data set travels to the worker: by name when it is held there, else its arrays. */
  private wire(d: Dataset | HeldData): DataWire {
    if (d instanceof HeldData) {
      if (!d.on(this.engine))
        throw new Error("this data set is held by another engine; hold it on this model's engine");
      return { held: d.info.id };
    }
    return { images: d.images, labels: d.labels };
  }

  private checkInput(x: Float32Array | Uint8Array, what: string): void {
    const per = this.info.input.reduce((a, b) => a * b, 1);
    if (x.length !== per)
      throw new Error(
        `${what}: ${this.info.name} takes ${per} values ([${this.info.input.join(', ')}]), got ${x.length}; pass one input`,
      );
  }

  /** Trains on `data` (arrays, or a data set held in the worker). Await the returned run for
   * the per-epoch history; `pause()`, `resume()`, `stop()` and `look(input)` steer it meanwhile. */
  fit(data: Dataset | HeldData, options: FitOptions = {}): FitRun {
    const checkLook = (x: Float32Array | Uint8Array) => this.checkInput(x, 'look');
    let started: { id: number; result: Promise<FitResult> };
    try {
      const o = fitOptions(options);
      if (options.lookAt) checkLook(options.lookAt);
      o.test = options.test ? this.wire(options.test) : null;
      const args = { model: this.info.id, data: this.wire(data), options: o };
      let run: FitRun | null = null;
      started = this.engine.send('fit', args, (e) => {
        if (e.kind === 'progress') options.onProgress?.(e.progress);
        else if (e.kind === 'epoch') options.onEpoch?.(e.epoch);
        else if (e.kind === 'look') options.onLook?.(e.look);
        else if (e.kind === 'checkpoint') options.onCheckpoint?.(e.checkpoint);
        else run?.paused();
      });
      const result = started.result.then((r) => {
        if (o.batch) this.info = { ...this.info, batch: o.batch };
        return r;
      });
      run = new FitRun(this.engine, started.id, result, checkLook);
      const signal = options.signal;
      if (signal) {
        const abort = () => this.engine.control(started.id, { action: 'abort' });
        if (signal.aborted) abort();
        else signal.addEventListener('abort', abort, { once: true });
      }
      return run;
    } catch (e) {
      return new FitRun(this.engine, -1, Promise.reject(asError(e)), checkLook);
    }
  }

  /** Accuracy on a labelled set (arrays, or a data set held in the worker), the predicted
   * class of each instance, the confusion matrix, and the first `mistakes` (default 0)
   * misclassified instances with their inputs. */
  evaluate(data: Dataset | HeldData, options: { mistakes?: number } = {}): Promise<Evaluation> {
    try {
      return this.engine.call('evaluate', {
        model: this.info.id,
        data: this.wire(data),
        mistakes: options.mistakes ?? 0,
      });
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  /** Class probabilities for one input (an image or its values). */
  async predict(input: ImageInput, options: ImageOptions = {}): Promise<Prediction> {
    const probs = await this.engine.call('predict', { model: this.info.id, x: await this.valuesOf(input, options) });
    const probabilities = Array.from(probs.subarray(0, this.info.classes));
    const top = probabilities.indexOf(Math.max(...probabilities));
    return { probabilities, top, label: this.info.labels[top] ?? String(top) };
  }

  /** Probabilities for many inputs given as values (n × input values): n × classes. */
  predictBatch(values: Float32Array): Promise<Float32Array> {
    return this.engine.call('predict', { model: this.info.id, x: values });
  }

  /** Every layer's output, the probabilities and the saliency map for one input. */
  async activations(input: ImageInput, options: ImageOptions = {}): Promise<InsideData> {
    return this.engine.call('inspect', { model: this.info.id, x: await this.valuesOf(input, options) });
  }

  /** The model as a ConvPlay weights file (safetensors with its spec, labels and
   * preprocessing); kernels in f32 (default), f16, or int8 with a scale per output channel. */
  async save(options: { format?: 'f32' | 'f16' | 'int8' } = {}): Promise<Uint8Array> {
    const format = options.format ?? 'f32';
    if (!['f32', 'f16', 'int8'].includes(format))
      throw new Error(`unknown weights format "${format}": use "f32", "f16" or "int8"`);
    return this.engine.call('save', { model: this.info.id, format });
  }

  /** The fully convolutional equivalent for `height`×`width` inputs (docs/api.md): dense layers as
   * convolutions with the same weights; a new model whose `predictBatch` gives n × positions × classes. */
  async toFullyConvolutional(size: { height: number; width: number }, options: { batch?: number } = {}) {
    const { height, width } = size;
    for (const [k, v] of Object.entries({ height, width }))
      if (!Number.isInteger(v) || v < 1) throw new Error(`toFullyConvolutional: ${k} ${v} must be a whole number ≥ 1`);
    const weights = await this.engine.call('fullyConvolutional', { model: this.info.id, height, width });
    return this.engine.model({ weights }, { batch: options.batch ?? 1, cpu: this.info.backend === 'cpu' });
  }

  /** The outputs of named top-level layers (see `info.layerNames`) for n inputs given as
   * values (n × input values), from one inference pass per batch: one array per name,
   * n × that layer's output values. Feature extraction for transfer learning. */
  async features(values: Float32Array, layers: string[]): Promise<Float32Array[]> {
    if (layers.length === 0) throw new Error('features: name at least one layer (see model.info.layerNames)');
    return this.engine.call('features', { model: this.info.id, x: values, layers });
  }

  /** Copies every parameter `other` (a model on the same engine) has under the same name
   * and shape; the others keep their values. Resolves with how many tensors were copied. */
  copyWeightsFrom(other: Model): Promise<number> {
    return this.engine.call('copyWeights', { model: this.info.id, from: other.info.id });
  }

  /** Names the classes and/or sets the preprocessing saved with the weights. */
  async configure(options: { labels?: string[]; preprocessing?: ModelInfo['preprocessing'] }): Promise<void> {
    this.info = await this.engine.call('configure', {
      model: this.info.id,
      labels: options.labels,
      preprocessing: options.preprocessing ? JSON.stringify(options.preprocessing) : undefined,
    });
  }

  /** Frees the model in the worker (a fit running on it is aborted). */
  async dispose(): Promise<void> {
    await this.engine.call('disposeModel', { model: this.info.id });
  }

  /** An image prepared as the model's weights ask (crop, size, mean and std), with the crop to show. */
  prepare(
    input: Exclude<ImageInput, Float32Array | Uint8Array | Uint8ClampedArray>,
    o: ImageOptions = {},
  ): Promise<PreparedImage> {
    return prepareImage(this.info, input, o);
  }

  private async valuesOf(input: ImageInput, o: ImageOptions): Promise<Float32Array> {
    const per = this.info.input.reduce((a, b) => a * b, 1);
    let x: Float32Array;
    if (input instanceof Float32Array) x = input;
    else if (input instanceof Uint8Array || input instanceof Uint8ClampedArray)
      x = Float32Array.from(input, (v) => (o.invert ? 255 - v : v) / 255);
    else x = (await this.prepare(input, o)).values;
    if (x.length !== per)
      throw new Error(
        `${this.info.name} takes ${per} values ([${this.info.input.join(', ')}]), got ${x.length}; pass one input`,
      );
    return x;
  }
}

/** Starts an engine in a worker: "auto" (WebGPU, else the CPU), "webgpu" or "cpu". `threads`:
 * the workers a CPU model trains on (default: the cores the browser reports, at most 8). */
export async function createEngine(options: { backend?: BackendChoice; threads?: number } = {}): Promise<ConvPlay> {
  return ConvPlay.start(options.backend ?? 'auto', threadsOf(options.threads));
}

let shared: Promise<ConvPlay> | null = null;

/** The page's one engine (one worker, at most one GPU device), created on first use: what the
 * web components use. The first call decides its backend ("auto" unless it names one: the
 * playground passes its `?backend=`); later calls get the same engine. A component set to the
 * CPU runs its models there with `{ cpu: true }`; one set to WebGPU fails with a clear message
 * when the engine is on the CPU. */
export function sharedEngine(backend: BackendChoice = 'auto', threads?: number): Promise<ConvPlay> {
  shared ??= createEngine({ backend, threads }).catch((err: unknown) => {
    shared = null;
    throw err;
  });
  return shared;
}

/** For a component's `backend` setting: whether its models run with `{ cpu: true }` on the
 * shared engine; "webgpu" on an engine without it is an error that says so. */
export function wantsCpu(engine: ConvPlay, backend: BackendChoice): boolean {
  if (backend === 'webgpu' && engine.info.kind !== 'gpu') {
    throw new Error(
      `WebGPU was asked for, but this page's engine runs on the CPU (${engine.info.fallbackReason ?? 'no WebGPU adapter'}); use backend "auto" or "cpu"`,
    );
  }
  return backend === 'cpu';
}
