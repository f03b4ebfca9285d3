// Messages between the page and the training worker.
import type { EngineInfo, BackendChoice } from './engine';
import type { InsideData } from './types';

/** Random affine augmentation of training images (all 0: off). */
export interface AugmentSettings {
  /** Up to ± this many pixels on each axis. */
  shift: number;
  /** Up to ± this many degrees. */
  rotateDeg: number;
  /** Scale within 1 ± this fraction. */
  scale: number;
}

export interface TrainSettings {
  backend: BackendChoice;
  spec: string;
  epochs: number;
  batch: number;
  lr: number;
  optimizer: 'adam' | 'adamw' | 'sgd';
  schedule: 'constant' | 'step' | 'cosine' | 'onecycle';
  /** Training images taken from the start of the 60,000 (before the validation split). */
  trainImages: number;
  /** Fraction of those held out for validation (the last ones, as Keras's validation_split). */
  validationSplit: number;
  /** Test images evaluated after each epoch. */
  testImages: number;
  seed: number;
  augment: AugmentSettings;
  /** Absolute URL of the folder with the MNIST files. */
  dataUrl: string;
}

export type ToWorker =
  | { type: 'start'; settings: TrainSettings }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  /** The 28×28 digit (u8) to look inside the network with while training. */
  | { type: 'inspect-input'; pixels: Uint8Array }
  /** Load a weights file and evaluate it on the first `testImages` test digits. */
  | { type: 'evaluate-file'; bytes: Uint8Array; backend: BackendChoice; testImages: number; dataUrl: string };

export type FromWorker =
  | { type: 'ready'; info: EngineInfo; params: number; trainImages: number; valImages: number; testImages: number }
  | {
      type: 'progress';
      epoch: number;
      step: number;
      totalSteps: number;
      loss: number;
      accuracy: number;
      imagesPerSec: number;
      lr: number;
    }
  | {
      type: 'epoch';
      epoch: number;
      loss: number;
      accuracy: number;
      valAccuracy: number | null;
      testAccuracy: number;
      seconds: number;
      /** confusion[true][predicted] counts on the test images. */
      confusion: number[][];
      /** Up to 30 misclassified test digits (28×28 u8 each). */
      mistakes: Mistake[];
    }
  | { type: 'paused' }
  /** A look inside the model being trained (every couple of seconds and after each epoch). */
  | { type: 'inside'; data: InsideData; input: Uint8Array; step: number }
  /** `weights`: the trained model as a ConvPlay weights file (safetensors). */
  | { type: 'done'; stopped: boolean; weights: Uint8Array }
  | {
      type: 'evaluated';
      name: string;
      params: number;
      testAccuracy: number;
      testImages: number;
      confusion: number[][];
      mistakes: Mistake[];
    }
  | { type: 'error'; message: string };

export interface Mistake {
  index: number;
  pixels: Uint8Array;
  label: number;
  predicted: number;
}
