// Messages between the public API (api/index.ts) and its engine worker (api/worker.ts).
// `Requests` maps each request kind to its arguments and its result; the worker's handlers and
// the API's `call` are both typed by it, so tsc checks both ends. Each call carries an id; the
// worker answers it once with a result or an error message, and a fit also sends events
// (progress, epoch, look, paused) before its answer. Control messages steer a running fit.

import type { BackendDecision, Speeds, StepProfile } from './profile';
import type { EngineInfo, BackendChoice } from '../engine';
import type { InsideData, Summary } from '../types';

export type ModelSource = { preset: string } | { spec: string } | { weights: Uint8Array };

export interface ModelInfo {
  id: number;
  name: string;
  params: number;
  classes: number;
  /** [h, w, c] or [n]. */
  input: number[];
  /** Class names (from a weights file, else "0", "1", …). */
  labels: string[];
  /** The largest batch the model runs at once. */
  batch: number;
  /** The backend the model runs on: the engine's, or the CPU beside it (`{ cpu: true }`). */
  backend: 'gpu' | 'cpu';
  /** How the model keeps its activations: "f16" (on a GPU with shader-f16, asked for) or "f32". */
  activations: 'f32' | 'f16';
  /** The model's spec (JSON text). */
  spec: string;
  /** The top-level layers' names, in order (what `features` takes). */
  layerNames: string[];
  /** Output positions per instance, each with its class distribution and label: 1, or h·w for a
   * model that ends in an h × w map (segmentation). */
  positions: number;
  /** How inputs are prepared, from the weights file: `{ mean, std, size, … }` or MNIST's `{ scale }`. */
  preprocessing: {
    mean?: number[];
    std?: number[];
    scale?: number;
    size?: number[];
    channel_order?: string;
    [k: string]: unknown;
  };
}

/** Inputs (u8 scaled by 1/255, or f32 as they are) and their labels. */
export interface Arrays {
  images: Uint8Array | Float32Array;
  labels: Uint8Array;
}

/** A data set as a call carries it: held in the worker (its id), or the arrays themselves. */
export type DataWire = { held: number } | Arrays;

/** What the worker says about a data set it holds. */
export interface DataInfo {
  id: number;
  /** Instances. */
  count: number;
  /** Values per instance. */
  per: number;
  /** The instance shape when known ([28, 28, 1] for MNIST), else [per]. */
  shape: number[];
  /** Where it came from, e.g. "MNIST train" (used in messages). */
  name: string;
  /** Labels per instance: 1, or a label map (size² for `engine.scenes`). */
  labelPer: number;
}

/** How `engine.scenes` makes scenes (docs/api.md); every field optional. */
export interface SceneOptions {
  /** The canvas's side, 28 to 256 (56). */
  size?: number;
  /** Digits per scene, 1 to 8 (2 to 4). */
  minDigits?: number;
  maxDigits?: number;
  /** Each digit's scale (0.8 to 1.2, within 0.5 to 2). */
  minScale?: number;
  maxScale?: number;
  /** How much two digits may overlap, a fraction of the smaller (0.15). */
  maxOverlap?: number;
}

/** Segmentation metrics of an evaluation (a model that ends in a map). */
export interface SegmentIou {
  /** IoU of each class, null where the class is neither true nor predicted. */
  perClass: (number | null)[];
  /** Mean IoU over the classes present. */
  mean: number;
  pixelAccuracy: number;
  pixels: number;
}

export interface FitOptionsWire {
  epochs: number;
  batch?: number;
  lr: number;
  optimizer: 'adam' | 'adamw' | 'sgd';
  /** Undefined: the optimizer's default (AdamW 0.004, else 0). */
  weightDecay?: number;
  schedule: 'constant' | 'step' | 'cosine' | 'onecycle';
  augment: { shift: number; rotateDeg: number; scale: number };
  validationSplit: number;
  seed: number;
  /** Evaluated after each epoch (accuracy, confusion matrix, mistakes). */
  test: DataWire | null;
  /** How many misclassified test instances each epoch reports (with their inputs). */
  mistakes: number;
  /** A look inside the model while it trains: this input, about every `everyMs` and after each epoch. */
  look: { input: Uint8Array | Float32Array | null; everyMs: number } | null;
  /** Send the weights (a `checkpoint` event) at each epoch's end and on pausing. */
  checkpoint: boolean;
}

/** The model's weights during a fit, to keep: at an epoch's end, or on pausing. */
export interface FitCheckpoint {
  /** Epochs finished. */
  epoch: number;
  step: number;
  totalSteps: number;
  reason: 'epoch' | 'pause';
  /** A ConvPlay weights file (safetensors, f32). */
  weights: Uint8Array;
}

export interface FitProgress {
  epoch: number;
  step: number;
  totalSteps: number;
  loss: number;
  accuracy: number;
  imagesPerSec: number;
  lr: number;
  /** Workers each batch was split across (1: the engine's worker alone; docs/design.md). */
  threads: number;
}

/** A misclassified instance of an evaluation. */
export interface Mistake {
  /** Its index in the data set. */
  index: number;
  label: number;
  predicted: number;
  /** Its input values as the data set holds them (28×28 u8 for an MNIST digit). */
  input: Uint8Array | Float32Array;
}

export interface Evaluation {
  /** Of instances, or of positions for a model that ends in a map (pixel accuracy). */
  accuracy: number;
  /** The predicted class of each instance (of each position, map after map, for a segmentation model). */
  predictions: Uint8Array;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  /** The first misclassified instances (as many as asked for; none for a segmentation model). */
  mistakes: Mistake[];
  /** IoU per class and its mean, for a model that ends in a map; else null. */
  iou: SegmentIou | null;
}

export interface FitEpoch {
  epoch: number;
  loss: number;
  accuracy: number;
  /** Null without a validation split. */
  valAccuracy: number | null;
  /** Null without a `test` set. */
  testAccuracy: number | null;
  /** The test set's evaluation (null without one). */
  test: Evaluation | null;
  seconds: number;
}

export interface FitResult {
  epochs: FitEpoch[];
  /** True when `stop()` ended the fit early (the model keeps the weights it reached). */
  stopped: boolean;
}

/** A look inside the model being trained. */
export interface FitLook {
  data: InsideData;
  /** The input looked at. */
  input: Uint8Array | Float32Array;
  /** Training steps done when it was taken. */
  step: number;
}

export type FitEvent =
  | { kind: 'progress'; progress: FitProgress }
  | { kind: 'epoch'; epoch: FitEpoch }
  | { kind: 'look'; look: FitLook }
  | { kind: 'checkpoint'; checkpoint: FitCheckpoint }
  /** The fit has paused (after the chunk it was running): nothing more until it resumes. */
  | { kind: 'paused' };

export interface Usage {
  models: number;
  /** Fits running (each `<convplay-train>` run is one). */
  sessions: number;
  /** Data sets held in the worker. */
  datasets: number;
  cpuBeside: boolean;
}

type ModelArg = { model: number };

/** Every request: its arguments and its result. */
export interface Requests {
  /** `threads`: workers a CPU model's fit may split each batch across (1: the engine's alone). */
  init: { args: { backend: BackendChoice; threads: number }; result: EngineInfo };
  presets: { args: Record<string, never>; result: string[] };
  usage: { args: Record<string, never>; result: Usage };
  saxpy: { args: { a: number; x: Float32Array; y: Float32Array }; result: Float32Array };
  measure: { args: { spec: string; batch: number }; result: number };
  /** Where a GPU training step of `spec` at `batch` spends its time (api/profile.ts). */
  profile: { args: { spec: string; batch: number; steps: number }; result: StepProfile };
  gemm: { args: { kernel: 'tiled' | 'reg' | 'lane' | null }; result: string };
  /** "auto": the faster backend for `spec` at `batch`, measured once (`fake`: a test's speeds). */
  chooseBackend: { args: { spec: string; batch: number; fake: Speeds | null }; result: BackendDecision };
  presetSpec: { args: { name: string }; result: string };
  summary: { args: { spec: string; batch: number }; result: Summary };
  /** `id`: chosen by the API, so that a model keeps it when a restarted worker builds it again. */
  createModel: {
    args: {
      id: number;
      source: ModelSource;
      batch: number;
      seed: number;
      cpu: boolean;
      activations: 'f32' | 'f16' | null;
    };
    result: ModelInfo;
  };
  /** A split of an IDX data set (MNIST, Fashion-MNIST) from the folder at `url`, the first `count`; `title` names it. */
  mnist: {
    args: { id: number; url: string; split: 'train' | 'test'; count: number; title?: string };
    result: DataInfo;
  };
  /** `count` synthetic scenes made from MNIST's `split` at `url`, drawn with `seed`, held. */
  scenes: {
    args: { id: number; url: string; split: 'train' | 'test'; count: number; seed: number; options: SceneOptions };
    result: DataInfo;
  };
  holdData: { args: Arrays & { id: number; shape: number[] | null; name: string }; result: DataInfo };
  example: {
    args: { data: number; index: number };
    result: { input: Uint8Array | Float32Array; label: number; labelMap: Uint8Array | null };
  };
  disposeData: { args: { data: number }; result: null };
  fit: { args: ModelArg & { data: DataWire; options: FitOptionsWire }; result: FitResult };
  evaluate: { args: ModelArg & { data: DataWire; mistakes: number }; result: Evaluation };
  features: { args: ModelArg & { x: Float32Array; layers: string[] }; result: Float32Array[] };
  copyWeights: { args: ModelArg & { from: number }; result: number };
  configure: { args: ModelArg & { labels?: string[]; preprocessing?: string }; result: ModelInfo };
  predict: { args: ModelArg & { x: Float32Array }; result: Float32Array };
  inspect: { args: ModelArg & { x: Float32Array }; result: InsideData };
  save: { args: ModelArg & { format: 'f32' | 'f16' | 'int8' }; result: Uint8Array };
  /** The model's weights made fully convolutional for `height`×`width` inputs (a weights file). */
  fullyConvolutional: { args: ModelArg & { height: number; width: number }; result: Uint8Array };
  disposeModel: { args: ModelArg; result: null };
  toDigit: { args: { ink: Uint8Array; width: number; height: number }; result: Uint8Array };
}

export type Method = keyof Requests;
export type Args<K extends Method> = Requests[K]['args'];
export type Result<K extends Method> = Requests[K]['result'];

/** One call; `CallOf<K>` for a single kind, the union of all by default. */
export type CallOf<K extends Method = Method> = { [P in K]: { method: P; args: Args<P> } }[K];

/** Steering a running fit (by its call id). */
export type FitControl =
  | { action: 'pause' }
  | { action: 'resume' }
  | { action: 'stop' }
  /** Rejects the fit with an AbortError. */
  | { action: 'abort' }
  /** Looks at this input from now on. */
  | { action: 'look'; input: Uint8Array | Float32Array };

export type ToApiWorker =
  | ({ type: 'call'; id: number } & CallOf)
  | { type: 'control'; id: number; control: FitControl }
  /** Internal, for tests only (`ConvPlay.crashForTest`): the worker throws an uncaught error. */
  | { type: 'crash' };

export type FromApiWorker =
  | { type: 'result'; id: number; value: Result<Method> }
  | { type: 'error'; id: number; message: string; name?: string }
  | { type: 'event'; id: number; event: FitEvent };

export type { EngineInfo, InsideData };
