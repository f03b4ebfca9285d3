// Preparing photos for a pretrained base (www/src/transfer.ts): pixels to input values under
// each normalisation, the statistics that catch a preprocessing mismatch, the seeded
// stratified split and its generator. (The confusion matrix is the API's: evaluate.test.ts.)
import { describe, expect, it } from 'vitest';
import { EXPECTED, checkStats, rng, split, stats, toValues } from '../../www/src/transfer';

/** An RGBA image as the canvas returns it (Node has no ImageData). */
function image(width: number, height: number, rgba: number[]): ImageData {
  expect(rgba).toHaveLength(4 * width * height);
  return { width, height, data: new Uint8ClampedArray(rgba), colorSpace: 'srgb' };
}

const close = (actual: Float32Array, expected: number[]) => {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, 6));
};

describe('toValues', () => {
  // Two pixels: orange-ish and cyan; alpha is not an input.
  const img = image(2, 1, [255, 128, 0, 255, 0, 255, 255, 7]);

  it("applies the base's mean and std per channel, dropping alpha (HWC order)", () => {
    const x = toValues(img, 'model', [127, 127, 127], [128, 128, 128]);
    close(x, [1, 1 / 128, -127 / 128, -127 / 128, 1, 1]);
  });

  it('divides by 255 for "unit"', () => {
    close(toValues(img, 'unit', [127, 127, 127], [128, 128, 128]), [1, 128 / 255, 0, 0, 1, 1]);
  });

  it("uses torchvision's ImageNet mean and std, whatever the base says", () => {
    const tv = (v: number, m: number, s: number) => (v / 255 - m) / s;
    close(toValues(img, 'torchvision', [0, 0, 0], [1, 1, 1]), [
      tv(255, 0.485, 0.229),
      tv(128, 0.456, 0.224),
      tv(0, 0.406, 0.225),
      tv(0, 0.485, 0.229),
      tv(255, 0.456, 0.224),
      tv(255, 0.406, 0.225),
    ]);
  });
});

describe('stats and checkStats', () => {
  it('computes the mean and the population standard deviation', () => {
    const s = stats(new Float32Array([1, 2, 3, 4]));
    expect(s.mean).toBeCloseTo(2.5, 6);
    expect(s.std).toBeCloseTo(Math.sqrt(1.25), 6);
    expect(stats(new Float32Array([5, 5, 5]))).toEqual({ mean: 5, std: 0 });
    expect(stats(new Float32Array([]))).toEqual({ mean: 0, std: 0 });
  });

  it('accepts inputs near mean 0 and std 0.5, and warns with the figures otherwise', () => {
    expect(checkStats({ mean: 0.1, std: 0.45 })).toBeNull();
    expect(checkStats({ mean: -0.34, std: 1.2 })).toBeNull();
    expect(checkStats({ mean: 0.36, std: 0.5 })).toMatch(/^the prepared images have mean 0\.36 and std 0\.50,/);
    expect(checkStats({ mean: 0, std: 0.1 })).toContain('std 0.10');
    expect(checkStats({ mean: 0, std: 1.3 })).toContain("Use the base's own normalisation.");
    expect(checkStats({ mean: 5, std: 1 }, { mean: 5, std: 1 })).toBeNull();
  });

  it("does not ask for the base's own normalisation when it is already chosen (dark photos)", () => {
    const dark = checkStats({ mean: -0.7, std: 0.3 }, EXPECTED, 'model');
    expect(dark).not.toContain('normalisation');
    expect(dark).toMatch(/^the photos are dark: the prepared images have mean -0\.70 and std 0\.30/);
    expect(checkStats({ mean: 0.6, std: 0.3 }, EXPECTED, 'model')).toMatch(/^the photos are bright/);
    expect(checkStats({ mean: 0, std: 0.05 }, EXPECTED, 'model')).toMatch(/^the photos are nearly uniform/);
    expect(checkStats({ mean: -0.7, std: 0.3 }, EXPECTED, 'unit')).toContain("Use the base's own normalisation.");
  });

  it('catches the classic mistake of pixels ÷ 255 on a real-looking photo', () => {
    // A horizontal grey ramp 0..255, 64 pixels wide.
    const ramp = image(
      64,
      1,
      Array.from({ length: 64 }, (_, i) => {
        const v = Math.round((255 * i) / 63);
        return [v, v, v, 255];
      }).flat(),
    );
    expect(checkStats(stats(toValues(ramp, 'model', [127, 127, 127], [128, 128, 128])))).toBeNull();
    expect(checkStats(stats(toValues(ramp, 'unit', [127, 127, 127], [128, 128, 128])))).toMatch(
      /preprocessing mismatch/,
    );
  });
});

describe('rng', () => {
  it('repeats for a seed, differs between seeds, and stays in [0, 1)', () => {
    const a = rng(42);
    const b = rng(42);
    const c = rng(43);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(Array.from({ length: 10_000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 10 }, () => c())).not.toEqual(xs.slice(0, 10));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
  });
});

describe('split', () => {
  const count = (parts: string[], p: string) => parts.filter((x) => x === p).length;

  it('cuts each class by the fractions, with at least one of each part from 3 images on', () => {
    const parts = split([20, 10, 3, 2, 1, 0], [0.7, 0.15, 0.15], 1);
    expect(parts.map((p) => p.length)).toEqual([20, 10, 3, 2, 1, 0]);
    const tally = parts.map((p) => [count(p, 'train'), count(p, 'val'), count(p, 'test')]);
    expect(tally).toEqual([
      [14, 3, 3],
      [6, 2, 2], // 1.5 rounds to 2
      [1, 1, 1],
      [2, 0, 0],
      [1, 0, 0],
      [0, 0, 0],
    ]);
  });

  it('is the same for a seed and shuffles differently for another', () => {
    expect(split([50, 50], [0.6, 0.2, 0.2], 7)).toEqual(split([50, 50], [0.6, 0.2, 0.2], 7));
    expect(split([50], [0.6, 0.2, 0.2], 7)).not.toEqual(split([50], [0.6, 0.2, 0.2], 8));
  });

  it('allows no validation or test part', () => {
    expect(split([5], [1, 0, 0], 3)).toEqual([['train', 'train', 'train', 'train', 'train']]);
  });

  it('names fractions that do not make a split', () => {
    expect(() => split([10], [0.5, 0.3, 0.3], 1)).toThrow(
      'split 50/30/30: the three parts must be ≥ 0, training > 0, and add up to 100%',
    );
    expect(() => split([10], [0, 0.5, 0.5], 1)).toThrow('split 0/50/50');
    expect(() => split([10], [1.2, -0.2, 0], 1)).toThrow('split 120/-20/0');
  });
});
