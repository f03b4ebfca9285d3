// Semantic segmentation in the API: synthetic MNIST scenes held in the worker
// (`engine.scenes`, made by crate/src/data/scenes.rs) and the class map of a segmentation
// model's output. docs/api.md, "Segmentation".

import type { SceneOptions, SegmentIou } from './protocol';

export type { SceneOptions, SegmentIou };

/** The classes of a scene: digits 0–9, then the background (class 10). */
export const SCENE_CLASSES = 11;
export const BACKGROUND = 10;
/** The seed of the held-out scenes the CLI reports mean IoU on (`convplay segment`; data/scenes.rs). */
export const EVAL_SEED = 20261204;

/** Checks `engine.scenes`' arguments; returns the count, seed and scene settings to send. */
export function sceneArgs(
  split: string,
  options: SceneOptions & { count?: number; seed?: number },
): { count: number; seed: number; options: SceneOptions } {
  if (split !== 'train' && split !== 'test')
    throw new Error(`unknown MNIST split "${split}": use "train" (for training scenes) or "test" (held out)`);
  const count = options.count ?? 500;
  if (!Number.isInteger(count) || count < 1) throw new Error(`count ${count} must be a whole number ≥ 1`);
  const seed = options.seed ?? (split === 'test' ? EVAL_SEED : 1);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`seed ${seed} must be a whole number ≥ 0`);
  const { size, minDigits, maxDigits, minScale, maxScale, maxOverlap } = options;
  return { count, seed, options: { size, minDigits, maxDigits, minScale, maxScale, maxOverlap } };
}

/** The most probable class at each position of `n` maps of probabilities (n × positions ×
 * classes, as `predictBatch` returns them for a model that ends in a map): n × positions labels. */
export function classMaps(probabilities: Float32Array, classes: number): Uint8Array {
  if (classes < 1 || probabilities.length % classes !== 0)
    throw new Error(`${probabilities.length} probabilities are not whole positions of ${classes} classes`);
  const out = new Uint8Array(probabilities.length / classes);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probabilities[i * classes + c] > probabilities[i * classes + best]) best = c;
    out[i] = best;
  }
  return out;
}
