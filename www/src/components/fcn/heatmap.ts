// The wide canvas's heatmap (<convplay-fcn>): a grid of class probabilities from one pass of the
// fully convolutional net, drawn over the canvas, and the arithmetic of its multiply-adds.

/** The converted net's output: `rows` × `cols` positions, `classes` probabilities each. */
export interface Grid {
  rows: number;
  cols: number;
  classes: number;
  probs: Float32Array;
}

/** The top class and its probability at position (i, j). */
export function topAt(g: Grid, i: number, j: number): { top: number; p: number } {
  const o = (i * g.cols + j) * g.classes;
  let top = 0;
  for (let k = 1; k < g.classes; k++) if (g.probs[o + k] > g.probs[o + top]) top = k;
  return { top, p: g.probs[o + top] };
}

// A sequential scale that reads in grey and under the common colour-vision deficiencies: dark
// blue through teal and green to yellow (the viridis family), interpolated between 6 stops.
const STOPS: [number, number, number][] = [
  [68, 1, 84],
  [65, 68, 135],
  [42, 120, 142],
  [34, 168, 132],
  [122, 209, 81],
  [253, 231, 37],
];

/** The scale's colour for v in [0, 1]. */
export function scale(v: number): [number, number, number] {
  const t = Math.max(0, Math.min(1, v)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(t));
  const f = t - i;
  const [a, b] = [STOPS[i], STOPS[i + 1]];
  return [0, 1, 2].map((c) => Math.round(a[c] + f * (b[c] - a[c]))) as [number, number, number];
}

/** Where the net's windows sit on the canvas (model pixels): window (i, j) starts at
 * (i·stride, j·stride) and is `window` tall and wide. */
export interface Layout {
  stride: number;
  window: number;
  /** Display pixels per model pixel. */
  zoom: number;
}

/**
 * Paints the grid over a canvas of the display size: each position is a square of `stride`
 * model pixels at its window's centre, coloured by the top class's probability (or, with
 * `only` set, by that class's), with the top class written in cells at least `confident` sure.
 */
export function paint(ctx: CanvasRenderingContext2D, g: Grid, at: Layout, only: number | null, confident = 0.9): void {
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  const side = at.stride * at.zoom;
  const off = (at.window / 2 - at.stride / 2) * at.zoom;
  ctx.font = `700 ${Math.round(side * 0.75)}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let i = 0; i < g.rows; i++)
    for (let j = 0; j < g.cols; j++) {
      const { top, p } = topAt(g, i, j);
      const v = only === null ? p : g.probs[(i * g.cols + j) * g.classes + only];
      const [r, gr, b] = scale(v);
      const x = off + j * side;
      const y = off + i * side;
      ctx.fillStyle = `rgba(${r}, ${gr}, ${b}, 0.55)`;
      ctx.fillRect(x, y, side, side);
      if (only === null && p >= confident) {
        ctx.fillStyle = v > 0.6 ? '#111' : '#fff';
        ctx.fillText(String(top), x + side / 2, y + side / 2 + 1);
      }
    }
}

/** The multiply-adds of one pass of the converted net against sliding the original model over
 * every position, with the sentence that says why they differ. */
export function macText(fcn: number, original: number, positions: number, stride: number, window: number) {
  const sliding = positions * original;
  const n = (v: number) => v.toLocaleString('en');
  const overlap = Math.round((window / stride) ** 2);
  return {
    sliding,
    ratio: sliding / Math.max(1, fcn),
    text:
      `One pass of the fully convolutional net: ${n(fcn)} multiply-adds. ` +
      `Sliding the original model over the ${n(positions)} positions: ${n(positions)} × ${n(original)} = ${n(sliding)} ` +
      `(${(sliding / Math.max(1, fcn)).toFixed(1)}× as many).`,
    why:
      `Neighbouring windows overlap (a ${window}×${window} window every ${stride} pixels: up to ${overlap} windows cover ` +
      `a pixel), so the sliding model computes the same convolution outputs again for every window that contains them; ` +
      `the converted net computes each feature once and shares it among those windows.`,
  };
}
