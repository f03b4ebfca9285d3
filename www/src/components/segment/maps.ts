// The pure parts of <convplay-segment>: the class colours, painting a class map, the regions of
// a map (each labelled with its digit), and a drawing turned into a scene's input.

export const BACKGROUND = 10;

/** A colour per class: digits 0–9 from the Okabe–Ito and Tol palettes (told apart by people
 * with the common colour-vision deficiencies as far as ten hues allow; the digit is also written
 * in each region, so colour is never the only cue), then the background. */
export const CLASS_COLOURS = [
  '#E69F00',
  '#56B4E9',
  '#009E73',
  '#F0E442',
  '#0072B2',
  '#D55E00',
  '#CC79A7',
  '#332288',
  '#999933',
  '#882255',
  '#F2F2F2',
];

export const CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'background'];

function rgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const RGB = CLASS_COLOURS.map(rgb);

/** A size × size class map as RGBA pixels, optionally blended over the input's ink. */
export function paintClasses(map: Uint8Array, size: number, ink: Uint8Array | null = null): ImageData {
  const img = new ImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const [r, g, b] = RGB[map[i]] ?? [255, 0, 255];
    // The background stays light; where there is ink under it, darker, so strokes show through.
    const shade = ink && map[i] === BACKGROUND ? 1 - (0.5 * ink[i]) / 255 : 1;
    img.data.set([r * shade, g * shade, b * shade, 255], 4 * i);
  }
  return img;
}

/** Grey pixels (0 = background, white ink on black, as MNIST) as RGBA. */
export function paintInk(ink: Uint8Array, size: number): ImageData {
  const img = new ImageData(size, size);
  for (let i = 0; i < size * size; i++) img.data.set([ink[i], ink[i], ink[i], 255], 4 * i);
  return img;
}

export interface Region {
  digit: number;
  /** Centre of mass, in pixels of the map. */
  x: number;
  y: number;
  pixels: number;
}

/** The connected regions (4-neighbours) of non-background pixels, each with the class most of
 * its pixels have; regions under `minPixels` are left out (specks). */
export function regions(map: Uint8Array, size: number, minPixels = 12): Region[] {
  const seen = new Uint8Array(map.length);
  const out: Region[] = [];
  for (let start = 0; start < map.length; start++) {
    if (seen[start] || map[start] === BACKGROUND) continue;
    const stack = [start];
    seen[start] = 1;
    const votes = new Array<number>(BACKGROUND).fill(0);
    let [sx, sy, n] = [0, 0, 0];
    while (stack.length) {
      const p = stack.pop() as number;
      const [x, y] = [p % size, Math.floor(p / size)];
      votes[map[p]]++;
      sx += x;
      sy += y;
      n++;
      for (const q of [x > 0 ? p - 1 : -1, x < size - 1 ? p + 1 : -1, p - size, p + size]) {
        if (q >= 0 && q < map.length && !seen[q] && map[q] !== BACKGROUND) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
    if (n >= minPixels) out.push({ digit: votes.indexOf(Math.max(...votes)), x: sx / n, y: sy / n, pixels: n });
  }
  return out;
}

/** A drawing's alpha (width × height RGBA, width = height = size · k) averaged into size × size
 * u8 ink: the scene input (white ink on black, as MNIST). */
export function inkOf(rgba: Uint8ClampedArray, size: number, k: number): Uint8Array {
  const out = new Uint8Array(size * size);
  const w = size * k;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let sum = 0;
      for (let dy = 0; dy < k; dy++)
        for (let dx = 0; dx < k; dx++) sum += rgba[4 * ((y * k + dy) * w + x * k + dx) + 3];
      out[y * size + x] = Math.round(sum / (k * k));
    }
  return out;
}
