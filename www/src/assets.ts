// Where ConvPlay's own files (MNIST, shipped models, presets) are. In the playground page
// they sit next to index.html; when a course page loads the components from a copied
// dist/ folder, the entry module (convplay.js) sets the base to its own folder.

let base: string | null = null;

/** Sets the folder that holds `data/` and `models/` (the embed entry calls this). */
export function setAssetBase(url: string | URL): void {
  base = new URL(url, document.baseURI).href;
}

/** The URL of one of ConvPlay's files, e.g. `assetUrl('models/mnist-seed-001.safetensors')`. */
export function assetUrl(path: string): string {
  return new URL(path, base ?? document.baseURI).href;
}
