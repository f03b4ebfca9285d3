// The classes being taught and their photos, as <convplay-transfer> holds them in memory: each
// photo is a bitmap (its shorter side at most KEEP_SIDE), a thumbnail URL for the page and a
// JPEG for IndexedDB (store.ts). Adding photos decodes what was given and names what could not be.

import { drawCrop } from '../../transfer';

export interface Sample {
  /** Unique within the page: the feature cache (features.ts) is keyed by it. */
  id: number;
  image: ImageBitmap;
  /** An object URL of a 48×48 JPEG, revoked by `releaseSamples`. */
  thumb: string;
  /** Where it came from: a file name, 'camera', … */
  source: string;
  /** The kept image as a JPEG, for IndexedDB. */
  jpeg: Blob;
}

export interface TaughtClass {
  name: string;
  samples: Sample[];
}

export const MIN_CLASSES = 2;
export const MAX_CLASSES = 10;

/** Photos are kept with their shorter side at most this long: enough for a 224×224 crop after
 * the random crop, and a phone photo then takes 0.6 MB instead of 48. */
const KEEP_SIDE = 384;

/** The default name of the class at `index`: class A, class B, … */
export function className(index: number): string {
  return `class ${String.fromCharCode(65 + index)}`;
}

/** Two empty classes: where the exercise starts. */
export function freshClasses(): TaughtClass[] {
  return [
    { name: className(0), samples: [] },
    { name: className(1), samples: [] },
  ];
}

let nextId = 1;

/** `image` scaled down to KEEP_SIDE on its shorter side (closing the original), or as it is. */
async function keepable(image: ImageBitmap): Promise<ImageBitmap> {
  const short = Math.min(image.width, image.height);
  if (short <= KEEP_SIDE) return image;
  const k = KEEP_SIDE / short;
  const small = await createImageBitmap(image, {
    resizeWidth: Math.round(image.width * k),
    resizeHeight: Math.round(image.height * k),
    resizeQuality: 'high',
  });
  image.close();
  return small;
}

/** A sample of a kept image: its thumbnail and its JPEG (`jpeg` when it came from one). */
export async function makeSample(image: ImageBitmap, source: string, jpeg?: Blob): Promise<Sample> {
  const thumb = await drawCrop(image, 48, 1).convertToBlob({ type: 'image/jpeg', quality: 0.7 });
  if (!jpeg) {
    const full = new OffscreenCanvas(image.width, image.height);
    full.getContext('2d')?.drawImage(image, 0, 0);
    jpeg = await full.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
  }
  return { id: nextId++, image, thumb: URL.createObjectURL(thumb), source, jpeg };
}

/** Samples of images (files, blobs, canvases, bitmaps), and the names of those that are not
 * images this browser can decode. A file is named by its name, anything else by `source`. */
export async function decodeImages(
  items: (Blob | HTMLCanvasElement | ImageBitmap)[],
  source: string,
): Promise<{ added: Sample[]; bad: string[] }> {
  const bad: string[] = [];
  const added: Sample[] = [];
  for (const item of items) {
    let image: ImageBitmap;
    const name = item instanceof File ? item.name : source;
    try {
      if (item instanceof Blob && !item.type.startsWith('image/')) throw new Error('not an image');
      image = await keepable(item instanceof ImageBitmap ? item : await createImageBitmap(item));
    } catch {
      bad.push(name);
      continue;
    }
    added.push(await makeSample(image, name));
  }
  return { added, bad };
}

/** Frees what samples hold in the page (their thumbnail URLs and bitmaps). */
export function releaseSamples(samples: Sample[]): void {
  for (const s of samples) {
    URL.revokeObjectURL(s.thumb);
    s.image.close();
  }
}

/** What keeps the classes from being trained on (no name, a name twice, under 3 images). */
export function classProblems(classes: TaughtClass[]): string[] {
  const labels = classes.map((c) => c.name.trim());
  const problems: string[] = [];
  labels.forEach((l, i) => {
    if (!l) problems.push(`class ${i + 1} has no name`);
    else if (labels.indexOf(l) !== i) problems.push(`two classes are called "${l}"`);
  });
  classes.forEach((c) => {
    if (c.samples.length < 3)
      problems.push(
        `"${c.name}" has ${c.samples.length} image${c.samples.length === 1 ? '' : 's'}; add at least 3 (≥ 100 for a model you can trust)`,
      );
  });
  return problems;
}
