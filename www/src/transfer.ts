// Transfer learning, the steps of the exercise as plain functions: a seeded stratified
// split, image augmentation (random crop, flip, brightness), and the spec surgery that
// turns a pretrained base into (1) a head trained on cached pooled features, (2) a top
// part that fine-tunes from a cached intermediate output with the layers below the chosen
// block frozen and every batch norm in inference mode, and (3) the whole new model.

import type { Summary } from './types';

export interface LayerJson {
  type: string;
  name?: string;
  layers?: LayerJson[];
  trainable?: boolean;
  [k: string]: unknown;
}

export interface SpecJson {
  name?: string;
  description?: string;
  input: number[];
  layers: LayerJson[];
  [k: string]: unknown;
}

/** Where a base model is cut. Indices are top-level layers; names are the engine's. */
export interface Plan {
  /** The global average pool whose output (the features) feeds the head. */
  pool: { index: number; name: string; size: number };
  /** The output cached for fine-tuning: the input of the lowest block that may be unfrozen. */
  cache: { index: number; name: string; shape: number[] };
  /** Where unfreezing may start, lowest first, with the parameters each choice trains. */
  points: { index: number; name: string; params: number }[];
}

/** Finds the pool, the blocks that may be unfrozen (the last `count`), and the cache point. */
export function planFor(spec: SpecJson, summary: Summary, layerNames: string[], count = 4): Plan {
  const pool = spec.layers.findIndex((l) => l.type === 'global_avg_pool2d');
  if (pool < 1)
    throw new Error(
      `${spec.name ?? 'the base'} has no global_avg_pool2d layer after its convolutions, so it has no feature vector to train a new head on`,
    );
  const top = summary.rows.filter((r) => r.depth === 0);
  if (top.length !== spec.layers.length || layerNames.length !== spec.layers.length)
    throw new Error('the summary and the spec of the base disagree; reload the base model');
  const starts = (f: (l: LayerJson) => boolean) =>
    spec.layers
      .map((l, i) => [l, i] as const)
      .filter(([l, i]) => i > 0 && i < pool && f(l))
      .map(([, i]) => i);
  let idx = starts((l) => l.type === 'residual' || (l.name ?? '').endsWith('expand_conv') || l.name === 'conv_head');
  if (idx.length === 0) idx = starts((l) => ['conv2d', 'separable_conv2d', 'residual'].includes(l.type));
  if (idx.length === 0)
    throw new Error(`${spec.name ?? 'the base'} has no convolution before its pooling to fine-tune`);
  idx = idx.slice(-count);
  // Rows of every depth between top-level layer i and the pool (blocks' inner layers included).
  const rowOf = summary.rows
    .map((r, k) => [r, k] as const)
    .filter(([r]) => r.depth === 0)
    .map(([, k]) => k);
  const trainableFrom = (i: number) => summary.rows.slice(rowOf[i], rowOf[pool]).reduce((s, r) => s + r.trainable, 0);
  const cacheIndex = idx[0] - 1;
  return {
    pool: { index: pool, name: layerNames[pool], size: top[pool].output.reduce((a, b) => a * b, 1) },
    cache: { index: cacheIndex, name: layerNames[cacheIndex], shape: top[cacheIndex].output },
    points: idx.map((i) => ({ index: i, name: layerNames[i], params: trainableFrom(i) })),
  };
}

export interface HeadOptions {
  classes: number;
  /** Units of an optional hidden dense layer (0: none). */
  hidden: number;
  /** Dropout before the output layer (0: none). */
  dropout: number;
}

/** The new head's layers (named so that they never collide with the base's). */
export function headLayers(o: HeadOptions): LayerJson[] {
  if (!Number.isInteger(o.classes) || o.classes < 2 || o.classes > 10)
    throw new Error(`${o.classes} classes: teach 2 to 10 classes`);
  if (!Number.isInteger(o.hidden) || o.hidden < 0 || o.hidden > 4096)
    throw new Error(`hidden units ${o.hidden} must be a whole number from 0 (no hidden layer) to 4096`);
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new Error(`dropout ${o.dropout} must be in [0, 1)`);
  const layers: LayerJson[] = [];
  if (o.hidden > 0) layers.push({ type: 'dense', name: 'new_hidden', units: o.hidden, activation: 'relu' });
  if (o.dropout > 0) layers.push({ type: 'dropout', name: 'new_dropout', rate: o.dropout });
  layers.push({ type: 'dense', name: 'new_classes', units: o.classes, activation: 'softmax' });
  return layers;
}

/** The head alone, on the pooled features. */
export function headSpec(plan: Plan, o: HeadOptions): SpecJson {
  return { name: 'new-head', input: [plan.pool.size], layers: headLayers(o) };
}

function frozenBn(l: LayerJson): LayerJson {
  const c: LayerJson = { ...l };
  if (c.layers) c.layers = c.layers.map(frozenBn);
  if (c.type === 'batch_norm') c.trainable = false;
  return c;
}

/** The part fine-tuning trains: from the cached output to the new head. Layers below
 * `from` (a top-level index among the plan's points) are frozen; batch norms stay in
 * inference mode everywhere (Keras's advice for fine-tuning). */
export function topSpec(base: SpecJson, names: string[], plan: Plan, from: number, o: HeadOptions): SpecJson {
  if (!plan.points.some((p) => p.index === from))
    throw new Error(`layer ${from} is not one of the blocks that may be unfrozen`);
  const layers = base.layers.slice(plan.cache.index + 1, plan.pool.index + 1).map((l, k) => {
    const i = plan.cache.index + 1 + k;
    const c = frozenBn(l);
    if (i < from) c.trainable = false;
    return c;
  });
  return {
    name: `${base.name ?? 'base'}-top`,
    input: plan.cache.shape,
    layers: [...named(layers, names, plan.cache.index + 1), ...headLayers(o)],
  };
}

/** The whole new model: the base up to its pool, then the new head. */
export function fullSpec(base: SpecJson, names: string[], plan: Plan, o: HeadOptions, labels: string[]): SpecJson {
  const layers = named(base.layers.slice(0, plan.pool.index + 1), names, 0);
  return {
    name: `${base.name ?? 'base'}-${labels.length}-classes`,
    description: `${base.name ?? 'A pretrained base'} with a new head for ${labels.join(', ')}, taught in ConvPlay.`,
    input: base.input,
    layers: [...layers, ...headLayers(o)],
  };
}

/** Top-level layers keep the names the engine gave them in the base (auto names included),
 * so a cut-out part's parameters match the base's by name. */
function named(layers: LayerJson[], names: string[], offset: number): LayerJson[] {
  return layers.map((l, k) => (l.name ? l : { ...l, name: names[offset + k] }));
}

/** A small seeded generator (mulberry32), for splits and augmentation. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Part = 'train' | 'val' | 'test';

/** A stratified split: each class's images are shuffled with `seed` and cut by the
 * fractions (train, validation, test); every class with ≥ 3 images gets at least one in each. */
export function split(counts: number[], fractions: [number, number, number], seed: number): Part[][] {
  const [ft, fv, fs] = fractions;
  if (![ft, fv, fs].every((f) => f >= 0) || Math.abs(ft + fv + fs - 1) > 1e-6 || ft <= 0) {
    throw new Error(
      `split ${fractions.map((f) => Math.round(100 * f)).join('/')}: the three parts must be ≥ 0, training > 0, and add up to 100%`,
    );
  }
  const r = rng(seed);
  return counts.map((n) => {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let nVal = Math.round(n * fv);
    let nTest = Math.round(n * fs);
    if (n >= 3) {
      if (fv > 0) nVal = Math.max(1, nVal);
      if (fs > 0) nTest = Math.max(1, nTest);
    }
    while (n - nVal - nTest < 1 && (nVal > 0 || nTest > 0)) {
      if (nVal >= nTest && nVal > 0) nVal--;
      else nTest--;
    }
    const parts = new Array<Part>(n);
    order.forEach((img, k) => (parts[img] = k < n - nVal - nTest ? 'train' : k < n - nTest ? 'val' : 'test'));
    return parts;
  });
}

export interface AugmentOptions {
  /** Smallest crop side, as a fraction of the base crop's side (1: no random crop). */
  minCrop: number;
  flip: boolean;
  /** Brightness is multiplied by a factor in 1 ± this. */
  brightness: number;
}

/** Draws `image` at size×size: the centre square of `crop` of its shorter side, or (with
 * `aug` and a generator) a random square inside it, maybe mirrored, with its brightness scaled. */
export function drawCrop(
  image: CanvasImageSource & { width: number; height: number },
  size: number,
  crop: number,
  aug?: AugmentOptions,
  r?: () => number,
): OffscreenCanvas {
  const iw = 'naturalWidth' in image ? image.naturalWidth : image.width;
  const ih = 'naturalHeight' in image ? image.naturalHeight : image.height;
  const base = Math.min(iw, ih) * crop;
  let side = base;
  let x = (iw - base) / 2;
  let y = (ih - base) / 2;
  let flip = false;
  let gain = 1;
  if (aug && r) {
    side = base * (aug.minCrop + (1 - aug.minCrop) * r());
    x += (base - side) * r();
    y += (base - side) * r();
    flip = aug.flip && r() < 0.5;
    gain = 1 + aug.brightness * (2 * r() - 1);
  }
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('this browser gives no 2D canvas context');
  ctx.imageSmoothingQuality = 'high';
  if (flip) {
    ctx.translate(size, 0);
    ctx.scale(-1, 1);
  }
  if (gain !== 1) ctx.filter = `brightness(${gain})`;
  ctx.drawImage(image, x, y, side, side, 0, 0, size, size);
  return canvas;
}

/** How inputs are turned into values: what the base expects, or one of the classic mistakes. */
export type Normalisation = 'model' | 'unit' | 'torchvision';

export const NORMALISATIONS: Record<Normalisation, string> = {
  model: 'as the base expects',
  unit: 'pixels ÷ 255 (a classic mistake)',
  torchvision: 'ImageNet mean/std of torchvision (another model’s)',
};

/** RGBA pixels to the base's input values under a normalisation. */
export function toValues(img: ImageData, how: Normalisation, mean: number[], std: number[]): Float32Array {
  const n = img.width * img.height;
  const x = new Float32Array(3 * n);
  const tv = { mean: [0.485 * 255, 0.456 * 255, 0.406 * 255], std: [0.229 * 255, 0.224 * 255, 0.225 * 255] };
  const [m, s] =
    how === 'model'
      ? [mean, std]
      : how === 'torchvision'
        ? [tv.mean, tv.std]
        : [
            [0, 0, 0],
            [255, 255, 255],
          ];
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) x[3 * i + k] = (img.data[4 * i + k] - m[k]) / s[k];
  return x;
}

/** Mean and standard deviation of values. */
export function stats(x: Float32Array): { mean: number; std: number } {
  let sum = 0;
  let sq = 0;
  for (const v of x) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / Math.max(1, x.length);
  return { mean, std: Math.sqrt(Math.max(0, sq / Math.max(1, x.length) - mean * mean)) };
}

/** What the base was trained on, for values prepared as its preprocessing says: mean and
 * std of a typical photo after it. With (x − 127) / 128 that is about 0 and 0.5. */
export const EXPECTED = { mean: 0, std: 0.5 };

/** A warning when prepared inputs are far from what the base expects, else null. With `how`
 * the base's own normalisation, the preprocessing is right and the photos themselves are unusual
 * (dark, bright or flat): the warning says so instead of asking for the setting already chosen. */
export function checkStats(
  s: { mean: number; std: number },
  expected = EXPECTED,
  how: Normalisation | null = null,
): string | null {
  if (Math.abs(s.mean - expected.mean) > 0.35 || s.std < 0.25 * expected.std || s.std > 2.5 * expected.std) {
    const figures = `the prepared images have mean ${s.mean.toFixed(2)} and std ${s.std.toFixed(2)}`;
    if (how === 'model') {
      const what =
        s.std < 0.25 * expected.std
          ? 'nearly uniform'
          : s.mean < expected.mean
            ? 'dark'
            : s.mean > expected.mean
              ? 'bright'
              : 'very contrasty';
      return `the photos are ${what}: ${figures}, where typical photos give about ${expected.mean} and ${expected.std}. The preparation is already the base's own; such photos are far from what it has seen, so expect weaker features: add photos in ordinary light.`;
    }
    return `${figures}, but the base was trained on inputs with mean ≈ ${expected.mean} and std ≈ ${expected.std}. Features of such inputs are far from anything the base has seen; this is the preprocessing mismatch that leaves transfer learning at 11–19% test accuracy. Use the base's own normalisation.`;
  }
  return null;
}

/** A fraction as a percentage with one decimal, or a dash for none. */
export function pct(v: number | null | undefined): string {
  return v === null || v === undefined || Number.isNaN(v) ? '—' : `${(100 * v).toFixed(1)}%`;
}
