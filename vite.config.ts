import { defineConfig } from 'vite';

// The playground page is index.html at the repository root; static assets
// (MNIST files, shipped models) live in www/public and are served as they are.
export default defineConfig({
  root: '.',
  base: './',
  publicDir: 'www/public',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    rollupOptions: {
      // The playground page, and the embedding module (components + API) under a fixed
      // name, dist/convplay.js, so a course page can load it from a copied dist/ folder.
      input: { main: 'index.html', convplay: 'www/src/convplay.ts' },
      output: { entryFileNames: (chunk) => (chunk.name === 'convplay' ? 'convplay.js' : 'assets/[name]-[hash].js') },
      preserveEntrySignatures: 'exports-only',
    },
  },
  // The training worker is an ES module (it imports the wasm glue, which uses import.meta.url).
  worker: { format: 'es' },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
});
