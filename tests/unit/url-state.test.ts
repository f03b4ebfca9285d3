// The page's state in its URL (www/src/url-state.ts): what writeUrl writes, readUrl reads back
// unchanged, and a bad value is named with its fix while the rest of the URL still applies.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { iframeSnippet, readUrl, writeUrl, PRESETS, VIEWS } from '../../www/src/url-state';
import type { TrainState } from '../../www/src/components/convplay-train';
import { ZOO } from '../../www/src/components/convplay-zoo';

const BASE = 'https://course.example/convplay/?old=1#section';

const state: TrainState = {
  preset: 'seed-004',
  spec: null,
  epochs: 3,
  batch: 64,
  lr: 0.00125,
  optimizer: 'adamw',
  schedule: 'onecycle',
  augment: { shift: 2, rotateDeg: 10, scale: 0.1 },
  trainImages: 12000,
  testImages: 2000,
  seed: 0,
};

const read = (url: string) => readUrl(new URL(url).searchParams);
const query = (q: string) => readUrl(new URLSearchParams(q));

describe('writeUrl then readUrl', () => {
  it('gives back every setting, the view and the backend', () => {
    const url = writeUrl(BASE, 'cpu', 'train', state);
    const back = read(url);
    expect(back.problems).toEqual([]);
    expect(back.backend).toBe('cpu');
    expect(back.view).toBe('train');
    expect(back.train).toEqual({ ...state, spec: undefined });
    expect('spec' in back.train).toBe(false);
  });

  it('drops the old query and hash of the base and leaves out the defaults', () => {
    const url = new URL(writeUrl(BASE, 'auto', null, { ...state, augment: { shift: 0, rotateDeg: 0, scale: 0 } }));
    expect(url.origin + url.pathname).toBe('https://course.example/convplay/');
    expect(url.hash).toBe('');
    expect(url.searchParams.has('old')).toBe(false);
    expect(url.searchParams.has('backend')).toBe(false);
    expect(url.searchParams.has('view')).toBe(false);
    expect(url.searchParams.has('augment')).toBe(false);
    const back = read(url.href);
    expect(back.backend).toBe('auto');
    expect(back.view).toBeNull();
    expect(back.train.augment).toBeUndefined();
  });

  it('carries a custom spec exactly, and the spec wins over a preset', () => {
    const spec = JSON.stringify({ name: 'a & b = "c"', input: [28, 28, 1], layers: [{ type: 'flatten' }] });
    const url = writeUrl(BASE, 'webgpu', 'model', { ...state, spec });
    expect(new URL(url).searchParams.has('preset')).toBe(false);
    const back = read(url);
    expect(back.train.spec).toBe(spec);
    expect(back.train.preset).toBeUndefined();
    expect(back.backend).toBe('webgpu');
  });

  it('keeps learning rates and seeds digit for digit', () => {
    for (const lr of [1e-7, 0.1 + 0.2, 3.5e-4, 2]) {
      expect(read(writeUrl(BASE, 'auto', null, { ...state, lr })).train.lr).toBe(lr);
    }
    expect(read(writeUrl(BASE, 'auto', null, { ...state, seed: 4294967295 })).train.seed).toBe(4294967295);
  });
});

describe('readUrl', () => {
  it('reads nothing from an empty query', () => {
    expect(query('')).toEqual({ backend: 'auto', view: null, train: {}, problems: [] });
  });

  it('accepts every view it advertises and "gpu" for WebGPU', () => {
    for (const view of Object.keys(VIEWS)) expect(query(`view=${view}`).view).toBe(view);
    expect(query('backend=gpu').backend).toBe('webgpu');
  });

  it('names each bad value with what it should be and applies the rest', () => {
    const r = query(
      'epochs=0&batch=2.5&lr=-1&seed=-1&train-images=lots&test-images=500&optimizer=rmsprop&schedule=cosine&view=nope&backend=metal',
    );
    expect(r.problems).toEqual([
      'unknown backend "metal": use "auto", "webgpu" or "cpu"',
      'unknown view "nope": use draw, inside, photo, teach, model, train, compare, zoo, best',
      'epochs=0 is not a whole number ≥ 1',
      'batch=2.5 is not a whole number ≥ 1',
      'lr=-1 is not a positive number',
      'train-images=lots is not a whole number ≥ 1',
      'seed=-1 is not a whole number ≥ 0',
      'optimizer=rmsprop is not one of adam, adamw, sgd',
    ]);
    expect(r.backend).toBe('auto');
    expect(r.view).toBeNull();
    expect(r.train).toEqual({ testImages: 500, schedule: 'cosine' });
  });

  it('takes seed 0 but not a learning rate of 0 or infinity', () => {
    expect(query('seed=0').train.seed).toBe(0);
    expect(query('lr=0').problems).toEqual(['lr=0 is not a positive number']);
    expect(query('lr=Infinity').problems).toEqual(['lr=Infinity is not a positive number']);
  });

  it('wants three non-negative augmentation numbers', () => {
    expect(query('augment=1,5,0.05').train.augment).toEqual({ shift: 1, rotateDeg: 5, scale: 0.05 });
    for (const bad of ['1,2', '1,-2,0', '1,x,0', '1,2,3,4']) {
      const r = query(`augment=${bad}`);
      expect(r.train.augment).toBeUndefined();
      expect(r.problems).toEqual([
        `augment=${bad} should be SHIFT,ROTATE,SCALE (pixels, degrees, fraction), e.g. 2,10,0.1`,
      ]);
    }
  });

  it('says how to fix a spec that is not JSON, and falls back to the preset', () => {
    const r = query('spec=%7Bnot-json&preset=mlp');
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/^spec is not JSON \(.+\); encode the spec with encodeURIComponent$/);
    expect(r.train.spec).toBeUndefined();
    expect(r.train.preset).toBe('mlp');
  });
});

describe('preset=', () => {
  it('takes every preset the engine has', () => {
    for (const name of PRESETS)
      expect(query(`preset=${name}`)).toEqual({ backend: 'auto', view: null, train: { preset: name }, problems: [] });
  });

  it('names an unknown preset with the known ones and leaves the model to the page (before: an uncaught error, an empty lab)', () => {
    const r = query('preset=resnet-9000&epochs=2');
    expect(r.problems).toEqual([
      'preset=resnet-9000 is not one of mnist-quick, seed-001, seed-004, lenet-5, mlp, course-3conv, seed-001-strided, alexnet-mini, alexnet-mini-nolrn, googlenet-mini, resnet-mini, se-resnet-mini, xception-mini, segment-mini, mnist-best',
    ]);
    expect(r.train).toEqual({ epochs: 2 });
    expect(query('preset=').problems).toHaveLength(1);
    expect(query('preset=SEED-001').problems).toHaveLength(1);
  });

  it('lists the same presets as www/public/presets and the engine (crate/src/presets.rs)', () => {
    const root = new URL('../../', import.meta.url);
    const files = readdirSync(new URL('www/public/presets/', root))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5));
    expect([...PRESETS].sort()).toEqual(files.sort());
    const rust = readFileSync(new URL('crate/src/presets.rs', root), 'utf8');
    const names = [...rust.matchAll(/\("([a-z0-9-]+)", include_str!/g)].map((m) => m[1]);
    expect(names).toEqual([...PRESETS]);
  });
});

describe('the data set', () => {
  it('travels in the URL when it is not MNIST, and a bad one is named', () => {
    const url = writeUrl(BASE, 'auto', 'zoo', { ...state, dataset: 'fashion-mnist' });
    expect(new URL(url).searchParams.get('dataset')).toBe('fashion-mnist');
    expect(read(url).train.dataset).toBe('fashion-mnist');
    expect(read(url).view).toBe('zoo');
    expect(new URL(writeUrl(BASE, 'auto', null, { ...state, dataset: 'mnist' })).searchParams.has('dataset')).toBe(
      false,
    );
    const bad = query('dataset=cifar&epochs=2');
    expect(bad.problems).toEqual(['dataset=cifar is not one of mnist, fashion-mnist']);
    expect(bad.train).toEqual({ epochs: 2 });
  });

  it('lists the zoo as the crate does (crate/src/presets.rs ZOO), every one a preset', () => {
    const rust = readFileSync(new URL('../../crate/src/presets.rs', import.meta.url), 'utf8');
    const zoo = rust.slice(rust.indexOf('pub const ZOO'));
    const names = [...zoo.slice(0, zoo.indexOf('];')).matchAll(/"([a-z0-9-]+)"/g)].map((m) => m[1]);
    expect(names).toEqual([...ZOO]);
    for (const name of ZOO) expect(PRESETS).toContain(name);
  });
});

describe('iframeSnippet', () => {
  it('escapes the URL for an HTML attribute', () => {
    const snippet = iframeSnippet('https://x.example/?a=1&b="2"');
    expect(snippet).toContain('src="https://x.example/?a=1&amp;b=&quot;2&quot;"');
    expect(snippet).toMatch(/^<iframe .*><\/iframe>$/);
    expect(snippet).toContain('title="ConvPlay"');
  });
});

describe('the activations', () => {
  it('travel in the URL when they are f16, and anything else is named', () => {
    const url = writeUrl(BASE, 'webgpu', 'train', { ...state, activations: 'f16' });
    expect(new URL(url).searchParams.get('activations')).toBe('f16');
    expect(read(url).train.activations).toBe('f16');
    expect(
      new URL(writeUrl(BASE, 'auto', null, { ...state, activations: 'f32' })).searchParams.has('activations'),
    ).toBe(false);
    const bad = query('activations=bf16&epochs=2');
    expect(bad.problems).toEqual(['activations=bf16 is not one of f32, f16']);
    expect(bad.train).toEqual({ epochs: 2 });
  });
});
