// ConvPlay's JavaScript API: one ES module with real types. The engine runs in a Web Worker
// behind it, so the caller never touches wasm memory or GPU objects, and the page never
// freezes. Every failure is a rejected promise with an Error whose message says what went
// wrong and how to fix it. See docs/api.md.

import type { BackendChoice, EngineInfo } from '../engine';
import type { InsideData, Summary } from '../types';
import type { Call, FitEpoch, FitProgress, FromApiWorker, ModelInfo, ModelSource, ToApiWorker } from './protocol';
import type { FromWorker as FromTrainer, ToWorker as ToTrainer } from '../train-protocol';

export type { BackendChoice, EngineInfo, InsideData, Summary, FitEpoch, FitProgress, ModelInfo };

/** What `predict` and `activations` take: an image (drawn to the model's input size; one
 * channel is the luminance), or the input's values (u8 are scaled by 1/255). */
export type ImageInput =
  | ImageData
  | HTMLCanvasElement
  | OffscreenCanvas
  | HTMLImageElement
  | ImageBitmap
  | Float32Array
  | Uint8Array
  | Uint8ClampedArray;

export interface ImageOptions {
  /** Flip dark and light (MNIST digits are white on black; a drawing is usually the opposite). */
  invert?: boolean;
  /** The centred square taken from the image, as a fraction of its shorter side. Default:
   * 0.875 for models whose weights give a mean and std (ImageNet models), else the whole
   * image drawn at the input size. */
  crop?: number;
}

/** An image as the model sees it: the values, and the crop as pixels to show the user. */
export interface PreparedImage {
  values: Float32Array;
  /** The crop at the model's input size (RGBA). */
  preview: ImageData;
  /** Mean and standard deviation of the prepared values, to check them against what the model expects. */
  stats: { mean: number; std: number };
}

export interface Dataset {
  /** n × input values: u8 0–255 (scaled by 1/255 per batch), or f32 values used as they
   * are (pixels in [0, 1], or features computed by another model). */
  images: Uint8Array | Float32Array;
  /** n class indices. */
  labels: Uint8Array;
}

export interface FitOptions {
  epochs?: number;
  /** Default: the model's batch (set when it was created). */
  batch?: number;
  lr?: number;
  optimizer?: 'adam' | 'adamw' | 'sgd';
  schedule?: 'constant' | 'step' | 'cosine' | 'onecycle';
  /** Random affine augmentation on the device: ± pixels, ± degrees, ± fraction. */
  augment?: { shift?: number; rotateDeg?: number; scale?: number };
  /** Fraction of the images held out (the last ones) for validation. Default 0. */
  validationSplit?: number;
  seed?: number;
  onProgress?: (p: FitProgress) => void;
  onEpoch?: (e: FitEpoch) => void;
  /** Aborting rejects the fit with an AbortError; the model keeps the weights it reached. */
  signal?: AbortSignal;
}

export interface Prediction {
  /** One probability per class. */
  probabilities: number[];
  /** The most likely class's index and label. */
  top: number;
  label: string;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (p: FitProgress) => void;
  onEpoch?: (e: FitEpoch) => void;
}

function errorFrom(message: string, name?: string): Error {
  const e = new Error(message);
  if (name === 'AbortError') e.name = 'AbortError';
  return e;
}

/** An engine in a worker; make one with `createEngine`. */
export class ConvPlay {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private sessions = new Map<number, (m: FromTrainer) => void>();
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    /** The backend that runs the kernels, its adapter and limits. */
    readonly info: EngineInfo,
  ) {}

  /** @internal */
  static async start(backend: BackendChoice): Promise<ConvPlay> {
    if (!['auto', 'webgpu', 'cpu'].includes(backend))
      throw new Error(`unknown backend "${backend}": use "auto", "webgpu" or "cpu"`);
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    const engine = new ConvPlay(worker, null as unknown as EngineInfo);
    worker.onmessage = (e: MessageEvent<FromApiWorker>) => engine.receive(e.data);
    worker.onerror = (e) => engine.failAll(e.message || 'the ConvPlay worker failed to start');
    const info = (await engine.call({ method: 'init', backend })) as EngineInfo;
    (engine as { info: EngineInfo }).info = info;
    return engine;
  }

  private receive(m: FromApiWorker): void {
    if (m.type === 'session') {
      this.sessions.get(m.session)?.(m.message);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'progress') p.onProgress?.(m.progress);
    else if (m.type === 'epoch') p.onEpoch?.(m.epoch);
    else {
      this.pending.delete(m.id);
      if (m.type === 'result') p.resolve(m.value);
      else p.reject(errorFrom(m.message, m.name));
    }
  }

  private failAll(message: string): void {
    for (const p of this.pending.values()) p.reject(new Error(message));
    this.pending.clear();
    for (const s of this.sessions.values()) s({ type: 'error', message });
    this.sessions.clear();
  }

  /** @internal A <convplay-train> session on this engine's worker: MNIST training with
   * pause/resume/stop, in the messages of train-protocol.ts. */
  openSession(onMessage: (m: FromTrainer) => void): { send: (m: ToTrainer) => void; close: () => void } {
    if (this.closed) throw new Error('this engine was disposed; create a new one with createEngine()');
    const session = this.nextId++;
    this.sessions.set(session, onMessage);
    return {
      send: (message) => this.worker.postMessage({ type: 'session', session, message } satisfies ToApiWorker),
      close: () => {
        if (!this.sessions.delete(session)) return;
        if (!this.closed) this.worker.postMessage({ type: 'close-session', session } satisfies ToApiWorker);
      },
    };
  }

  /** @internal */
  call(
    call: Call,
    hooks: { onProgress?: Pending['onProgress']; onEpoch?: Pending['onEpoch']; signal?: AbortSignal } = {},
  ): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('this engine was disposed; create a new one with createEngine()'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress: hooks.onProgress, onEpoch: hooks.onEpoch });
      const msg: ToApiWorker = { type: 'call', id, call };
      this.worker.postMessage(msg);
      if (hooks.signal) {
        const abort = () => this.worker.postMessage({ type: 'abort', id } satisfies ToApiWorker);
        if (hooks.signal.aborted) abort();
        else hooks.signal.addEventListener('abort', abort, { once: true });
      }
    });
  }

  /** What the worker holds now: models not yet disposed, training sessions of
   * `<convplay-train>` elements, and whether a CPU engine runs beside a GPU one. */
  async usage(): Promise<{ models: number; sessions: number; cpuBeside: boolean }> {
    return (await this.call({ method: 'usage' })) as { models: number; sessions: number; cpuBeside: boolean };
  }

  /** The smoke kernel on the engine's backend: a·x + y, element by element. */
  async saxpy(a: number, x: Float32Array, y: Float32Array): Promise<Float32Array> {
    return (await this.call({ method: 'saxpy', a, x, y })) as Float32Array;
  }

  /** Builds a spec's model for `batch` on the engine's backend, as training would, and
   * resolves with the bytes it allocated (then frees it). */
  async measureAllocation(spec: object | string, batch: number): Promise<number> {
    return (await this.call({
      method: 'measure',
      spec: typeof spec === 'string' ? spec : JSON.stringify(spec),
      batch,
    })) as number;
  }

  /** The preset names (seed-001, seed-004, mnist-quick, …). */
  async presets(): Promise<string[]> {
    return (await this.call({ method: 'presets' })) as string[];
  }

  /** A preset's spec as an object. */
  async presetSpec(name: string): Promise<object> {
    return JSON.parse((await this.call({ method: 'presetSpec', name })) as string) as object;
  }

  /** Shapes, parameters, FLOPs and memory of a spec (object or JSON text) for a batch. */
  async summary(spec: object | string, batch = 32): Promise<Summary> {
    return (await this.call({
      method: 'summary',
      spec: typeof spec === 'string' ? spec : JSON.stringify(spec),
      batch,
    })) as Summary;
  }

  /** A model from a preset name, a spec (object or JSON text), or a ConvPlay weights file
   * (bytes, a Blob, or a URL to fetch). `batch` is the largest batch it runs at once; `cpu`
   * runs it on the CPU backend in the same worker even when the engine has a GPU (a small
   * model answers sooner there). */
  async model(
    source:
      { preset: string } | { spec: object | string } | { weights: Uint8Array | ArrayBuffer | Blob | string | URL },
    options: { batch?: number; seed?: number; cpu?: boolean } = {},
  ): Promise<Model> {
    const batch = options.batch ?? 64;
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch ${batch} must be a whole number ≥ 1`);
    let src: ModelSource;
    if ('preset' in source) src = { preset: source.preset };
    else if ('spec' in source)
      src = { spec: typeof source.spec === 'string' ? source.spec : JSON.stringify(source.spec) };
    else src = { weights: await bytesOf(source.weights) };
    const info = (await this.call({
      method: 'createModel',
      source: src,
      batch,
      seed: options.seed ?? 1,
      cpu: options.cpu ?? false,
    })) as ModelInfo;
    return new Model(this, info);
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
    return (await this.call({ method: 'toDigit', ink, width: img.width, height: img.height })) as Uint8Array;
  }

  /** Stops the worker and frees the engine (and its GPU device); pending calls reject. */
  dispose(): void {
    this.closed = true;
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

  /** Trains on `data`; resolves with the per-epoch history. */
  async fit(data: Dataset, options: FitOptions = {}): Promise<{ epochs: FitEpoch[] }> {
    const images = data.images;
    const o = {
      epochs: options.epochs ?? 1,
      batch: options.batch,
      lr: options.lr ?? 1e-3,
      optimizer: options.optimizer ?? 'adam',
      schedule: options.schedule ?? 'constant',
      augment: {
        shift: options.augment?.shift ?? 0,
        rotateDeg: options.augment?.rotateDeg ?? 0,
        scale: options.augment?.scale ?? 0,
      },
      validationSplit: options.validationSplit ?? 0,
      seed: options.seed ?? 1,
    };
    if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new Error(`epochs ${o.epochs} must be a whole number ≥ 1`);
    if (!(o.validationSplit >= 0 && o.validationSplit < 1))
      throw new Error(`validationSplit ${o.validationSplit} must be in [0, 1)`);
    const result = (await this.engine.call(
      { method: 'fit', model: this.info.id, images, labels: data.labels, options: o },
      options,
    )) as { epochs: FitEpoch[] };
    if (o.batch) this.info = { ...this.info, batch: o.batch };
    return result;
  }

  /** Accuracy on a labelled set and the predicted class of each image. */
  async evaluate(data: Dataset): Promise<{ accuracy: number; predictions: Uint8Array }> {
    return (await this.engine.call({
      method: 'evaluate',
      model: this.info.id,
      images: data.images,
      labels: data.labels,
    })) as { accuracy: number; predictions: Uint8Array };
  }

  /** Class probabilities for one input (an image or its values). */
  async predict(input: ImageInput, options: ImageOptions = {}): Promise<Prediction> {
    const probs = (await this.engine.call({
      method: 'predict',
      model: this.info.id,
      x: await this.valuesOf(input, options),
    })) as Float32Array;
    const probabilities = Array.from(probs.subarray(0, this.info.classes));
    const top = probabilities.indexOf(Math.max(...probabilities));
    return { probabilities, top, label: this.info.labels[top] ?? String(top) };
  }

  /** Probabilities for many inputs given as values (n × input values): n × classes. */
  async predictBatch(values: Float32Array): Promise<Float32Array> {
    return (await this.engine.call({ method: 'predict', model: this.info.id, x: values })) as Float32Array;
  }

  /** Every layer's output, the probabilities and the saliency map for one input. */
  async activations(input: ImageInput, options: ImageOptions = {}): Promise<InsideData> {
    return (await this.engine.call({
      method: 'inspect',
      model: this.info.id,
      x: await this.valuesOf(input, options),
    })) as InsideData;
  }

  /** The model as a ConvPlay weights file (safetensors with its spec, labels and
   * preprocessing); kernels in f32 (default), f16, or int8 with a scale per output channel. */
  async save(options: { format?: 'f32' | 'f16' | 'int8' } = {}): Promise<Uint8Array> {
    const format = options.format ?? 'f32';
    if (!['f32', 'f16', 'int8'].includes(format))
      throw new Error(`unknown weights format "${format}": use "f32", "f16" or "int8"`);
    return (await this.engine.call({ method: 'save', model: this.info.id, format })) as Uint8Array;
  }

  /** The outputs of named top-level layers (see `info.layerNames`) for n inputs given as
   * values (n × input values), from one inference pass per batch: one array per name,
   * n × that layer's output values. Feature extraction for transfer learning. */
  async features(values: Float32Array, layers: string[]): Promise<Float32Array[]> {
    if (layers.length === 0) throw new Error('features: name at least one layer (see model.info.layerNames)');
    return (await this.engine.call({ method: 'features', model: this.info.id, x: values, layers })) as Float32Array[];
  }

  /** Copies every parameter `other` (a model on the same engine) has under the same name
   * and shape; the others keep their values. Resolves with how many tensors were copied. */
  async copyWeightsFrom(other: Model): Promise<number> {
    return (await this.engine.call({ method: 'copyWeights', model: this.info.id, from: other.info.id })) as number;
  }

  /** Names the classes and/or sets the preprocessing saved with the weights. */
  async configure(options: { labels?: string[]; preprocessing?: ModelInfo['preprocessing'] }): Promise<void> {
    this.info = (await this.engine.call({
      method: 'configure',
      model: this.info.id,
      labels: options.labels,
      preprocessing: options.preprocessing ? JSON.stringify(options.preprocessing) : undefined,
    })) as ModelInfo;
  }

  /** Frees the model in the worker. */
  async dispose(): Promise<void> {
    await this.engine.call({ method: 'disposeModel', model: this.info.id });
  }

  /** An image prepared as the model's weights ask (crop, size, mean and std), with the crop to show. */
  async prepare(
    input: Exclude<ImageInput, Float32Array | Uint8Array | Uint8ClampedArray>,
    o: ImageOptions = {},
  ): Promise<PreparedImage> {
    const [h, w, c] = this.info.input;
    if (this.info.input.length !== 3 || (c !== 1 && c !== 3))
      throw new Error(
        `${this.info.name} takes [${this.info.input.join(', ')}], not an image; pass its values as a Float32Array`,
      );
    const pre = this.info.preprocessing;
    const normalised = Array.isArray(pre.mean) && Array.isArray(pre.std);
    const img = await imageDataOf(input, w, h, o.crop ?? (normalised ? 0.875 : undefined));
    const x = new Float32Array(h * w * c);
    for (let i = 0; i < h * w; i++) {
      let rgb = [img.data[4 * i], img.data[4 * i + 1], img.data[4 * i + 2]];
      if (o.invert) rgb = rgb.map((v) => 255 - v);
      if (c === 1) {
        const y = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
        x[i] = normalised ? (y - pre.mean![0]) / pre.std![0] : y / 255;
      } else {
        for (let k = 0; k < 3; k++) x[3 * i + k] = normalised ? (rgb[k] - pre.mean![k]) / pre.std![k] : rgb[k] / 255;
      }
    }
    let sum = 0;
    let sq = 0;
    for (const v of x) {
      sum += v;
      sq += v * v;
    }
    const mean = sum / x.length;
    return { values: x, preview: img, stats: { mean, std: Math.sqrt(Math.max(0, sq / x.length - mean * mean)) } };
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

/** Starts an engine in a worker: "auto" (WebGPU, else the CPU), "webgpu" or "cpu". */
export async function createEngine(options: { backend?: BackendChoice } = {}): Promise<ConvPlay> {
  return ConvPlay.start(options.backend ?? 'auto');
}

let shared: Promise<ConvPlay> | null = null;

/** The page's one engine (one worker, at most one GPU device), created on first use: what the
 * web components use. The first call decides its backend ("auto" unless it names one: the
 * playground passes its `?backend=`); later calls get the same engine. A component set to the
 * CPU runs its models there with `{ cpu: true }`; one set to WebGPU fails with a clear message
 * when the engine is on the CPU. */
export function sharedEngine(backend: BackendChoice = 'auto'): Promise<ConvPlay> {
  shared ??= createEngine({ backend }).catch((err: unknown) => {
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

async function bytesOf(w: Uint8Array | ArrayBuffer | Blob | string | URL): Promise<Uint8Array> {
  if (w instanceof Uint8Array) return w;
  if (w instanceof ArrayBuffer) return new Uint8Array(w);
  if (w instanceof Blob) return new Uint8Array(await w.arrayBuffer());
  const url = new URL(String(w), document.baseURI);
  const r = await fetch(url);
  if (!r.ok) throw new Error(`could not fetch ${url}: HTTP ${r.status}; check the weights file's URL`);
  return new Uint8Array(await r.arrayBuffer());
}

/** Pixels of an image source, drawn at (w, h) when given; with `crop`, only the centred
 * square of that fraction of the shorter side. */
async function imageDataOf(src: ImageInput, w?: number, h?: number, crop?: number): Promise<ImageData> {
  if (src instanceof ImageData && crop === undefined && (w === undefined || (src.width === w && src.height === h)))
    return src;
  const source = src instanceof ImageData ? await createImageBitmap(src) : src;
  if (source instanceof Float32Array || source instanceof Uint8Array || source instanceof Uint8ClampedArray)
    throw new Error('expected an image');
  const iw = 'naturalWidth' in source ? source.naturalWidth : source.width;
  const ih = 'naturalHeight' in source ? source.naturalHeight : source.height;
  const sw = w ?? iw;
  const sh = h ?? ih;
  if (!sw || !sh || !iw || !ih) throw new Error('the image has no size yet: wait for it to load');
  if (crop !== undefined && !(crop > 0 && crop <= 1)) throw new Error(`crop ${crop} must be a fraction in (0, 1]`);
  const canvas = new OffscreenCanvas(sw, sh);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('this browser gives no 2D canvas context');
  ctx.imageSmoothingQuality = 'high';
  if (crop === undefined) ctx.drawImage(source, 0, 0, sw, sh);
  else {
    const side = Math.min(iw, ih) * crop;
    ctx.drawImage(source, (iw - side) / 2, (ih - side) / 2, side, side, 0, 0, sw, sh);
  }
  return ctx.getImageData(0, 0, sw, sh);
}
