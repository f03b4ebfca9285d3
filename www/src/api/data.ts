// Data sets held in the engine worker, so that a training run names its data instead of
// posting it: MNIST (or Fashion-MNIST: the same IDX files) read once per split (the decoded files are shared by every data set cut
// from them, and dropped when the last is disposed), or arrays the caller handed over once.

import { generateScenes, readIdxImages, readIdxLabels } from '../../pkg/convplay.js';
import { fetchBytes } from '../mnist';
import type { Arrays, DataInfo, DataWire, SceneOptions } from './protocol';

/** A data set the worker can train on: its arrays, the values per instance, its shape. */
export interface Data extends Arrays {
  per: number;
  shape: number[] | null;
  name: string;
}

interface Held extends Data {
  release: () => void;
  labelPer: number;
}

/** The IDX files of one split (MNIST's names, which Fashion-MNIST shares). */
const FILES = { train: 'train', test: 't10k' } as const;

async function readSplit(url: string, split: 'train' | 'test', title: string): Promise<Arrays> {
  const base = url.endsWith('/') ? url : `${url}/`;
  const [imageBytes, labelBytes] = await Promise.all([
    fetchBytes(`${base}${FILES[split]}-images-idx3-ubyte.gz`),
    fetchBytes(`${base}${FILES[split]}-labels-idx1-ubyte.gz`),
  ]);
  // The Rust reader checks the magic numbers and that the lengths match the header.
  const images = readIdxImages(imageBytes);
  const [count, rows, cols] = [images.count, images.rows, images.cols];
  images.free();
  const labels = readIdxLabels(labelBytes);
  if (rows !== 28 || cols !== 28) throw new Error(`${title} ${split}: ${rows}×${cols} images, expected 28×28`);
  if (labels.length !== count) {
    throw new Error(`${title} ${split}: ${count} images but ${labels.length} labels; the files do not belong together`);
  }
  // After the 16-byte header, an IDX image file is the pixels, row by row, image by image.
  return { images: imageBytes.subarray(16, 16 + count * 784), labels };
}

export class DataStore {
  private held = new Map<number, Held>();
  private splits = new Map<string, { loading: Promise<Arrays>; users: number }>();

  get size(): number {
    return this.held.size;
  }

  /** Holds `d` under `id` (chosen by the API, so that a restarted worker uses it again);
   * `labelPer` labels per instance (a label map for scenes). */
  private add(id: number, d: Data, release: () => void = () => {}, labelPer = 1): DataInfo {
    this.held.get(id)?.release();
    this.held.set(id, { ...d, release, labelPer });
    const count = d.labels.length / labelPer;
    return { id, count, per: d.per, shape: d.shape ?? [d.per], name: d.name, labelPer };
  }

  /** An MNIST-format split (MNIST, Fashion-MNIST) from the folder at `url`, named `title`, read
   * once while any data set cut from it lives. */
  private async split(
    url: string,
    split: 'train' | 'test',
    title = 'MNIST',
  ): Promise<{ all: Arrays; release: () => void }> {
    const key = `${url} ${split}`;
    let entry = this.splits.get(key);
    if (!entry) {
      entry = { loading: readSplit(url, split, title), users: 0 };
      this.splits.set(key, entry);
    }
    const e = entry;
    e.users++;
    const release = () => {
      if (--e.users === 0 && this.splits.get(key) === e) this.splits.delete(key);
    };
    try {
      return { all: await e.loading, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** The first `count` images of an MNIST-format split from the folder at `url`, named `title`. */
  async mnist(id: number, url: string, split: 'train' | 'test', count: number, title = 'MNIST'): Promise<DataInfo> {
    const { all, release } = await this.split(url, split, title);
    const n = Math.min(count, all.labels.length);
    return this.add(
      id,
      {
        images: all.images.subarray(0, n * 784),
        labels: all.labels.subarray(0, n),
        per: 784,
        shape: [28, 28, 1],
        name: `${title} ${split}`,
      },
      release,
    );
  }

  /** `count` synthetic scenes (data/scenes.rs) made from the digits of an MNIST split, drawn with
   * `seed`: size × size pixels each, with a label map of the same size (0–9 ink, 10 background). */
  async scenes(
    id: number,
    url: string,
    split: 'train' | 'test',
    count: number,
    seed: number,
    options: SceneOptions,
  ): Promise<DataInfo> {
    const { all, release } = await this.split(url, split);
    try {
      const set = generateScenes(all.images as Uint8Array, all.labels, count, seed >>> 0, JSON.stringify(options));
      const size = set.size;
      const [images, labels] = [set.takePixels(), set.takeLabels()];
      set.free();
      const name = `MNIST scenes (${split})`;
      return this.add(id, { images, labels, per: size * size, shape: [size, size, 1], name }, () => {}, size * size);
    } finally {
      // The scenes are copies: the split's files are not needed any more.
      release();
    }
  }

  /** Arrays handed over by the caller; `shape`, when given, must account for every value. */
  hold(id: number, a: Arrays, shape: number[] | null, name: string): DataInfo {
    const n = a.labels.length;
    if (n === 0) throw new Error(`${name}: no labels; pass at least one labelled instance`);
    if (a.images.length % n !== 0) {
      throw new Error(
        `${name}: ${a.images.length} values for ${n} labels is not a whole number of values per instance; pass inputs and labels that belong together`,
      );
    }
    const per = a.images.length / n;
    if (shape && shape.reduce((x, y) => x * y, 1) !== per) {
      throw new Error(`${name}: shape [${shape.join(', ')}] does not hold the ${per} values of each instance`);
    }
    return this.add(id, { ...a, per, shape, name });
  }

  /** A held data set, or the arrays a call carries. */
  resolve(w: DataWire): Data {
    if ('held' in w) {
      const d = this.held.get(w.held);
      if (!d) throw new Error('this data set was disposed; load or hold it again');
      return d;
    }
    const n = w.labels.length;
    return { ...w, per: n ? w.images.length / n : 0, shape: null, name: 'the data' };
  }

  /** One instance's input and label (its label map too, for scenes; `label` is then its first). */
  example(id: number, index: number): { input: Uint8Array | Float32Array; label: number; labelMap: Uint8Array | null } {
    const d = this.held.get(id);
    if (!d) throw new Error('this data set was disposed; load or hold it again');
    const count = d.labels.length / d.labelPer;
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new Error(`${d.name} has instances 0 to ${count - 1}; ${index} is not one of them`);
    }
    const map = d.labelPer > 1 ? d.labels.slice(index * d.labelPer, (index + 1) * d.labelPer) : null;
    return {
      input: d.images.slice(index * d.per, (index + 1) * d.per),
      label: d.labels[index * d.labelPer],
      labelMap: map,
    };
  }

  dispose(id: number): void {
    const d = this.held.get(id);
    if (!d) return;
    this.held.delete(id);
    d.release();
  }
}
