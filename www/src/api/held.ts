// A model as the engine worker holds it, and what the worker says about it.

import type { ConvPlayEngine } from '../engine';
import type { Trainer } from '../../pkg/convplay.js';
import type { Control } from './fit';
import type { ModelInfo } from './protocol';

/** A model and what it runs on. `busy` counts the calls using it: a model disposed while
 * one runs (a fit, a prediction awaiting its readback) is freed when the last one ends. */
export interface HeldModel {
  trainer: Trainer;
  info: ModelInfo;
  /** The engine it was created on; a rebuild for a new batch size stays there. */
  engine: ConvPlayEngine;
  busy: number;
  disposed: boolean;
  /** The fit running on it. */
  fitting: Control | null;
}

export function describe(trainer: Trainer, id: number, batch: number, on: ConvPlayEngine): ModelInfo {
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
    positions: trainer.positions,
    batch,
    backend: on.info.kind,
    activations: trainer.activations as 'f32' | 'f16',
    spec: text,
    preprocessing: JSON.parse(trainer.preprocessingJson) as ModelInfo['preprocessing'],
  };
}

export function perInstance(info: ModelInfo): number {
  return info.input.reduce((a, b) => a * b, 1);
}

/** Hands a trainer its training or evaluation data: u8 pixels or f32 values. */
export function load(trainer: Trainer, which: 'train' | 'eval', images: Uint8Array | Float32Array, labels: Uint8Array) {
  if (images instanceof Float32Array) {
    if (which === 'train') trainer.setTrainValues(images, labels);
    else trainer.setEvalValues(images, labels);
  } else if (which === 'train') trainer.setTrainData(images, labels);
  else trainer.setEvalData(images, labels);
}
