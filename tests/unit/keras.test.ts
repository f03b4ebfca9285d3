// The API's keras module (www/src/api/keras.ts) over the wasm parser: a course notebook in,
// the lines it ignored, a placed error, and a spec out as Keras code that reads back.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import init from '../../www/pkg/convplay.js';
import { keras } from '../../www/src/api/keras';

beforeAll(async () => {
  // In Node the module is handed its bytes; keras's own loadWasm() then finds it loaded.
  await init({ module_or_path: readFileSync(new URL('../../www/pkg/convplay_bg.wasm', import.meta.url)) });
});

const notebook = (name: string) =>
  readFileSync(new URL(`../../crate/tests/keras-notebooks/${name}`, import.meta.url), 'utf8');

describe('keras', () => {
  it('reads seed-001 from a notebook, listing the lines it ignored', async () => {
    const got = await keras.toSpec(notebook('seed-001.py'));
    const spec = got.spec as { name: string; input: number[]; layers: { type: string }[]; training: object };
    expect(spec.input).toEqual([28, 28, 1]);
    expect(spec.layers.map((l) => l.type)).toEqual([
      'conv2d',
      'max_pool2d',
      'conv2d',
      'max_pool2d',
      'flatten',
      'dense',
      'dense',
    ]);
    expect(spec.training).toEqual({ epochs: 10, batch: 64, optimizer: 'adam', lr: 0.001, schedule: 'constant' });
    expect(got.ignored[0]).toEqual({ line: 1, text: 'In [1]:' });
    expect(got.ignored).toContainEqual({ line: 2, text: 'import numpy as np' });
    expect(JSON.parse(got.specText)).toEqual(got.spec);
  });

  it('rejects an unsupported layer with its line', async () => {
    await expect(
      keras.toSpec('model = keras.Sequential([\n  keras.Input((8, 8, 1)),\n  layers.Conv3D(4, 3),\n])'),
    ).rejects.toThrow(/^line 3: Conv3D is not supported; supported layers are Conv2D, /);
  });

  it('writes a spec as Keras code that reads back to the same layers', async () => {
    const spec = {
      name: 'tiny',
      input: [28, 28, 1],
      layers: [
        { type: 'conv2d', filters: 8, kernel_size: 3, activation: 'relu' },
        { type: 'flatten' },
        { type: 'dense', units: 10, activation: 'softmax' },
      ],
    };
    const code = await keras.fromSpec(spec);
    expect(code).toContain('layers.Conv2D(8, 3, activation="relu"),');
    const back = await keras.toSpec(code);
    expect((back.spec as { layers: unknown }).layers).toEqual(spec.layers);
    await expect(keras.fromSpec('{"input": [4], "layers": []}')).rejects.toThrow(/"layers" is empty/);
  });
});
