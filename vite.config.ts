import { defineConfig, type Plugin } from 'vite';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The files fetched on demand rather than on the first visit: EfficientNet-Lite0 (5 MB), the
 * mnist-best models and their list, the MNIST training set (9.7 MB), all of Fashion-MNIST (31 MB, fetched when a trainer chooses it) and
 * the full-size sample photos (their thumbnails are precached). */
const LAZY = [
  /^models\/efficientnet-/,
  /^models\/segment-/,
  /^models\/mnist-best/,
  /^data\/mnist\/train-/,
  /^data\/fashion-mnist\//,
  /^samples\/[^/]+\.(png|jpg)$/,
];

/** Writes the service worker, dist/sw.js: www/public/sw.js with this build's version (a hash of
 * every file, the worker's own code included) and its file list (bundle and public folder) in
 * place of its BUILD placeholder, so each build's worker differs in its bytes and the browser
 * installs it. The same {version, files, lazy} goes to dist/precache.json, for people and tools. */
function precacheManifest(): Plugin {
  return {
    name: 'convplay-precache',
    apply: 'build',
    generateBundle(_, bundle) {
      const pub = path.resolve('www/public');
      const walk = (dir: string): string[] =>
        fs
          .readdirSync(dir, { withFileTypes: true })
          .flatMap((e) =>
            e.isDirectory()
              ? walk(path.join(dir, e.name))
              : [path.relative(pub, path.join(dir, e.name)).split(path.sep).join('/')],
          );
      const files = [
        ...new Set([
          './',
          'index.html',
          ...Object.keys(bundle),
          ...walk(pub).filter((f) => f !== 'sw.js' && !f.endsWith('.md')),
        ]),
      ].sort();
      const worker = fs.readFileSync(path.join(pub, 'sw.js'), 'utf8');
      const placeholder = /\/\* build \*\/[^]*?\/\* \/build \*\//;
      if (!placeholder.test(worker))
        this.error('www/public/sw.js has lost its `/* build */ … /* /build */` placeholder for the build list');
      const hash = createHash('sha256').update(worker);
      for (const name of Object.keys(bundle).sort()) {
        const item = bundle[name];
        hash
          .update(name)
          .update(
            item.type === 'chunk'
              ? item.code
              : typeof item.source === 'string'
                ? item.source
                : Buffer.from(item.source),
          );
      }
      for (const f of files.filter((f) => !(f in bundle) && f !== './' && f !== 'index.html'))
        hash.update(f).update(fs.readFileSync(path.join(pub, f)));
      // The large files are fetched when a view first needs them (and then kept), not on the
      // first visit: each with a hash of its bytes, so a new build keeps an unchanged one.
      const isLazy = (f: string) => LAZY.some((re) => re.test(f));
      const lazy = Object.fromEntries(
        files.filter(isLazy).map((f) => [
          f,
          createHash('sha256')
            .update(fs.readFileSync(path.join(pub, f)))
            .digest('hex')
            .slice(0, 16),
        ]),
      );
      const build = { version: hash.digest('hex').slice(0, 16), files: files.filter((f) => !isLazy(f)), lazy };
      this.emitFile({ type: 'asset', fileName: 'precache.json', source: JSON.stringify(build, null, 1) });
      // Replaces the copy of the public folder's placeholder worker.
      this.emitFile({
        type: 'asset',
        fileName: 'sw.js',
        source: worker.replace(placeholder, () => JSON.stringify(build)),
      });
    },
  };
}

/** The engine's wasm under its fixed name (www/src/assets.ts); other assets hashed. */
function wasmFixedName(asset: { names: string[] }): string {
  return asset.names.some((n) => n.endsWith('convplay_bg.wasm'))
    ? 'assets/convplay_bg.wasm'
    : 'assets/[name]-[hash][extname]';
}

/** The headers that make a page cross-origin isolated (`crossOriginIsolated`: SharedArrayBuffer,
 * precise timers). Training on every core works without them too (docs/design.md, "Every core"). */
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// The playground page is index.html at the repository root; static assets
// (MNIST files, shipped models) live in www/public and are served as they are.
export default defineConfig({
  plugins: [precacheManifest()],
  root: '.',
  base: './',
  publicDir: 'www/public',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    rollupOptions: {
      // The playground page, and the embedding modules under fixed names so a course page can
      // load them from a copied dist/ folder and the npm package can export them:
      // dist/convplay.js (components + API) and dist/convplay-api.js (the API alone).
      input: { main: 'index.html', convplay: 'www/src/convplay.ts', 'convplay-api': 'www/src/convplay-api.ts' },
      output: {
        entryFileNames: (chunk) =>
          chunk.name === 'convplay' || chunk.name === 'convplay-api' ? `${chunk.name}.js` : 'assets/[name]-[hash].js',
        assetFileNames: wasmFixedName,
      },
      preserveEntrySignatures: 'exports-only',
    },
  },
  // The engine's worker is an ES module (it imports the wasm glue, which uses import.meta.url).
  // It and the wasm keep fixed names (www/src/assets.ts): a page that serves a copy of dist/
  // loads them from its asset base, wherever a bundler moved the API's own code. The replica
  // workers it starts itself keep hashed names (found next to it).
  worker: {
    format: 'es',
    rollupOptions: {
      output: {
        entryFileNames: (chunk) => (chunk.name === 'worker' ? 'assets/convplay-worker.js' : 'assets/[name]-[hash].js'),
        assetFileNames: wasmFixedName,
      },
    },
  },
  // Cross-origin isolated (COOP + COEP), as docs/embedding.md recommends for a course's server.
  server: { host: '127.0.0.1', port: 5173, headers: ISOLATION },
  preview: { host: '127.0.0.1', port: 4173, headers: ISOLATION },
});
