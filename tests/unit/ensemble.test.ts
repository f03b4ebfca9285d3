// Ensembles by soft voting (www/src/api/ensemble.ts): the mean of the members' probabilities
// checked against averages done by hand, its argmax, and evaluateEnsemble on a stand-in engine
// whose models answer with given probabilities (in chunks, freed afterwards).
import { describe, expect, it } from 'vitest';
import { argmaxAccuracy, evaluateEnsemble, meanProbabilities } from '../../www/src/api/ensemble';
import type { ConvPlay } from '../../www/src/api/index';

// Three instances, two classes, labels 0, 1, 1: each member gets one wrong, the mean none.
const labels = Uint8Array.from([0, 1, 1]);
const a = Float32Array.from([0.9, 0.1, 0.6, 0.4, 0.2, 0.8]);
const b = Float32Array.from([0.4, 0.6, 0.1, 0.9, 0.3, 0.7]);

describe('meanProbabilities and argmaxAccuracy', () => {
  it('average value by value, and the argmax of the mean can beat every member', () => {
    const mean = meanProbabilities([a, b]);
    [0.65, 0.35, 0.35, 0.65, 0.25, 0.75].forEach((v, i) => expect(mean[i]).toBeCloseTo(v, 6));
    expect(argmaxAccuracy(a, 2, labels).accuracy).toBeCloseTo(2 / 3, 6);
    expect(argmaxAccuracy(b, 2, labels).accuracy).toBeCloseTo(2 / 3, 6);
    const r = argmaxAccuracy(mean, 2, labels);
    expect(r.accuracy).toBe(1);
    expect([...r.predictions]).toEqual([0, 1, 1]);
  });

  it('refuses mismatched shapes with a message that says what', () => {
    expect(() => meanProbabilities([])).toThrow(/at least one/);
    expect(() => meanProbabilities([a, new Float32Array(4)])).toThrow(
      /member 2 gave 4 probabilities but member 1 gave 6/,
    );
    expect(() => argmaxAccuracy(new Float32Array(5), 2, labels)).toThrow(/do not make 3 rows of 2 classes/);
  });
});

describe('evaluateEnsemble', () => {
  it('runs each model over the data in chunks, reports it alone, and averages', async () => {
    const answers = new Map<string, Float32Array>([
      ['a.safetensors', a],
      ['b.safetensors', b],
    ]);
    const seen: { url: string; x: number[] }[] = [];
    let disposed = 0;
    const engine = {
      model: (source: { weights: string }) => {
        const p = answers.get(source.weights)!;
        return Promise.resolve({
          info: {
            name: source.weights,
            params: 7,
            classes: 2,
            input: [2],
            layerNames: ['dense', 'softmax_out'],
            preprocessing: { scale: 0.5 },
          },
          features: (x: Float32Array, layers: string[]) => {
            expect(layers).toEqual(['softmax_out']);
            const start = seen.filter((s) => s.url === source.weights).reduce((n, s) => n + s.x.length / 2, 0);
            seen.push({ url: source.weights, x: [...x] });
            return Promise.resolve([p.slice(start * 2, (start + x.length / 2) * 2)]);
          },
          dispose: () => {
            disposed++;
            return Promise.resolve();
          },
        });
      },
    } as unknown as ConvPlay;
    const images = Uint8Array.from([2, 4, 6, 8, 10, 12]);
    const members: string[] = [];
    const r = await evaluateEnsemble(
      engine,
      ['a.safetensors', 'b.safetensors'],
      { images, labels },
      { chunk: 2, onMember: (m) => members.push(m.source) },
    );
    expect(members).toEqual(['a.safetensors', 'b.safetensors']);
    expect(r.members.map((m) => m.accuracy)).toEqual([2 / 3, 2 / 3]);
    expect(r.accuracy).toBe(1);
    expect([...r.predictions]).toEqual([0, 1, 1]);
    // Chunks of two instances, then one; u8 scaled by the model's preprocessing.
    expect(seen.filter((s) => s.url === 'a.safetensors').map((s) => s.x)).toEqual([
      [1, 2, 3, 4],
      [5, 6],
    ]);
    expect(disposed).toBe(2);
  });
});
