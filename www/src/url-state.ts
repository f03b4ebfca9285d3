// The playground's whole state in its URL, so a course author can link or iframe an exact
// exercise: ?view=train&preset=seed-004&epochs=3&batch=64&lr=0.001&schedule=cosine …

import { parseBackendChoice, type BackendChoice } from './engine';
import type { TrainState } from './components/convplay-train';
import { DATA_SET_NAMES } from './datasets';

/** Which cards a `view` shows (no view: all of them). */
export const VIEWS: Record<string, string[]> = {
  draw: ['draw-card', 'inside-card'],
  inside: ['draw-card', 'inside-card'],
  photo: ['photo-card'],
  teach: ['teach-card', 'photo-card'],
  model: ['model-card'],
  train: ['train-card', 'inside-card'],
  compare: ['compare-card'],
  zoo: ['zoo-card', 'train-card'],
  best: ['best-card'],
};

export interface PageState {
  backend: BackendChoice;
  /** Workers the CPU trains on (`?threads=`); undefined: the engine's default, the cores reported. */
  threads?: number;
  view: string | null;
  train: Partial<TrainState>;
  /** Problems with the URL, each with its fix; the rest of the URL still applies. */
  problems: string[];
}

/**
 * The presets a `preset=` may name: the engine's built-in specs, one per file in
 * www/public/presets/ (crate/src/presets.rs holds them; tests/unit/url-state.test.ts checks
 * that the three lists agree). Known here, before the engine loads, so that a bad name is
 * named at once and never reaches the components.
 */
export const PRESETS = [
  'mnist-quick',
  'seed-001',
  'seed-004',
  'lenet-5',
  'mlp',
  'course-3conv',
  'seed-001-strided',
  'alexnet-mini',
  'alexnet-mini-nolrn',
  'googlenet-mini',
  'resnet-mini',
  'se-resnet-mini',
  'xception-mini',
  'segment-mini',
  'mnist-best',
] as const;
const OPTIMIZERS = ['adam', 'adamw', 'sgd'] as const;
const SCHEDULES = ['constant', 'step', 'cosine', 'onecycle'] as const;

export function readUrl(params: URLSearchParams): PageState {
  const problems: string[] = [];
  const train: Partial<TrainState> = {};
  let backend: BackendChoice = 'auto';
  try {
    backend = parseBackendChoice(params.get('backend'));
  } catch (e) {
    problems.push((e as Error).message);
  }
  let threads: number | undefined;
  const rawThreads = params.get('threads');
  if (rawThreads !== null) {
    const t = Number(rawThreads);
    if (Number.isInteger(t) && t >= 1 && t <= 64) threads = t;
    else problems.push(`threads=${rawThreads} is not a whole number from 1 to 64 (the workers the CPU trains on)`);
  }
  let view = params.get('view');
  if (view !== null && !(view in VIEWS)) {
    problems.push(`unknown view "${view}": use ${Object.keys(VIEWS).join(', ')}`);
    view = null;
  }
  const num = (
    key: string,
    field: 'epochs' | 'batch' | 'trainImages' | 'testImages' | 'lr' | 'seed',
    whole: boolean,
  ) => {
    const raw = params.get(key);
    if (raw === null) return;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < (field === 'seed' ? 0 : Number.MIN_VALUE) || (whole && !Number.isInteger(v))) {
      problems.push(
        `${key}=${raw} is not ${field === 'seed' ? 'a whole number ≥ 0' : whole ? 'a whole number ≥ 1' : 'a positive number'}`,
      );
      return;
    }
    train[field] = v;
  };
  num('epochs', 'epochs', true);
  num('batch', 'batch', true);
  num('lr', 'lr', false);
  num('train-images', 'trainImages', true);
  num('test-images', 'testImages', true);
  num('seed', 'seed', true);
  const pick = <T extends string>(key: string, allowed: readonly T[]): T | undefined => {
    const raw = params.get(key);
    if (raw === null) return undefined;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${key}=${raw} is not one of ${allowed.join(', ')}`);
    return undefined;
  };
  const optimizer = pick('optimizer', OPTIMIZERS);
  if (optimizer) train.optimizer = optimizer;
  const schedule = pick('schedule', SCHEDULES);
  if (schedule) train.schedule = schedule;
  const aug = params.get('augment');
  if (aug !== null) {
    const parts = aug.split(',').map(Number);
    if (parts.length === 3 && parts.every((v) => Number.isFinite(v) && v >= 0))
      train.augment = { shift: parts[0], rotateDeg: parts[1], scale: parts[2] };
    else problems.push(`augment=${aug} should be SHIFT,ROTATE,SCALE (pixels, degrees, fraction), e.g. 2,10,0.1`);
  }
  const spec = params.get('spec');
  if (spec !== null) {
    try {
      JSON.parse(spec);
      train.spec = spec;
    } catch (e) {
      problems.push(`spec is not JSON (${(e as Error).message}); encode the spec with encodeURIComponent`);
    }
  }
  const dataset = pick('dataset', DATA_SET_NAMES);
  if (dataset) train.dataset = dataset;
  const activations = pick('activations', ['f32', 'f16'] as const);
  if (activations) train.activations = activations;
  const preset = pick('preset', PRESETS);
  if (preset && !train.spec) train.preset = preset;
  return { backend, threads, view, train, problems };
}

/** The URL of the page showing `view` (or everything) with these settings. */
export function writeUrl(
  base: string,
  backend: BackendChoice,
  view: string | null,
  s: TrainState,
  threads?: number,
): string {
  const url = new URL(base);
  url.search = '';
  url.hash = '';
  const p = url.searchParams;
  if (backend !== 'auto') p.set('backend', backend);
  if (threads !== undefined) p.set('threads', String(threads));
  if (view) p.set('view', view);
  if (s.spec) p.set('spec', s.spec);
  else if (s.preset) p.set('preset', s.preset);
  p.set('epochs', String(s.epochs));
  p.set('batch', String(s.batch));
  p.set('lr', String(s.lr));
  p.set('optimizer', s.optimizer);
  p.set('schedule', s.schedule);
  if (s.augment.shift || s.augment.rotateDeg || s.augment.scale)
    p.set('augment', `${s.augment.shift},${s.augment.rotateDeg},${s.augment.scale}`);
  p.set('train-images', String(s.trainImages));
  p.set('test-images', String(s.testImages));
  p.set('seed', String(s.seed));
  if (s.dataset && s.dataset !== 'mnist') p.set('dataset', s.dataset);
  if (s.activations === 'f16') p.set('activations', 'f16');
  return url.href;
}

/** An iframe snippet for a URL. */
export function iframeSnippet(url: string): string {
  return `<iframe src="${url.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}" width="100%" height="760" style="border:0" title="ConvPlay" loading="lazy"></iframe>`;
}
