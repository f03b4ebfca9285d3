// MNIST in the page: fetch the gzipped IDX files shipped in www/public/data/mnist,
// decompress with the browser's DecompressionStream, decode with the Rust reader.

import { readIdxImages, readIdxLabels, type IdxImages } from '../pkg/convplay.js';
import { loadWasm } from './engine';
import { assetUrl } from './assets';

export interface MnistSplit {
  images: IdxImages;
  labels: Uint8Array;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Fetches a file and returns its bytes, gunzipped when they are gzip. */
export async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(
      `could not fetch ${url}: HTTP ${response.status}; check that the file is deployed next to the page`,
    );
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  // A server may already have undone the gzip (Content-Encoding); look at the bytes.
  if (bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1]) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  try {
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`${url} is not a valid gzip file (${(e as Error).message}); fetch it again`);
  }
}

export async function loadMnist(split: 'train' | 't10k', base = assetUrl('data/mnist')): Promise<MnistSplit> {
  await loadWasm();
  const [imageBytes, labelBytes] = await Promise.all([
    fetchBytes(`${base}/${split}-images-idx3-ubyte.gz`),
    fetchBytes(`${base}/${split}-labels-idx1-ubyte.gz`),
  ]);
  const images = readIdxImages(imageBytes);
  const labels = readIdxLabels(labelBytes);
  if (labels.length !== images.count) {
    throw new Error(
      `MNIST ${split}: ${images.count} images but ${labels.length} labels; the files do not belong together`,
    );
  }
  return { images, labels };
}
