// What the API rebuilds after its worker died (www/src/api/restart.ts): models from their
// source with their labels, data sets by their source; trained models are lost with a message
// naming the crash, and so is what a rebuild could not bring back; disposed things are forgotten.
import { describe, expect, it } from 'vitest';
import { EngineStoppedError, ENGINE_STOPPED, Replay } from '../../www/src/api/restart';
import type { Args } from '../../www/src/api/protocol';

const create = (id: number): Args<'createModel'> => ({
  id,
  source: { preset: 'seed-001' },
  batch: 4,
  seed: 1,
  cpu: false,
  activations: null,
});

describe('Replay', () => {
  it('rebuilds untouched models and data, loses trained models with the crash named', () => {
    const r = new Replay();
    for (const id of [1, 2, 3]) {
      r.sent('createModel', create(id));
      r.done('createModel', create(id));
    }
    const labels: Args<'configure'> = { model: 1, labels: ['a', 'b'] };
    r.done('configure', labels);
    const mnist: Args<'mnist'> = { id: 7, url: 'data/mnist/', split: 'test', count: 100 };
    r.done('mnist', mnist);
    r.sent('fit', {
      model: 2,
      data: { held: 7 },
      options: {} as Args<'fit'>['options'],
    });
    r.sent('disposeModel', { model: 3 });

    const calls = r.crashed('Uncaught RuntimeError: unreachable');
    expect(calls.map((c) => c.method)).toEqual(['mnist', 'createModel', 'configure']);
    expect(calls[1].args).toEqual(create(1));
    expect(calls[2].args).toEqual(labels);

    expect(r.lost({ model: 1, x: new Float32Array(1) })).toBeNull();
    expect(r.lost({ model: 2, x: new Float32Array(1) })).toMatch(
      /^this model was lost when the ConvPlay engine stopped \(Uncaught RuntimeError: unreachable\): it had been trained/,
    );
    expect(r.lost({ model: 1, from: 2 })).toMatch(/^this model was lost/);
    // A disposed model is forgotten: the worker's own "disposed" message answers it.
    expect(r.lost({ model: 3 })).toBeNull();
    // Lost once, still lost after a second crash; the rebuilt one is rebuilt again.
    expect(r.crashed('again').map((c) => c.method)).toEqual(['mnist', 'createModel', 'configure']);
    expect(r.lost({ model: 2 })).toMatch(/\(Uncaught RuntimeError: unreachable\)/);
  });

  it('a failed rebuild makes the model or data set lost with the reason', () => {
    const r = new Replay();
    r.done('createModel', create(1));
    const hold: Args<'holdData'> = {
      id: 5,
      images: new Uint8Array(4),
      labels: new Uint8Array(1),
      shape: null,
      name: 'x',
    };
    r.done('holdData', hold);
    const [data, model] = r.crashed('boom');
    r.failed(model, 'out of memory');
    r.failed(data, 'no memory either');
    expect(r.lost({ model: 1 })).toBe(
      'this model could not be rebuilt after the ConvPlay engine restarted: out of memory',
    );
    expect(r.lost({ model: 9, data: { held: 5 }, mistakes: 0 })).toBe(
      'this data set could not be loaded again after the ConvPlay engine restarted: no memory either',
    );
    expect(r.lost({ data: 5, index: 0 })).toMatch(/^this data set could not be loaded again/);
    expect(r.crashed('again')).toEqual([]);
  });

  it('names its error', () => {
    const e = new EngineStoppedError('Uncaught RuntimeError: unreachable');
    expect(e.name).toBe(ENGINE_STOPPED);
    expect(e.reason).toBe('Uncaught RuntimeError: unreachable');
    expect(e.message).toBe(
      'the ConvPlay engine stopped (Uncaught RuntimeError: unreachable); it was restarted, but this call was lost: call it again',
    );
  });
});
