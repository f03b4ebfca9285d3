// Ensembles by soft voting: several trained models' class probabilities averaged instance by
// instance, the class with the largest mean is the ensemble's answer. The same arithmetic as
// the CLI's `convplay ensemble` (crate/src/train/ensemble.rs). The models are fetched when an
// ensemble is evaluated, never before: the page's first visit stays small.

import type { ConvPlay, Model } from './index';
import type { Dataset } from './options';

/** The mean of several models' probabilities (each n × classes, the same instances). */
export function meanProbabilities(members: Float32Array[]): Float32Array {
  if (members.length === 0) throw new Error("an ensemble needs at least one model's probabilities");
  const n = members[0].length;
  members.forEach((m, i) => {
    if (m.length !== n)
      throw new Error(
        `ensemble member ${i + 1} gave ${m.length} probabilities but member 1 gave ${n}: every model must see the same instances and have the same classes`,
      );
  });
  const mean = new Float32Array(n);
  for (const m of members) for (let j = 0; j < n; j++) mean[j] += m[j];
  for (let j = 0; j < n; j++) mean[j] /= members.length;
  return mean;
}

/** The class with the largest value in each row of `probs` (the first on ties) and the
 * fraction of rows where it equals the label. */
export function argmaxAccuracy(
  probs: Float32Array,
  classes: number,
  labels: Uint8Array,
): { accuracy: number; predictions: Uint8Array } {
  if (!(classes >= 1) || probs.length !== labels.length * classes)
    throw new Error(`${probs.length} probabilities do not make ${labels.length} rows of ${classes} classes`);
  const predictions = new Uint8Array(labels.length);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (probs[i * classes + j] > probs[i * classes + best]) best = j;
    predictions[i] = best;
    if (best === labels[i]) correct++;
  }
  return { accuracy: labels.length ? correct / labels.length : 0, predictions };
}

export interface EnsembleMember {
  /** Where the weights came from (the URL, or "model N"). */
  source: string;
  name: string;
  params: number;
  accuracy: number;
}

export interface EnsembleEvaluation {
  /** The ensemble's accuracy (soft voting). */
  accuracy: number;
  predictions: Uint8Array;
  members: EnsembleMember[];
}

/** The class probabilities of every instance of `data` from one model, `chunk` at a time. */
async function probabilitiesOf(model: Model, data: Dataset, chunk: number): Promise<Float32Array> {
  const per = model.info.input.reduce((a, b) => a * b, 1);
  const n = data.labels.length;
  if (data.images.length !== n * per)
    throw new Error(
      `${data.images.length} values for ${n} labels: ${model.info.name} takes ${per} values per instance`,
    );
  const last = model.info.layerNames[model.info.layerNames.length - 1];
  const scale = data.images instanceof Uint8Array ? (model.info.preprocessing.scale ?? 1 / 255) : 1;
  const out = new Float32Array(n * model.info.classes);
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    const x = Float32Array.from(data.images.subarray(start * per, end * per), (v) => v * scale);
    const [probs] = await model.features(x, [last]);
    out.set(probs, start * model.info.classes);
  }
  return out;
}

/** Evaluates several models (weights files: bytes or URLs, fetched now) on a labelled set,
 * each alone and as an ensemble whose answer is the mean of their softmax outputs. The models
 * run on the CPU backend beside the engine and are freed afterwards. `onMember` reports each
 * model as it is done. */
export async function evaluateEnsemble(
  engine: ConvPlay,
  weights: (string | URL | Uint8Array)[],
  data: Dataset,
  options: { onMember?: (member: EnsembleMember, index: number) => void; chunk?: number } = {},
): Promise<EnsembleEvaluation> {
  if (weights.length === 0) throw new Error('evaluateEnsemble: give at least one weights file');
  const chunk = options.chunk ?? 500;
  const members: EnsembleMember[] = [];
  const probs: Float32Array[] = [];
  let classes = 0;
  for (const [i, w] of weights.entries()) {
    const source = w instanceof Uint8Array ? `model ${i + 1}` : String(w);
    const model = await engine.model({ weights: w }, { batch: Math.min(chunk, 250), cpu: true });
    try {
      if (classes && model.info.classes !== classes)
        throw new Error(`${source} has ${model.info.classes} classes, the first model ${classes}`);
      classes = model.info.classes;
      const p = await probabilitiesOf(model, data, chunk);
      const member = {
        source,
        name: model.info.name,
        params: model.info.params,
        accuracy: argmaxAccuracy(p, classes, data.labels).accuracy,
      };
      members.push(member);
      probs.push(p);
      options.onMember?.(member, i);
    } finally {
      await model.dispose();
    }
  }
  const { accuracy, predictions } = argmaxAccuracy(meanProbabilities(probs), classes, data.labels);
  return { accuracy, predictions, members };
}
