// Where ConvPlay's own files (MNIST, shipped models, presets) are. In the playground page
// they sit next to index.html; when a course page loads the components from a copied
// dist/ folder, the entry module (convplay.js) sets the base to its own folder.

let base: string | null = null;

/** Sets the folder that holds `data/` and `models/` (the embed entry calls this). */
export function setAssetBase(url: string | URL): void {
  base = new URL(url, document.baseURI).href;
}

/** The folder set with `setAssetBase` (null in the playground page, which uses its own). */
export function assetBase(): string | null {
  return base;
}

/** Where the build puts the engine's worker and wasm under fixed names (vite.config.ts), so a
 * page that serves a copy of dist/ — the script-tag route, or an npm install whose bundler
 * moved the API's code elsewhere — finds them under the asset base. */
export const WORKER_FILE = 'assets/convplay-worker.js';
export const WASM_FILE = 'assets/convplay_bg.wasm';

/** The URL of one of ConvPlay's files, e.g. `assetUrl('models/mnist-seed-001.safetensors')`. */
export function assetUrl(path: string): string {
  return new URL(path, base ?? document.baseURI).href;
}
