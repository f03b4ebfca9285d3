// Steps 2–4 of <convplay-transfer> behind the page: the seeded split of each class, the
// augmented copies of training images, and the frozen base's outputs for each image variant —
// the pooled features the head reads and the cut the fine-tuned top starts from — computed
// once and cached. Then the three sets (train, validation, test) both training steps use.

import type { Model } from '../../api/index';
import {
  drawCrop,
  rng,
  split,
  stats,
  toValues,
  type AugmentOptions,
  type Normalisation,
  type Part,
  type Plan,
} from '../../transfer';
import type { Sample, TaughtClass } from './photos';

/** The base's input side, and the centre crop's share of a photo's shorter side. */
export const SIZE = 224;
const CROP = 0.875;
/** Images per pass through the base (the batch it is loaded with). */
export const BASE_BATCH = 4;

/** What the cached outputs depend on besides the photo. */
export interface FeatureSettings {
  fractions: [number, number, number];
  seed: number;
  /** Augmented copies of each training image. */
  copies: number;
  augment: AugmentOptions;
  normalisation: Normalisation;
}

/** One part's base outputs, image after image, with the class of each. */
export interface PartSet {
  pooled: Float32Array;
  cut: Float32Array;
  labels: Uint8Array;
}

export type Sets = Record<Part, PartSet>;

/** A model's accuracy on a part, and its confusion matrix (rows true, columns predicted). */
export interface Outcome {
  accuracy: number;
  matrix: number[][];
}

/** The part (train, val, test) of each image of each class. */
export function parts(classes: TaughtClass[], s: Pick<FeatureSettings, 'fractions' | 'seed'>): Part[][] {
  return split(
    classes.map((c) => c.samples.length),
    s.fractions,
    s.seed,
  );
}

/** Variant 0 of a photo is its centre crop; variant v > 0 its v-th augmented copy, the same
 * for the same seed, photo and settings. */
export function variantCanvas(
  s: Sample,
  variant: number,
  o: Pick<FeatureSettings, 'seed' | 'augment'>,
): OffscreenCanvas {
  if (variant === 0) return drawCrop(s.image, SIZE, CROP);
  return drawCrop(s.image, SIZE, CROP, o.augment, rng((o.seed * 7919) ^ (s.id * 104729) ^ (variant * 15485863)));
}

interface Job {
  s: Sample;
  variant: number;
  part: Part;
  label: number;
}

/** Base outputs of image variants, kept for as long as the page lives. */
export class FeatureCache {
  private cache = new Map<string, { pooled: Float32Array; cut: Float32Array }>();

  private key(s: Sample, variant: number, o: FeatureSettings): string {
    return `${s.id}:${variant}:${o.normalisation}:${o.seed}:${JSON.stringify(o.augment)}`;
  }

  /** Forgets every variant of these photos. */
  forget(samples: Sample[]): void {
    for (const s of samples)
      for (const key of [...this.cache.keys()]) if (key.startsWith(`${s.id}:`)) this.cache.delete(key);
  }

  /** Base outputs for every image (and the augmented copies of training images), from the
   * cache where present, then the three sets in a fixed order (class by class). `onStatus`
   * hears the progress. `inputStats` are the mean and std of the values fed to the base; when
   * every output came from the cache they are measured on one image if `knownStats` is null,
   * else left out (null: keep the known ones). */
  async extract(
    model: Model,
    plan: Plan,
    classes: TaughtClass[],
    o: FeatureSettings,
    knownStats: { mean: number; std: number } | null,
    onStatus: (status: string) => void,
  ): Promise<{ sets: Sets; inputStats: { mean: number; std: number } | null; photos: number; copies: number }> {
    const pre = model.info.preprocessing;
    const mean = pre.mean ?? [127, 127, 127];
    const std = pre.std ?? [128, 128, 128];
    const partOf = parts(classes, o);
    const jobs: Job[] = [];
    classes.forEach((c, label) =>
      c.samples.forEach((s, i) => {
        const part = partOf[label][i];
        const variants = part === 'train' ? 1 + o.copies : 1;
        for (let v = 0; v < variants; v++) jobs.push({ s, variant: v, part, label });
      }),
    );
    const todo = jobs.filter((j) => !this.cache.has(this.key(j.s, j.variant, o)));
    let sum = 0;
    let sq = 0;
    let count = 0;
    const t0 = performance.now();
    for (let i = 0; i < todo.length; i += BASE_BATCH) {
      const batch = todo.slice(i, i + BASE_BATCH);
      const x = new Float32Array(batch.length * SIZE * SIZE * 3);
      batch.forEach((j, b) => {
        const c = variantCanvas(j.s, j.variant, o);
        const img = c.getContext('2d')!.getImageData(0, 0, SIZE, SIZE);
        const v = toValues(img, o.normalisation, mean, std);
        x.set(v, b * v.length);
      });
      for (const v of x) {
        sum += v;
        sq += v * v;
      }
      count += x.length;
      const [cut, pooled] = await model.features(x, [plan.cache.name, plan.pool.name]);
      const cutPer = cut.length / batch.length;
      batch.forEach((j, b) => {
        this.cache.set(this.key(j.s, j.variant, o), {
          pooled: pooled.slice(b * plan.pool.size, (b + 1) * plan.pool.size),
          cut: cut.slice(b * cutPer, (b + 1) * cutPer),
        });
      });
      const done = Math.min(i + BASE_BATCH, todo.length);
      const ms = (performance.now() - t0) / done;
      onStatus(
        `features: ${done} / ${todo.length} images (${ms.toFixed(0)} ms per image; ${jobs.length - todo.length} from the cache)`,
      );
    }
    let inputStats: { mean: number; std: number } | null = null;
    if (count > 0) {
      const mean0 = sum / count;
      inputStats = { mean: mean0, std: Math.sqrt(Math.max(0, sq / count - mean0 * mean0)) };
    } else if (!knownStats) {
      // Everything came from the cache: measure one image for the check.
      const img = variantCanvas(jobs[0].s, 0, o).getContext('2d')!.getImageData(0, 0, SIZE, SIZE);
      inputStats = stats(toValues(img, o.normalisation, mean, std));
    }
    const gather = (part: Part): PartSet => {
      const chosen = jobs.filter((j) => j.part === part);
      const first = chosen.length ? this.cache.get(this.key(chosen[0].s, chosen[0].variant, o))! : null;
      const pooled = new Float32Array(chosen.length * plan.pool.size);
      const cut = new Float32Array(chosen.length * (first?.cut.length ?? 0));
      chosen.forEach((j, i) => {
        const c = this.cache.get(this.key(j.s, j.variant, o))!;
        pooled.set(c.pooled, i * plan.pool.size);
        cut.set(c.cut, i * c.cut.length);
      });
      return { pooled, cut, labels: Uint8Array.from(chosen, (j) => j.label) };
    };
    const copies = jobs.filter((j) => j.variant > 0).length;
    return {
      sets: { train: gather('train'), val: gather('val'), test: gather('test') },
      inputStats,
      photos: jobs.length - copies,
      copies,
    };
  }
}

/** Train and validation inputs in one array (validation last, as `fit` holds out), with the
 * validation split that holds out exactly the validation part. */
export function trainVal(
  sets: Sets,
  which: 'pooled' | 'cut',
): { images: Float32Array; labels: Uint8Array; split: number } {
  const { train, val } = sets;
  const images = new Float32Array(train[which].length + val[which].length);
  images.set(train[which]);
  images.set(val[which], train[which].length);
  const labels = new Uint8Array(train.labels.length + val.labels.length);
  labels.set(train.labels);
  labels.set(val.labels, train.labels.length);
  // fit holds out floor(n · split) instances: aim between two counts so rounding cannot drop one.
  const n = labels.length;
  return { images, labels, split: val.labels.length ? (val.labels.length + 0.5) / n : 0 };
}

/** `m`'s accuracy and confusion matrix on one part (NaN and no matrix for an empty part). */
export async function outcome(m: Model, sets: Sets, which: 'pooled' | 'cut', part: Part): Promise<Outcome> {
  const s = sets[part];
  if (s.labels.length === 0) return { accuracy: NaN, matrix: [] };
  const r = await m.evaluate({ images: s[which], labels: s.labels });
  return { accuracy: r.accuracy, matrix: r.confusion };
}
