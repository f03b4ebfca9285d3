// Images for the API: what `predict`, `activations` and `prepare` take, drawn to a model's
// input size on a canvas and normalised as its weights file asks; and weights given as bytes,
// a Blob or a URL.

import type { ModelInfo } from './protocol';

/** What `predict` and `activations` take: an image (drawn to the model's input size; one
 * channel is the luminance), or the input's values (u8 are scaled by 1/255). */
export type ImageInput =
  | ImageData
  | HTMLCanvasElement
  | OffscreenCanvas
  | HTMLImageElement
  | ImageBitmap
  | Float32Array
  | Uint8Array
  | Uint8ClampedArray;

export interface ImageOptions {
  /** Flip dark and light (MNIST digits are white on black; a drawing is usually the opposite). */
  invert?: boolean;
  /** The centred square taken from the image, as a fraction of its shorter side. Default:
   * 0.875 for models whose weights give a mean and std (ImageNet models), else the whole
   * image drawn at the input size. */
  crop?: number;
}

/** An image as the model sees it: the values, and the crop as pixels to show the user. */
export interface PreparedImage {
  values: Float32Array;
  /** The crop at the model's input size (RGBA). */
  preview: ImageData;
  /** Mean and standard deviation of the prepared values, to check them against what the model expects. */
  stats: { mean: number; std: number };
}

/** An image prepared as `info`'s weights ask (crop, size, mean and std), with the crop to show. */
export async function prepareImage(
  info: ModelInfo,
  input: Exclude<ImageInput, Float32Array | Uint8Array | Uint8ClampedArray>,
  o: ImageOptions,
): Promise<PreparedImage> {
  const [h, w, c] = info.input;
  if (info.input.length !== 3 || (c !== 1 && c !== 3))
    throw new Error(`${info.name} takes [${info.input.join(', ')}], not an image; pass its values as a Float32Array`);
  const pre = info.preprocessing;
  const normalised = Array.isArray(pre.mean) && Array.isArray(pre.std);
  const img = await imageDataOf(input, w, h, o.crop ?? (normalised ? 0.875 : undefined));
  const x = new Float32Array(h * w * c);
  for (let i = 0; i < h * w; i++) {
    let rgb = [img.data[4 * i], img.data[4 * i + 1], img.data[4 * i + 2]];
    if (o.invert) rgb = rgb.map((v) => 255 - v);
    if (c === 1) {
      const y = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
      x[i] = normalised ? (y - pre.mean![0]) / pre.std![0] : y / 255;
    } else {
      for (let k = 0; k < 3; k++) x[3 * i + k] = normalised ? (rgb[k] - pre.mean![k]) / pre.std![k] : rgb[k] / 255;
    }
  }
  let sum = 0;
  let sq = 0;
  for (const v of x) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / x.length;
  return { values: x, preview: img, stats: { mean, std: Math.sqrt(Math.max(0, sq / x.length - mean * mean)) } };
}

export async function bytesOf(w: Uint8Array | ArrayBuffer | Blob | string | URL): Promise<Uint8Array> {
  if (w instanceof Uint8Array) return w;
  if (w instanceof ArrayBuffer) return new Uint8Array(w);
  if (w instanceof Blob) return new Uint8Array(await w.arrayBuffer());
  const url = new URL(String(w), document.baseURI);
  const r = await fetch(url);
  if (!r.ok) throw new Error(`could not fetch ${url}: HTTP ${r.status}; check the weights file's URL`);
  return new Uint8Array(await r.arrayBuffer());
}

/** The largest image the page reads: 50 megapixels, and 16,384 pixels a side (as the native
 * decoder, crate/src/data/photo.rs); larger ones are refused before they are drawn. */
export const MAX_IMAGE_PIXELS = 50_000_000;
export const MAX_IMAGE_SIDE = 16_384;

/** Throws, naming the limit, when a `w × h` image is larger than the page reads. */
export function checkImageSize(w: number, h: number): void {
  if (w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE || w * h > MAX_IMAGE_PIXELS)
    throw new Error(
      `the image is ${w}×${h} pixels, larger than the ${MAX_IMAGE_PIXELS / 1e6} megapixels (and ${MAX_IMAGE_SIDE} pixels a side) this page reads: scale it down first`,
    );
}

/** Pixels of an image source, drawn at (w, h) when given; with `crop`, only the centred
 * square of that fraction of the shorter side. */
export async function imageDataOf(src: ImageInput, w?: number, h?: number, crop?: number): Promise<ImageData> {
  if (src instanceof ImageData && crop === undefined && (w === undefined || (src.width === w && src.height === h)))
    return src;
  const source = src instanceof ImageData ? await createImageBitmap(src) : src;
  if (source instanceof Float32Array || source instanceof Uint8Array || source instanceof Uint8ClampedArray)
    throw new Error('expected an image');
  const iw = 'naturalWidth' in source ? source.naturalWidth : source.width;
  const ih = 'naturalHeight' in source ? source.naturalHeight : source.height;
  const sw = w ?? iw;
  const sh = h ?? ih;
  if (!sw || !sh || !iw || !ih) throw new Error('the image has no size yet: wait for it to load');
  checkImageSize(iw, ih);
  if (crop !== undefined && !(crop > 0 && crop <= 1)) throw new Error(`crop ${crop} must be a fraction in (0, 1]`);
  const canvas = new OffscreenCanvas(sw, sh);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('this browser gives no 2D canvas context');
  ctx.imageSmoothingQuality = 'high';
  if (crop === undefined) ctx.drawImage(source, 0, 0, sw, sh);
  else {
    const side = Math.min(iw, ih) * crop;
    ctx.drawImage(source, (iw - side) / 2, (ih - side) / 2, side, side, 0, 0, sw, sh);
  }
  return ctx.getImageData(0, 0, sw, sh);
}
