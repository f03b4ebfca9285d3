// Step 7 of <convplay-transfer> behind the page: the new model. It is the base up to its pool
// plus the new head (fullSpec), filled by name from the base and then from what was trained
// (the head, or the fine-tuned top), and given the class names and the base's preprocessing.
// It is exported as int8 safetensors; any such file of 224×224 RGB inputs loads back.

import { saveOnnx } from '../../api/onnx';
import type { ConvPlay, Model } from '../../api/index';
import { download } from '../../storage';
import { fullSpec, type HeadOptions, type Plan, type SpecJson } from '../../transfer';
import { SIZE } from './features';

/** The whole new model: the base up to its pool with `trained`'s weights on top. */
export async function assemble(
  engine: ConvPlay,
  base: { model: Model; spec: SpecJson; plan: Plan },
  trained: Model,
  head: HeadOptions,
  labels: string[],
  cpu: boolean,
): Promise<Model> {
  const full = await engine.model(
    { spec: fullSpec(base.spec, base.model.info.layerNames, base.plan, head, labels) },
    { batch: 1, cpu },
  );
  try {
    await full.copyWeightsFrom(base.model);
    await full.copyWeightsFrom(trained);
    await full.configure({ labels, preprocessing: base.model.info.preprocessing });
    return full;
  } catch (e) {
    await full.dispose().catch(() => {});
    throw e;
  }
}

/** A model from a ConvPlay weights file, refused (by `origin`) unless it reads 224×224 RGB photos. */
export async function loadNewModel(engine: ConvPlay, bytes: Uint8Array, origin: string, cpu: boolean): Promise<Model> {
  const m = await engine.model({ weights: bytes }, { batch: 1, cpu });
  const [h, w, c] = m.info.input;
  if (m.info.input.length !== 3 || c !== 3 || h !== SIZE || w !== SIZE) {
    await m.dispose();
    throw new Error(
      `${origin} holds a model for [${m.info.input.join(', ')}] inputs; this step takes models of 224×224 RGB photos, like the ones exported here`,
    );
  }
  return m;
}

/** The model's reading of a photo: every label with its probability, most likely first. */
export async function classify(
  model: Model,
  item: Blob | HTMLCanvasElement | ImageBitmap,
  source: string,
): Promise<{ label: string; p: number }[]> {
  if (item instanceof Blob && !item.type.startsWith('image/'))
    throw new Error(`${source} is not an image (${item.type || 'unknown type'}); use a PNG, JPEG, GIF or WebP photo`);
  const bitmap = item instanceof ImageBitmap ? item : await createImageBitmap(item);
  const p = await model.predict(bitmap);
  return p.probabilities.map((v, i) => ({ label: model.info.labels[i] ?? String(i), p: v })).sort((a, b) => b.p - a.p);
}

/** Downloads the model as int8 safetensors, named after its labels. */
export async function exportModel(model: Model, labels: string[], format: 'safetensors' | 'onnx'): Promise<void> {
  const name = labels.map((l) => l.replace(/[^\w-]+/g, '_')).join('-') || 'taught';
  if (format === 'onnx') download(await saveOnnx(model), `convplay-${name}.onnx`);
  else download(await model.save({ format: 'int8' }), `convplay-${name}.safetensors`);
}
