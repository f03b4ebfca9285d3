// A drawn digit on its way to the network, around the engine's MNIST preprocessing
// (preprocessDigit: crop, fit 20×20, centre by mass in 28×28; crate/src/data/preprocess.rs).

/** The ink of the drawing pad, one value per pixel: the alpha of its RGBA pixels. Strokes are
 * the only thing drawn on a transparent pad, so alpha is the ink whatever the stroke's colour
 * (dark on a light page, light on a dark one) — and MNIST digits are ink, white on black. */
export function inkOf(rgba: ArrayLike<number>, w: number, h: number): Uint8Array {
  const ink = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) ink[i] = rgba[4 * i + 3];
  return ink;
}

/** Writes a 28×28 digit (0–255, white on black) into RGBA pixels as opaque grey, for the preview. */
export function paintDigit(digit: ArrayLike<number>, rgba: Uint8ClampedArray): void {
  for (let i = 0; i < digit.length; i++) {
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = digit[i];
    rgba[4 * i + 3] = 255;
  }
}

/** The network's input for a digit: each pixel ÷ 255, as MNIST is fed to it. */
export function digitInput(digit: Uint8Array): Float32Array {
  return Float32Array.from(digit, (v) => v / 255);
}
