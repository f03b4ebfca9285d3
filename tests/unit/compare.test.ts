// The experiments of <convplay-compare> (www/src/components/compare/experiments.ts) and their state in
// the URL (state.ts): every arm is a model the engine accepts (the real wasm summary, loaded in Node as
// the page loads it), the pairs differ only where the experiment says, and a link gives back the
// experiment, its models and its budget, with every bad value named.
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initSync, presetSpec, summarize } from '../../www/pkg/convplay.js';
import {
  EXPERIMENTS,
  EXPERIMENT_IDS,
  alexnetStyle,
  armSpec,
  armsOf,
  customArm,
  withoutBatchNorm,
  type Arm,
  type SpecObject,
} from '../../www/src/components/compare/experiments';
import { MAX_MODELS, defaultState, readCompare, writeCompare } from '../../www/src/components/compare/state';
import type { Summary } from '../../www/src/types';
import { PRESETS } from '../../www/src/url-state';

beforeAll(() => {
  const wasm = new URL('../../www/pkg/convplay_bg.wasm', import.meta.url);
  if (!fs.existsSync(wasm)) throw new Error('www/pkg is missing: run `bash scripts/build-wasm.sh` first');
  initSync({ module: fs.readFileSync(wasm) });
});

const specOf = (arm: Arm) => armSpec(arm, (name) => Promise.resolve(JSON.parse(presetSpec(name)) as object));
const summaryOf = async (arm: Arm) => summarize(JSON.stringify(await specOf(arm)), 64) as Summary;
const types = (s: SpecObject) => s.layers.map((l) => String(l.type));

describe('the built-in experiments', () => {
  it('each has its arms, a question and what to expect; every arm is a valid MNIST model', async () => {
    for (const id of EXPERIMENT_IDS) {
      const x = EXPERIMENTS[id];
      expect(x.id).toBe(id);
      expect(x.question.length).toBeGreaterThan(20);
      expect(x.expect.length).toBeGreaterThan(60);
      expect(x.arms.length).toBe(id === 'custom' ? 0 : x.precision ? 1 : 2);
      expect(new Set(x.arms.map((a) => a.label)).size).toBe(x.arms.length);
      for (const arm of x.arms) {
        const s = await summaryOf(arm);
        expect(s.input).toEqual([28, 28, 1]);
        expect(s.rows.at(-1)?.output).toEqual([10]);
      }
    }
  });

  it('CNN vs dense: parameter counts within 5% of each other, the CNN with many more multiply-adds', async () => {
    const [cnn, dense] = await Promise.all(EXPERIMENTS['cnn-vs-dense'].arms.map(summaryOf));
    expect(Math.abs(cnn.params - dense.params) / cnn.params).toBeLessThan(0.05);
    expect(types(await specOf(EXPERIMENTS['cnn-vs-dense'].arms[1])).includes('conv2d')).toBe(false);
    expect(cnn.macs).toBeGreaterThan(10 * dense.macs);
  });

  it('pooling vs strided: the same outputs, the strided one with more parameters and no pooling', async () => {
    const [pool, strided] = EXPERIMENTS['pool-vs-strided'].arms;
    const [a, b] = await Promise.all([summaryOf(pool), summaryOf(strided)]);
    expect(types(await specOf(strided)).includes('max_pool2d')).toBe(false);
    expect(b.params).toBeGreaterThan(a.params);
  });

  it('LRN: the two nets differ by the two LRN layers only, with equal parameter counts', () => {
    const [on, off] = [alexnetStyle(true), alexnetStyle(false)];
    expect(types(on).filter((t) => t === 'lrn')).toHaveLength(2);
    expect(on.layers.filter((l) => l.type !== 'lrn')).toEqual(off.layers);
    const [a, b] = [on, off].map((s) => summarize(JSON.stringify(s), 64) as Summary);
    expect(a.params).toBe(b.params);
    expect(a.macs).toBe(b.macs);
  });

  it('batch norm: mnist-quick without its four batch-norm layers, the rest in order, its recipe left out', async () => {
    const [bn, plain] = await Promise.all(EXPERIMENTS['batch-norm'].arms.map(specOf));
    expect(types(bn).filter((t) => t === 'batch_norm')).toHaveLength(4);
    expect(types(plain).filter((t) => t === 'batch_norm')).toHaveLength(0);
    expect(plain.layers).toEqual(bn.layers.filter((l) => l.type !== 'batch_norm'));
    expect(plain.name).toBe('mnist-quick-no-bn');
    expect('training' in plain).toBe(false);
    const [a, b] = [bn, plain].map((s) => summarize(JSON.stringify(s), 64) as Summary);
    expect(b.nonTrainable).toBe(0);
    expect(a.params - b.params).toBe(4 * (32 + 32 + 64 + 64));
  });

  it('withoutBatchNorm reaches into residual blocks and concat branches', () => {
    const s = withoutBatchNorm({
      name: 'blocks',
      input: [8, 8, 4],
      layers: [
        {
          type: 'residual',
          layers: [{ type: 'conv2d', filters: 4, kernel_size: 3, padding: 'same' }, { type: 'batch_norm' }],
        },
        { type: 'concat', branches: [[{ type: 'BatchNormalization' }], []] },
      ],
    });
    expect(s.layers[0].layers).toEqual([{ type: 'conv2d', filters: 4, kernel_size: 3, padding: 'same' }]);
    expect(s.layers[1].branches).toEqual([[], []]);
  });
});

describe('custom models', () => {
  it('a preset name, or a spec named by its name', () => {
    expect(customArm('lenet-5')).toEqual({ label: 'lenet-5', source: { preset: 'lenet-5' } });
    const spec = { name: 'tiny', input: [28, 28, 1], layers: [{ type: 'flatten' }] };
    expect(customArm(JSON.stringify(spec))).toEqual({ label: 'tiny', source: { spec } });
  });

  it('names what is wrong', () => {
    expect(() => customArm('seed-999')).toThrow('"seed-999" is neither a preset (mnist-quick, seed-001');
    expect(() => customArm('{"input": [28, 28')).toThrow('a custom model is not JSON');
    expect(() => customArm('{"layers": []}')).toThrow('needs "input" and "layers"');
  });

  it('numbers a model given twice', () => {
    expect(armsOf('custom', ['mlp', 'mlp', 'seed-001']).map((a) => a.label)).toEqual(['mlp', 'mlp (2)', 'seed-001']);
  });
});

describe('the comparison in the URL', () => {
  const BASE = 'https://course.example/convplay/?old=1#x';
  const back = (url: string) => {
    const problems: string[] = [];
    const s = readCompare(new URL(url).searchParams, problems);
    return { s, problems };
  };

  it('every experiment round-trips with its budget, and shows only the compare view', () => {
    for (const id of EXPERIMENT_IDS) {
      const s = {
        ...defaultState(id),
        budget: { images: 256, epochs: 3, batch: 32, testImages: 100, seed: 7, lr: 0.0005 },
      };
      const url = writeCompare(BASE, 'cpu', s, 2);
      const q = new URL(url).searchParams;
      expect(q.get('view')).toBe('compare');
      expect(q.get('backend')).toBe('cpu');
      expect(q.get('threads')).toBe('2');
      expect(q.get('old')).toBe(null);
      expect(back(url)).toEqual({ s, problems: [] });
    }
  });

  it('the custom experiment keeps its models in order, specs included', () => {
    const spec = JSON.stringify({ name: 'tiny & small', input: [28, 28, 1], layers: [{ type: 'flatten' }] });
    const s = { ...defaultState('custom'), models: ['seed-004', spec, 'mlp'] };
    const url = writeCompare(BASE, 'auto', s);
    expect(new URL(url).searchParams.has('backend')).toBe(false);
    expect(back(url)).toEqual({ s, problems: [] });
  });

  it('no compare= is no comparison; an experiment alone takes its own budget', () => {
    expect(back(`${BASE}&epochs=3`)).toEqual({ s: null, problems: [] });
    expect(back('https://x.example/?compare=lrn').s).toEqual(defaultState('lrn'));
    expect(defaultState('lrn').budget).toEqual(EXPERIMENTS.lrn.budget);
    expect(defaultState('lrn').budget).not.toBe(EXPERIMENTS.lrn.budget);
  });

  it('names each bad value with its fix, and keeps the rest', () => {
    expect(back('https://x.example/?compare=dropout').problems).toEqual([
      'compare=dropout is not an experiment: use cnn-vs-dense, pool-vs-strided, lrn, batch-norm, precision, custom',
    ]);
    const { s, problems } = back(
      'https://x.example/?compare=batch-norm&compare-images=0&compare-epochs=1.5&compare-batch=16&compare-lr=-1&compare-seed=&compare-model=mlp',
    );
    expect(problems).toEqual([
      'compare-images=0 is not a whole number from 1 to 60000',
      'compare-epochs=1.5 is not a whole number from 1 to 100',
      'compare-seed= is not a whole number from 0 to 4294967295',
      'compare-lr=-1 is not a positive number up to 10',
      'compare-model is for compare=custom; batch-norm has its own models',
    ]);
    expect(s?.budget).toEqual({ ...EXPERIMENTS['batch-norm'].budget, batch: 16 });
    const custom = back(
      'https://x.example/?compare=custom&compare-model=seed-001&compare-model=nope&compare-model=mlp',
    );
    expect(custom.s?.models).toEqual(['seed-001', 'mlp']);
    expect(custom.problems).toEqual([
      `compare-model: "nope" is neither a preset (${PRESETS.join(', ')}) nor a spec's JSON`,
    ]);
    const many = back(`https://x.example/?compare=custom${'&compare-model=mlp'.repeat(MAX_MODELS + 1)}`);
    expect(many.s?.models).toHaveLength(MAX_MODELS);
    expect(many.problems).toEqual([
      `compare-model is given ${MAX_MODELS + 1} times; at most ${MAX_MODELS} models are compared`,
    ]);
  });
});
