// The options and results of the API's calls that are not wire types (protocol.ts): what a
// caller passes to `model.fit` and what `model.predict` resolves with.

import type { HeldData } from './handles';
import type { FitCheckpoint, FitEpoch, FitLook, FitProgress } from './protocol';

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
