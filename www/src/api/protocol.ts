// Messages between the public API (api/index.ts) and its engine worker (api/worker.ts).
// Each call carries an id; the worker answers it once with a result or an error message,
// and a fit may send progress and epoch reports before its answer.

import type { EngineInfo, BackendChoice } from '../engine';
import type { InsideData } from '../types';
import type { FromWorker, ToWorker } from '../train-protocol';

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
  /** The model's spec (JSON text). */
  spec: string;
  /** The top-level layers' names, in order (what `features` takes). */
  layerNames: string[];
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

export interface FitOptionsWire {
  epochs: number;
  batch?: number;
  lr: number;
  optimizer: 'adam' | 'adamw' | 'sgd';
  schedule: 'constant' | 'step' | 'cosine' | 'onecycle';
  augment: { shift: number; rotateDeg: number; scale: number };
  validationSplit: number;
  seed: number;
}

export interface FitProgress {
  epoch: number;
  step: number;
  totalSteps: number;
  loss: number;
  accuracy: number;
  imagesPerSec: number;
  lr: number;
}

export interface FitEpoch {
  epoch: number;
  loss: number;
  accuracy: number;
  /** Null without a validation split. */
  valAccuracy: number | null;
  seconds: number;
}

export type Call =
  | { method: 'init'; backend: BackendChoice }
  | { method: 'presets' }
  | { method: 'usage' }
  | { method: 'saxpy'; a: number; x: Float32Array; y: Float32Array }
  | { method: 'measure'; spec: string; batch: number }
  | { method: 'presetSpec'; name: string }
  | { method: 'summary'; spec: string; batch: number }
  | { method: 'createModel'; source: ModelSource; batch: number; seed: number; cpu: boolean }
  | { method: 'fit'; model: number; images: Uint8Array | Float32Array; labels: Uint8Array; options: FitOptionsWire }
  | { method: 'evaluate'; model: number; images: Uint8Array | Float32Array; labels: Uint8Array }
  | { method: 'features'; model: number; x: Float32Array; layers: string[] }
  | { method: 'copyWeights'; model: number; from: number }
  | { method: 'configure'; model: number; labels?: string[]; preprocessing?: string }
  | { method: 'predict'; model: number; x: Float32Array }
  | { method: 'inspect'; model: number; x: Float32Array }
  | { method: 'save'; model: number; format: 'f32' | 'f16' | 'int8' }
  | { method: 'disposeModel'; model: number }
  | { method: 'toDigit'; ink: Uint8Array; width: number; height: number };

export type ToApiWorker =
  | { type: 'call'; id: number; call: Call }
  | { type: 'abort'; id: number }
  /** A message for one <convplay-train> session (created on its first message). */
  | { type: 'session'; session: number; message: ToWorker }
  | { type: 'close-session'; session: number };

export type FromApiWorker =
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; message: string; name?: string }
  | { type: 'progress'; id: number; progress: FitProgress }
  | { type: 'epoch'; id: number; epoch: FitEpoch }
  | { type: 'session'; session: number; message: FromWorker };

export type { EngineInfo, InsideData };
