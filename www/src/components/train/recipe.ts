// What <convplay-train> trains with: its settings as a URL carries them, and a spec's recipe
// (its "training" object: what the preset recommends).

import { isDataSet, type DataSetName } from '../../datasets';

export type Optimizer = 'adam' | 'adamw' | 'sgd';
export type Schedule = 'constant' | 'step' | 'cosine' | 'onecycle';

/** Random affine augmentation of training images (all 0: off). */
export interface AugmentSettings {
  /** Up to ± this many pixels on each axis. */
  shift: number;
  /** Up to ± this many degrees. */
  rotateDeg: number;
  /** Scale within 1 ± this fraction. */
  scale: number;
}

/** The trainer's settings, as a URL carries them. */
export interface TrainState {
  preset: string | null;
  /** A custom spec's JSON (instead of a preset). */
  spec: string | null;
  epochs: number;
  batch: number;
  lr: number;
  optimizer: Optimizer;
  schedule: Schedule;
  augment: AugmentSettings;
  trainImages: number;
  testImages: number;
  seed: number;
  /** The data set (absent: MNIST). */
  dataset?: DataSetName;
  /** How the model keeps its activations (absent: f32); f16 needs a GPU with shader-f16. */
  activations?: 'f32' | 'f16';
}

/** A spec's "training" object (docs/spec.md). */
export interface Recipe {
  epochs?: number;
  batch?: number;
  optimizer?: Optimizer;
  lr?: number;
  weight_decay?: number;
  schedule?: Schedule;
  augment?: { shift?: number; rotate_deg?: number; scale?: number };
}

/** The recipe of a spec's JSON text; null when the text is not JSON (training reports that). */
export function readRecipe(specText: string): Recipe | null {
  try {
    return (JSON.parse(specText) as { training?: Recipe }).training ?? {};
  } catch {
    return null;
  }
}

/** The augmentation a recipe asks for (none when it names none). */
export function recipeAugment(r: Recipe): AugmentSettings {
  return { shift: r.augment?.shift ?? 0, rotateDeg: r.augment?.rotate_deg ?? 0, scale: r.augment?.scale ?? 0 };
}

/** The recipe in words, e.g. "mnist-quick's recipe: 1 epoch, batch 32, adam, lr 0.003, onecycle"; '' without one. */
export function recipeNote(model: string, r: Recipe): string {
  const parts = [
    r.epochs && `${r.epochs} epoch${r.epochs > 1 ? 's' : ''}`,
    r.batch && `batch ${r.batch}`,
    r.optimizer,
    r.weight_decay !== undefined && `weight decay ${r.weight_decay}`,
    r.lr && `lr ${r.lr}`,
    r.schedule,
  ].filter(Boolean);
  return parts.length ? `${model}'s recipe: ${parts.join(', ')}` : '';
}

/** MNIST digits are 28×28×1: a model with another input cannot train on them. */
export function checkMnistInput(specText: string): void {
  let input: unknown = null;
  try {
    const parsed = JSON.parse(specText) as { input?: unknown; input_shape?: unknown };
    input = parsed.input ?? parsed.input_shape;
  } catch {
    return; // not JSON: the engine says what is wrong with it
  }
  if (Array.isArray(input) && !['28,28,1', '784'].includes(input.join(','))) {
    throw new Error(
      `MNIST digits are 28×28×1 (784 values), but this model's input is [${input.join(', ')}]; set "input": [28, 28, 1] in its spec`,
    );
  }
}

/** The settings of a trainer, the model aside (a copy: later changes to the trainer do not reach it). */
export function stateOf(
  el: Omit<TrainState, 'preset' | 'spec' | 'dataset'> & { dataSet: string },
): Omit<TrainState, 'preset' | 'spec'> {
  const { epochs, batch, lr, optimizer, schedule, augment, trainImages, testImages, seed } = el;
  const dataset = isDataSet(el.dataSet) ? el.dataSet : 'mnist';
  const activations = el.activations === 'f16' ? 'f16' : 'f32';
  return {
    ...{ epochs, batch, lr, optimizer, schedule, augment: { ...augment }, trainImages, testImages, seed },
    ...{ dataset, activations },
  };
}
