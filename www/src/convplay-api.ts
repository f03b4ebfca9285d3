// The API-only entry, built to dist/convplay-api.js and exported as `convplay/api`: the
// JavaScript API (engines, models, training, data) without registering any web component.
// Like the embedding entry, it finds ConvPlay's files (MNIST, models) next to itself; a page
// that serves them elsewhere calls setAssetBase.

import { setAssetBase } from './assets';

setAssetBase(new URL(/* @vite-ignore */ './', import.meta.url));

export * from './api/index';
export { setAssetBase } from './assets';
export { fromTfjs, toTfjs, saveTfjs } from './api/tfjs';
export type { TfjsArtifacts, TfjsWeightSpec } from './api/tfjs';
export { toOnnx, saveOnnx } from './api/onnx';
