// Downloads of a ConvPlay weights file in the formats other tools read: TF.js Layers
// (model.json + model.weights.bin, as TF.js's own `downloads://` writes them) and ONNX.

import { summarize } from './engine';
import { readMetadata } from './api/safetensors';
import { toTfjs } from './api/tfjs';
import { toOnnx } from './api/onnx';
import { download } from './storage';

/** The model's layer names, from its summary (the names the weights are stored under): the
 * top-level ones, or every row's (blocks' inner layers included). */
async function layerNames(weights: Uint8Array, all = false): Promise<string[]> {
  const spec = readMetadata(weights).spec;
  if (!spec) throw new Error('this weights file has no model spec: save it with ConvPlay');
  const summary = await summarize(spec, 1);
  return summary.rows.filter((r) => all || r.depth === 0).map((r) => r.name);
}

/** Downloads `<name>.json` (model.json) and `model.weights.bin` for `tf.loadLayersModel`. */
export async function downloadTfjs(weights: Uint8Array, name: string): Promise<void> {
  const { modelJson, weightData } = toTfjs(weights, await layerNames(weights));
  download(new TextEncoder().encode(JSON.stringify(modelJson)), `${name}.json`);
  download(new Uint8Array(weightData), 'model.weights.bin');
}

/** Downloads `<name>.onnx`. */
export async function downloadOnnx(weights: Uint8Array, name: string): Promise<void> {
  download(toOnnx(weights, await layerNames(weights, true)), `${name}.onnx`);
}
