// The largest image the page reads (www/src/api/images.ts): refused with the limit, before drawing.
import { describe, expect, it } from 'vitest';
import { checkImageSize, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE } from '../../www/src/api/images';

describe('checkImageSize', () => {
  it('takes photos up to 50 megapixels and 16,384 pixels a side', () => {
    expect(MAX_IMAGE_PIXELS).toBe(50_000_000);
    expect(MAX_IMAGE_SIDE).toBe(16_384);
    for (const [w, h] of [
      [1, 1],
      [4032, 3024],
      [10_000, 5_000],
      [16_384, 3_000],
    ])
      expect(() => checkImageSize(w, h)).not.toThrow();
  });

  it('names the size and the limit of a larger one', () => {
    expect(() => checkImageSize(100_000, 100_000)).toThrow(
      'the image is 100000×100000 pixels, larger than the 50 megapixels (and 16384 pixels a side) this page reads: scale it down first',
    );
    expect(() => checkImageSize(10_000, 5_001)).toThrow(
      'the image is 10000×5001 pixels, larger than the 50 megapixels',
    );
    expect(() => checkImageSize(16_385, 1)).toThrow('the image is 16385×1 pixels');
  });
});
