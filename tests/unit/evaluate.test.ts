// The API's evaluation of a labelled set (www/src/api/fit.ts, run in the engine worker), on a
// stand-in for the engine's trainer that answers with given predictions: the accuracy as the
// trainer reports it, the predictions, the confusion matrix (true classes by row, predictions
// by column) and the first misclassified instances with their inputs.
import { describe, expect, it } from 'vitest';
import type { Trainer } from '../../www/pkg/convplay.js';
import { evaluateOn } from '../../www/src/api/fit';
import type { ModelInfo } from '../../www/src/api/protocol';

const info: ModelInfo = {
  id: 1,
  name: 'three classes',
  params: 9,
  classes: 3,
  input: [2],
  labels: ['0', '1', '2'],
  batch: 6,
  backend: 'cpu',
  activations: 'f32',
  spec: '{}',
  layerNames: ['dense'],
  positions: 1,
  preprocessing: {},
};

/** A trainer that takes six instances and predicts `predictions` for them. */
function stub(predictions: number[]) {
  const loaded: { images: Float32Array; labels: Uint8Array }[] = [];
  const trainer = {
    classes: 3,
    setEvalValues: (images: Float32Array, labels: Uint8Array) => loaded.push({ images, labels }),
    evaluate: () => Promise.resolve(0.5),
    lastPredictions: () => Uint8Array.from(predictions),
  };
  return { trainer: trainer as unknown as Trainer, loaded };
}

describe('evaluateOn', () => {
  const labels = Uint8Array.from([0, 0, 1, 2, 2, 2]);
  const images = Float32Array.from({ length: 12 }, (_, i) => i / 10);
  const data = { images, labels, per: 2, shape: null, name: 'six' };

  it('counts true classes by row and predictions by column, and names the first mistakes', async () => {
    const { trainer, loaded } = stub([0, 1, 1, 2, 0, 2]);
    const r = await evaluateOn(trainer, info, data, 1, 'test data');
    expect(loaded).toEqual([{ images, labels }]);
    expect(r.accuracy).toBe(0.5);
    expect(Array.from(r.predictions)).toEqual([0, 1, 1, 2, 0, 2]);
    expect(r.confusion).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ]);
    expect(r.mistakes).toEqual([{ index: 1, label: 0, predicted: 1, input: images.slice(2, 4) }]);
  });

  it('lists every mistake when asked for more than there are', async () => {
    const { trainer } = stub([0, 1, 1, 2, 0, 2]);
    const r = await evaluateOn(trainer, info, data, 10, 'test data');
    expect(r.mistakes.map((m) => [m.index, m.label, m.predicted])).toEqual([
      [1, 0, 1],
      [4, 2, 0],
    ]);
  });
});
