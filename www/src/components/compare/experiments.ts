// The experiments of <convplay-compare>: the course's exercises that compare models trained on the same
// data, with the same seed and the same budget. Each names its arms (a preset, a preset changed by a
// rule, or a spec written here), its budget, and what the learner should see and why. Pure data and
// functions, no engine: tests/unit/compare.test.ts checks them.

import { PRESETS } from '../../url-state';

export type Preset = (typeof PRESETS)[number];

/** A spec as an object (docs/spec.md). */
export interface SpecObject {
  name?: string;
  input: number[];
  layers: Record<string, unknown>[];
  [field: string]: unknown;
}

/** Where an arm's model comes from: a preset, a preset without its batch-norm layers, or a spec. */
export type ArmSource = { preset: Preset; withoutBatchNorm?: boolean } | { spec: SpecObject };

export interface Arm {
  /** Its name in the chart's legend and the table. */
  label: string;
  source: ArmSource;
}

/** What every arm of a run gets: the same images, epochs, batch, seed and learning rate (Adam, constant). */
export interface Budget {
  /** The first N MNIST training images. */
  images: number;
  epochs: number;
  batch: number;
  /** The first N MNIST test images, evaluated after each epoch. */
  testImages: number;
  seed: number;
  lr: number;
}

export const EXPERIMENT_IDS = ['cnn-vs-dense', 'pool-vs-strided', 'lrn', 'batch-norm', 'precision', 'custom'] as const;
export type ExperimentId = (typeof EXPERIMENT_IDS)[number];

export interface Experiment {
  id: ExperimentId;
  title: string;
  /** The question it answers, in the course's words. */
  question: string;
  /** What to expect, and why: one or two sentences shown above the run. */
  expect: string;
  /** The arms (custom: chosen by the user). */
  arms: Arm[];
  /** Train arms[0] once, then save it as f32, f16 and int8, load each back and evaluate it. */
  precision: boolean;
  budget: Budget;
}

/** The weights storages the precision experiment compares, largest first (docs/formats.md). */
export const STORAGES = ['f32', 'f16', 'int8'] as const;
export type Storage = (typeof STORAGES)[number];

/** A small AlexNet in the spirit of the 2012 network, for 28×28 digits: a large first kernel, ReLU,
 * local response normalisation after the first two convolutions (with AlexNet's k = 2, n = 5, α = 10⁻⁴,
 * β = 0.75), max pooling, three 3×3 convolutions, a dense layer with dropout. `lrn: false` is the same
 * network with the two LRN layers left out (they have no parameters, so the counts are equal). */
export function alexnetStyle(lrn: boolean): SpecObject {
  const norm = lrn ? [{ type: 'lrn', depth_radius: 2, bias: 2, alpha: 0.0001, beta: 0.75 }] : [];
  return {
    name: lrn ? 'alexnet-style-lrn' : 'alexnet-style',
    description: `A small AlexNet-style network for MNIST, ${lrn ? 'with' : 'without'} local response normalisation (ConvPlay's compare view).`,
    input: [28, 28, 1],
    layers: [
      { type: 'conv2d', filters: 32, kernel_size: 5, padding: 'same', activation: 'relu' },
      ...norm,
      { type: 'max_pool2d', pool_size: 2 },
      { type: 'conv2d', filters: 64, kernel_size: 3, padding: 'same', activation: 'relu' },
      ...norm,
      { type: 'max_pool2d', pool_size: 2 },
      { type: 'conv2d', filters: 96, kernel_size: 3, padding: 'same', activation: 'relu' },
      { type: 'conv2d', filters: 64, kernel_size: 3, padding: 'same', activation: 'relu' },
      { type: 'max_pool2d', pool_size: 2 },
      { type: 'flatten' },
      { type: 'dense', units: 128, activation: 'relu' },
      { type: 'dropout', rate: 0.5 },
      { type: 'dense', units: 10, activation: 'softmax' },
    ],
  };
}

/** The spec without its batch-norm layers (inside residual blocks and concat branches too), named
 * `<name>-no-bn`, without the preset's recipe. */
export function withoutBatchNorm(spec: SpecObject): SpecObject {
  type Layer = Record<string, unknown>;
  const strip = (layers: Layer[]): Layer[] =>
    layers
      .filter((l) => !['batch_norm', 'BatchNormalization'].includes(String(l.type)))
      .map((l) => {
        const out: Layer = { ...l };
        if (Array.isArray(l.layers)) out.layers = strip(l.layers as Layer[]);
        if (Array.isArray(l.branches)) out.branches = (l.branches as Layer[][]).map(strip);
        return out;
      });
  const rest: SpecObject = { ...spec };
  delete rest.training;
  return { ...rest, name: `${spec.name ?? 'model'}-no-bn`, layers: strip(spec.layers) };
}

const budget = (images: number, epochs: number): Budget => ({
  images,
  epochs,
  batch: 64,
  testImages: 2000,
  seed: 1,
  lr: 0.001,
});

export const EXPERIMENTS: Record<ExperimentId, Experiment> = {
  'cnn-vs-dense': {
    id: 'cnn-vs-dense',
    title: 'A CNN vs a dense network of the same size',
    question: 'Exercise 1: why use a CNN rather than a deep fully connected network for image classification?',
    expect:
      'With about the same number of parameters (≈ 122k and 118k), the CNN reaches a clearly higher test accuracy: its small kernels are shared across the image and look at neighbouring pixels, which suits digits, while the dense network must learn every position separately. The price is compute: the CNN does about twenty times the multiply-adds per image, so it trains more slowly.',
    arms: [
      { label: 'CNN (seed-001)', source: { preset: 'seed-001' } },
      { label: 'dense (mlp)', source: { preset: 'mlp' } },
    ],
    precision: false,
    budget: budget(6000, 2),
  },
  'pool-vs-strided': {
    id: 'pool-vs-strided',
    title: 'Max pooling vs strided convolutions',
    question: 'Exercise 4: what does a pooling layer do, and could a convolution with a stride of 2 replace it?',
    expect:
      'Both halve the feature maps, and the accuracies end close. Max pooling has no parameters and little compute: it keeps the strongest response in each 2×2 window, which gives some invariance to small shifts. A strided convolution learns its own downsampling, at the cost of extra parameters and multiply-adds (and so training time).',
    arms: [
      { label: 'max pooling (seed-001)', source: { preset: 'seed-001' } },
      { label: 'strided conv (seed-001-strided)', source: { preset: 'seed-001-strided' } },
    ],
    precision: false,
    budget: budget(6000, 2),
  },
  lrn: {
    id: 'lrn',
    title: 'With and without local response normalisation',
    question: 'AlexNet normalised its first layers with LRN: does it help?',
    expect:
      'Expect little or no difference in accuracy: LRN (a neuron damped by its neighbours in the channels, with no parameters) was found to matter little after AlexNet and was dropped for batch normalisation. It still costs time at every step, so the LRN run is slower.',
    arms: [
      { label: 'AlexNet-style with LRN', source: { spec: alexnetStyle(true) } },
      { label: 'AlexNet-style without LRN', source: { spec: alexnetStyle(false) } },
    ],
    precision: false,
    budget: budget(6000, 1),
  },
  'batch-norm': {
    id: 'batch-norm',
    title: 'With and without batch normalisation',
    question: 'What does batch normalisation buy a deep network?',
    expect:
      'With batch norm the loss falls faster and the test accuracy after a short budget is higher: each layer sees inputs of a steady scale, so the same learning rate makes faster progress. It adds few parameters (a scale and a shift per channel, plus the moving statistics, not trained) and some time per step. mnist-quick’s batch norms keep their moving statistics with momentum 0.9, so they settle within a short run; with Keras’s default 0.99 (seed-004) they need many more steps, and a short run tests badly: try seed-004 against mnist-quick in your own comparison.',
    arms: [
      { label: 'mnist-quick (batch norm)', source: { preset: 'mnist-quick' } },
      { label: 'mnist-quick without batch norm', source: { preset: 'mnist-quick', withoutBatchNorm: true } },
    ],
    precision: false,
    budget: budget(4000, 1),
  },
  precision: {
    id: 'precision',
    title: 'f32 vs f16 vs int8 weights of the same trained model',
    question: 'How much can a trained model be shrunk before it loses accuracy?',
    expect:
      'One model is trained, then saved three ways and loaded back: f16 halves the file and int8 (a scale per output channel) makes it about a quarter, while the test accuracy stays the same to within a few hundredths of a percent: the weights do not need more precision than that.',
    arms: [{ label: 'seed-001', source: { preset: 'seed-001' } }],
    precision: true,
    budget: budget(6000, 2),
  },
  custom: {
    id: 'custom',
    title: 'Your own comparison',
    question: 'Any presets, or the model lab’s spec, trained on the same data, seed and budget.',
    expect:
      'Whatever differs between the models is the only thing that differs between the runs: the same images in the same order, the same initial seed, the same optimizer and learning rate.',
    arms: [],
    precision: false,
    budget: budget(6000, 1),
  },
};

/** The arm of a custom model: a preset name, or a spec's JSON text. Throws a message that says what to fix. */
export function customArm(model: string): Arm {
  if ((PRESETS as readonly string[]).includes(model)) return { label: model, source: { preset: model as Preset } };
  if (!model.trimStart().startsWith('{'))
    throw new Error(`"${model}" is neither a preset (${PRESETS.join(', ')}) nor a spec's JSON`);
  let spec: unknown;
  try {
    spec = JSON.parse(model);
  } catch (e) {
    throw new Error(`a custom model is not JSON (${(e as Error).message}); encode the spec with encodeURIComponent`);
  }
  const s = spec as Partial<SpecObject> | null;
  if (!s || typeof s !== 'object' || !Array.isArray(s.input) || !Array.isArray(s.layers))
    throw new Error('a custom model\u2019s spec needs "input" and "layers" (docs/spec.md)');
  return { label: typeof s.name === 'string' && s.name ? s.name : 'custom spec', source: { spec: s as SpecObject } };
}

/** The arms of an experiment: its own, or for custom the models given (at least two). */
export function armsOf(id: ExperimentId, models: string[]): Arm[] {
  if (id !== 'custom') return EXPERIMENTS[id].arms;
  const arms = models.map(customArm);
  // Two arms of one name would share a row and a colour: number the repeats.
  const seen = new Map<string, number>();
  return arms.map((a) => {
    const n = (seen.get(a.label) ?? 0) + 1;
    seen.set(a.label, n);
    return n > 1 ? { ...a, label: `${a.label} (${n})` } : a;
  });
}

/** The spec of an arm (`presetSpec` gives a preset's), without the preset's recipe: the budget decides. */
export async function armSpec(arm: Arm, presetSpec: (name: string) => Promise<object>): Promise<SpecObject> {
  if ('spec' in arm.source) return arm.source.spec;
  const spec = (await presetSpec(arm.source.preset)) as SpecObject;
  return arm.source.withoutBatchNorm ? withoutBatchNorm(spec) : spec;
}

/** One colour per arm, told apart in print and by colour-blind readers (Okabe–Ito). */
export const ARM_COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000'];
