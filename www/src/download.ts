// Fetching ConvPlay's large files (EfficientNet-Lite0, the MNIST training set) when a view
// first needs them, with their progress. The service worker (www/public/sw.js) keeps what was
// fetched, so the second time they come from this browser, offline too.

/** A download's progress: bytes so far, and the total (0 when the server does not say). */
export type Progress = (loaded: number, total: number) => void;

/** The bytes at `url`, reporting progress as they arrive. */
export async function download(url: string, onProgress?: Progress): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`could not fetch ${url}: HTTP ${r.status}; check the file's URL`);
  const total = Number(r.headers.get('content-length')) || 0;
  if (!r.body) return new Uint8Array(await r.arrayBuffer());
  const reader = r.body.getReader();
  const parts: Uint8Array[] = [];
  let loaded = 0;
  onProgress?.(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    onProgress?.(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** "downloading EfficientNet-Lite0 (5 MB, once: kept for offline use): 2.1 of 5.1 MB" */
export function downloadStatus(what: string, loaded: number, total: number): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return `downloading ${what} (once: kept in this browser for offline use): ${mb(loaded)}${total ? ` of ${mb(total)}` : ''} MB`;
}
