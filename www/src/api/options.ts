// The options and results of the API's calls that are not wire types (protocol.ts): what a
// caller passes to `model.fit` and what `model.predict` resolves with.

import type { HeldData } from './handles';
import type { DataWire, FitCheckpoint, FitEpoch, FitLook, FitProgress, FitOptionsWire } from './protocol';

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
  /** Weight decay: decoupled for AdamW (default 0.004, Keras's), L2 for Adam and SGD (default 0). */
  weightDecay?: number;
  schedule?: 'constant' | 'step' | 'cosine' | 'onecycle';
  /** Random affine augmentation on the device: ± pixels, ± degrees, ± fraction. */
  augment?: { shift?: number; rotateDeg?: number; scale?: number };
  /** Fraction of the images held out (the last ones) for validation. Default 0. */
  validationSplit?: number;
  seed?: number;
  /** Evaluated after every epoch: `testAccuracy` and `test` (confusion matrix, mistakes) in each epoch. */
  test?: Dataset | HeldData;
  /** How many misclassified test instances each epoch reports, with their inputs. Default 0. */
  mistakes?: number;
  /** A look inside the model while it trains: `activations` of this input (the model's input
   * values; u8 are scaled by 1/255) about every `lookEveryMs` ms (default 2000) and after
   * each epoch, given to `onLook`. `run.look(input)` changes it during the fit. */
  lookAt?: Float32Array | Uint8Array;
  lookEveryMs?: number;
  onLook?: (look: FitLook) => void;
  onProgress?: (p: FitProgress) => void;
  onEpoch?: (e: FitEpoch) => void;
  /** The weights at each epoch's end and on pausing (a ConvPlay weights file), to keep them
   * somewhere a crash of the engine cannot reach (IndexedDB); asking for it costs a save each time. */
  onCheckpoint?: (c: FitCheckpoint) => void;
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

/** `model.fit`'s options as the worker takes them: defaults filled in, each checked (a clear
 * Error names a bad one); `test` is set by the caller, which holds the data's wiring. */
export function fitOptions(options: FitOptions): FitOptionsWire {
  const o = {
    epochs: options.epochs ?? 1,
    batch: options.batch,
    lr: options.lr ?? 1e-3,
    optimizer: options.optimizer ?? 'adam',
    weightDecay: options.weightDecay,
    schedule: options.schedule ?? 'constant',
    augment: {
      shift: options.augment?.shift ?? 0,
      rotateDeg: options.augment?.rotateDeg ?? 0,
      scale: options.augment?.scale ?? 0,
    },
    validationSplit: options.validationSplit ?? 0,
    seed: options.seed ?? 1,
    test: null as DataWire | null,
    mistakes: options.mistakes ?? 0,
    checkpoint: options.onCheckpoint !== undefined,
    look:
      options.lookAt || options.onLook ? { input: options.lookAt ?? null, everyMs: options.lookEveryMs ?? 2000 } : null,
  };
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new Error(`epochs ${o.epochs} must be a whole number ≥ 1`);
  if (o.batch !== undefined && !(Number.isInteger(o.batch) && o.batch >= 1))
    throw new Error(`batch ${o.batch} must be a whole number ≥ 1`);
  if (!(o.validationSplit >= 0 && o.validationSplit < 1))
    throw new Error(`validationSplit ${o.validationSplit} must be in [0, 1)`);
  if (o.weightDecay !== undefined && !(o.weightDecay >= 0 && o.weightDecay < 1))
    throw new Error(`weightDecay ${o.weightDecay} must be a number from 0 up to (not including) 1, e.g. 0.004`);
  if (!(Number.isInteger(o.mistakes) && o.mistakes >= 0))
    throw new Error(`mistakes ${o.mistakes} must be a whole number ≥ 0`);
  return o;
}
