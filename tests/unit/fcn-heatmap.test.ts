// The wide canvas's helpers: the top class of a grid cell, the colour scale's ends and order,
// and the multiply-add arithmetic shown under the heatmap.
import { describe, expect, it } from 'vitest';
import { macText, scale, topAt } from '../../www/src/components/fcn/heatmap';

describe('fcn heatmap', () => {
  it('finds the top class of each cell, row by row', () => {
    const probs = Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.2, 0.3, 0.0, 0.1, 0.9, 0.3, 0.3, 0.4]);
    const g = { rows: 2, cols: 2, classes: 3, probs };
    expect(topAt(g, 0, 0)).toEqual({ top: 1, p: probs[1] });
    expect(topAt(g, 0, 1)).toEqual({ top: 0, p: probs[3] });
    expect(topAt(g, 1, 0)).toEqual({ top: 2, p: probs[8] });
    expect(topAt(g, 1, 1)).toEqual({ top: 2, p: probs[11] });
  });
  it('runs dark to light, clamped at both ends', () => {
    expect(scale(-1)).toEqual([68, 1, 84]);
    expect(scale(2)).toEqual([253, 231, 37]);
    const light = (v: number) => scale(v).reduce((a, b) => a + b, 0);
    for (let k = 0; k < 10; k++) expect(light((k + 1) / 10)).toBeGreaterThan(light(k / 10));
  });
  it('counts sliding as positions × one window, against one pass', () => {
    const m = macText(69_581_952, 2_528_000, 288, 4, 28);
    expect(m.sliding).toBe(728_064_000);
    expect(m.text).toContain('288 × 2,528,000 = 728,064,000 (10.5× as many)');
    expect(m.why).toContain('up to 49 windows cover a pixel');
  });
});
