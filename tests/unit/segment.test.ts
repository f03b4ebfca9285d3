// The segmentation helpers of the API and the view, around the real wasm: the held-out seed
// agrees with the Rust one, scenes come back with label maps that match their ink, classMaps
// takes the most probable class per position, IoU is the Rust computation, and the view's
// regions and drawing-to-ink steps on hand-made maps.
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateScenes, initSync, sceneEvalSeed, segmentIou } from '../../www/pkg/convplay.js';
import { classMaps, EVAL_SEED, sceneArgs } from '../../www/src/api/scenes';
import { inkOf, regions } from '../../www/src/components/segment/maps';

beforeAll(() => {
  const wasm = new URL('../../www/pkg/convplay_bg.wasm', import.meta.url);
  if (!fs.existsSync(wasm)) throw new Error('www/pkg is missing: run `bash scripts/build-wasm.sh` first');
  initSync({ module: fs.readFileSync(wasm) });
});

describe('scenes', () => {
  it('uses the CLI held-out seed and checks its arguments', () => {
    expect(EVAL_SEED).toBe(sceneEvalSeed());
    expect(sceneArgs('test', {}).seed).toBe(EVAL_SEED);
    expect(sceneArgs('train', { count: 3, size: 64 })).toEqual({
      count: 3,
      seed: 1,
      options: {
        size: 64,
        minDigits: undefined,
        maxDigits: undefined,
        minScale: undefined,
        maxScale: undefined,
        maxOverlap: undefined,
      },
    });
    expect(() => sceneArgs('val', {})).toThrow('unknown MNIST split "val"');
    expect(() => sceneArgs('train', { count: 0 })).toThrow('count 0 must be a whole number ≥ 1');
  });

  it('makes scenes whose labels follow the ink, and names a bad setting', () => {
    // Ten 28×28 "digits": a bright square each.
    const digits = new Uint8Array(10 * 784);
    for (let d = 0; d < 10; d++)
      for (let y = 8; y < 20; y++) digits.fill(200, d * 784 + y * 28 + 8, d * 784 + y * 28 + 20);
    const labels = Uint8Array.from({ length: 10 }, (_, i) => i);
    const set = generateScenes(digits, labels, 3, 5, '{"size": 40, "maxDigits": 2, "maxScale": 1.0}');
    expect([set.size, set.count]).toEqual([40, 3]);
    const [px, lb] = [set.takePixels(), set.takeLabels()];
    set.free();
    expect([px.length, lb.length]).toEqual([4800, 4800]);
    px.forEach((v, i) => expect(lb[i] !== 10).toBe(v >= 96));
    expect(() => generateScenes(digits, labels, 1, 1, '{"size": 20}')).toThrow(
      'scene settings: size 20 is out of range: use a canvas of 28 to 256 pixels a side',
    );
    expect(() => generateScenes(digits, labels, 1, 1, '{"sizes": 40}')).toThrow('scene settings: unknown field');
  });
});

describe('class maps and IoU', () => {
  it('takes the most probable class at each position', () => {
    const probs = Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.2, 0.3, 0.1, 0.1, 0.8]);
    expect(Array.from(classMaps(probs, 3))).toEqual([1, 0, 2]);
    expect(() => classMaps(probs, 4)).toThrow('9 probabilities are not whole positions of 4 classes');
  });

  it('IoU per class and its mean, by hand', () => {
    const r = segmentIou(Uint8Array.from([0, 0, 1, 1, 2, 2]), Uint8Array.from([0, 0, 0, 1, 1, 2]), 3) as {
      perClass: (number | null)[];
      mean: number;
      pixelAccuracy: number;
    };
    expect(r.perClass.map((v) => v?.toFixed(4))).toEqual(['0.6667', '0.3333', '0.5000']);
    expect(r.mean).toBeCloseTo(0.5, 5);
    expect(r.pixelAccuracy).toBeCloseTo(4 / 6, 5);
  });
});

describe('the view’s maps', () => {
  it('finds regions with their majority digit, leaving out specks', () => {
    // 6×6: a 3×2 block of 7s (one pixel 1), a lone 4, the rest background.
    const map = new Uint8Array(36).fill(10);
    for (const p of [0, 1, 2, 6, 7]) map[p] = 7;
    map[8] = 1;
    map[35] = 4;
    const found = regions(map, 6, 2);
    expect(found).toEqual([{ digit: 7, x: 1, y: 0.5, pixels: 6 }]);
  });

  it('averages the drawing’s alpha into the scene’s pixels', () => {
    // A 4×4 RGBA drawing of a 2×2 scene (k = 2): the top-left block fully inked, one pixel of the bottom-right.
    const rgba = new Uint8ClampedArray(4 * 16);
    for (const p of [0, 1, 4, 5]) rgba[4 * p + 3] = 255;
    rgba[4 * 15 + 3] = 200;
    expect(Array.from(inkOf(rgba, 2, 2))).toEqual([255, 0, 0, 50]);
  });
});
