// <convplay-compare>'s state in the page's URL, so that a course can link to "this comparison":
//   ?view=compare&compare=pool-vs-strided&compare-images=6000&compare-epochs=2&compare-batch=64
//    &compare-test-images=2000&compare-seed=1&compare-lr=0.001
// and, for the custom experiment, one `compare-model=` per model (a preset name or a spec's JSON).
// The keys carry a `compare-` prefix: `epochs`, `batch` and `seed` alone are the trainer's.

import type { BackendChoice } from '../../engine';
import { EXPERIMENTS, EXPERIMENT_IDS, armsOf, type Budget, type ExperimentId } from './experiments';

export interface CompareState {
  experiment: ExperimentId;
  /** The custom experiment's models: preset names or specs' JSON (empty for the others). */
  models: string[];
  budget: Budget;
}

/** The most models one comparison trains (each is a full run). */
export const MAX_MODELS = 6;

const BUDGET_KEYS: [key: string, field: keyof Budget, min: number, max: number, whole: boolean][] = [
  ['compare-images', 'images', 1, 60000, true],
  ['compare-epochs', 'epochs', 1, 100, true],
  ['compare-batch', 'batch', 1, 4096, true],
  ['compare-test-images', 'testImages', 1, 10000, true],
  ['compare-seed', 'seed', 0, 2 ** 32 - 1, true],
  ['compare-lr', 'lr', Number.MIN_VALUE, 10, false],
];

/** An experiment with its own budget (the custom one with no models yet). */
export function defaultState(experiment: ExperimentId = 'cnn-vs-dense'): CompareState {
  return { experiment, models: [], budget: { ...EXPERIMENTS[experiment].budget } };
}

/** The comparison a URL asks for (null when it names none), each problem pushed with its fix;
 * the rest of the URL still applies. */
export function readCompare(params: URLSearchParams, problems: string[]): CompareState | null {
  const raw = params.get('compare');
  if (raw === null) return null;
  if (!(EXPERIMENT_IDS as readonly string[]).includes(raw)) {
    problems.push(`compare=${raw} is not an experiment: use ${EXPERIMENT_IDS.join(', ')}`);
    return null;
  }
  const state = defaultState(raw as ExperimentId);
  for (const [key, field, min, max, whole] of BUDGET_KEYS) {
    const text = params.get(key);
    if (text === null) continue;
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || v < min || v > max || (whole && !Number.isInteger(v))) {
      const kind = whole ? `a whole number from ${min} to ${max}` : `a positive number up to ${max}`;
      problems.push(`${key}=${text} is not ${kind}`);
      continue;
    }
    state.budget[field] = v;
  }
  const models = params.getAll('compare-model');
  if (state.experiment !== 'custom') {
    if (models.length) problems.push(`compare-model is for compare=custom; ${raw} has its own models`);
    return state;
  }
  for (const m of models.slice(0, MAX_MODELS)) {
    try {
      armsOf('custom', [m]);
      state.models.push(m);
    } catch (e) {
      problems.push(`compare-model: ${(e as Error).message}`);
    }
  }
  if (models.length > MAX_MODELS)
    problems.push(`compare-model is given ${models.length} times; at most ${MAX_MODELS} models are compared`);
  return state;
}

/** The URL of the page showing this comparison (and only it), ready to run. */
export function writeCompare(base: string, backend: BackendChoice, s: CompareState, threads?: number): string {
  const url = new URL(base);
  url.search = '';
  url.hash = '';
  const p = url.searchParams;
  if (backend !== 'auto') p.set('backend', backend);
  if (threads !== undefined) p.set('threads', String(threads));
  p.set('view', 'compare');
  p.set('compare', s.experiment);
  if (s.experiment === 'custom') for (const m of s.models) p.append('compare-model', m);
  for (const [key, field] of BUDGET_KEYS) p.set(key, String(s.budget[field]));
  return url.href;
}
