// A drawn digit on its way to the network (www/src/digit.ts), with the engine's real MNIST
// preprocessing in between: the wasm module, loaded in Node as the page loads it.
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { digitInput, inkOf, paintDigit } from '../../www/src/digit';
import { initSync, preprocessDigit } from '../../www/pkg/convplay.js';

beforeAll(() => {
  const wasm = new URL('../../www/pkg/convplay_bg.wasm', import.meta.url);
  if (!fs.existsSync(wasm)) throw new Error('www/pkg is missing: run `bash scripts/build-wasm.sh` first');
  initSync({ module: fs.readFileSync(wasm) });
});

/** A w×h transparent pad with `stroke` pixels drawn in the page's ink colour (#111, opaque). */
function pad(w: number, h: number, stroke: (x: number, y: number) => boolean): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(4 * w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) if (stroke(x, y)) rgba.set([17, 17, 17, 255], 4 * (y * w + x));
  return rgba;
}

/** Centre of mass (x, y) of a 28×28 digit, pixel i spanning [i, i + 1). */
function centre(d: Uint8Array): [number, number] {
  let [m, mx, my] = [0, 0, 0];
  d.forEach((v, i) => {
    m += v;
    mx += v * ((i % 28) + 0.5);
    my += v * (Math.floor(i / 28) + 0.5);
  });
  return [mx / m, my / m];
}

describe('inkOf', () => {
  it("takes each pixel's alpha, whatever its colour", () => {
    const rgba = [17, 17, 17, 255, 250, 250, 250, 128, 0, 0, 0, 0];
    expect(Array.from(inkOf(rgba, 3, 1))).toEqual([255, 128, 0]);
  });
});

describe('paintDigit and digitInput', () => {
  it('paint opaque grey and scale to [0, 1]', () => {
    const digit = Uint8Array.from([0, 51, 255]);
    const rgba = new Uint8ClampedArray(12);
    paintDigit(digit, rgba);
    expect(Array.from(rgba)).toEqual([0, 0, 0, 255, 51, 51, 51, 255, 255, 255, 255, 255]);
    expect(Array.from(digitInput(digit))).toEqual([0, Math.fround(0.2), 1]);
  });
});

describe('a drawing through the MNIST preprocessing', () => {
  it('becomes a white-on-black 28×28 digit, 20 pixels tall, centred by mass', () => {
    // A dark vertical bar near the corner of a 300×240 pad.
    const w = 300;
    const h = 240;
    const digit = preprocessDigit(
      inkOf(
        pad(w, h, (x, y) => x >= 20 && x < 50 && y >= 100 && y < 220),
        w,
        h,
      ),
      w,
      h,
    );
    expect(digit).toHaveLength(784);
    const rows = new Set(
      Array.from(digit.keys())
        .filter((i) => digit[i] > 0)
        .map((i) => Math.floor(i / 28)),
    );
    expect(rows.size).toBe(20);
    expect(Math.max(...digit)).toBe(255);
    const [cx, cy] = centre(digit);
    expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5);
    const x = digitInput(digit);
    expect(Math.max(...x)).toBe(1);
    expect(Math.min(...x)).toBe(0);
  });

  it('says what to do when nothing is drawn', () => {
    expect(() =>
      preprocessDigit(
        inkOf(
          pad(50, 50, () => false),
          50,
          50,
        ),
        50,
        50,
      ),
    ).toThrow('nothing is drawn yet: draw a digit first');
  });
});
