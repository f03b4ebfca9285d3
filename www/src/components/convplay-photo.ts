// <convplay-photo>: classify a photo with the shipped EfficientNet-Lite0 (int8, ImageNet).
// A photo comes from a file, drag-and-drop, paste, the webcam or a sample; the page shows
// the 224×224 centre crop the model sees, the top-5 labels with probabilities, the time the
// reading took, and checks the prepared input's statistics against what the model expects.
// The model (5 MB) is fetched on first use; the engine runs in a worker.

import { LitElement, css, html, nothing } from 'lit';
import { sharedEngine, wantsCpu, type Model } from '../api/index';
import { checkImageSize } from '../api/images';
import { parseBackendChoice } from '../engine';
import { assetUrl } from '../assets';
import { download, downloadStatus } from '../download';
import { Camera } from '../camera';
import { dropFiles } from '../drop';

interface Reading {
  top: { label: string; index: number; p: number }[];
  ms: number;
  stats: { mean: number; std: number };
  source: string;
}

const SAMPLES = ['chelsea.png', 'coffee.png', 'rocket.jpg'];

export class ConvplayPhoto extends LitElement {
  static properties = {
    model: { type: String },
    backend: { type: String },
    status: { state: true },
    reading: { state: true },
    problem: { state: true },
    camera: { state: true },
    fetched: { state: true },
  };

  declare model: string;
  declare backend: string;
  declare status: string;
  declare reading: Reading | null;
  declare problem: string;
  declare camera: boolean;
  /** How much of the model file has arrived (0–1) while it downloads, else null. */
  declare fetched: number | null;
  private net: Promise<Model> | null = null;
  private cam = new Camera();
  private onPaste = (e: ClipboardEvent) => {
    const file = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
    if (file) void this.classifyBlob(file, 'pasted image');
  };

  constructor() {
    super();
    this.model = '';
    this.backend = 'auto';
    this.status = '';
    this.reading = null;
    this.problem = '';
    this.camera = false;
    this.fetched = null;
  }

  static styles = css`
    :host {
      display: block;
      font-size: 0.9rem;
    }
    .row {
      display: flex;
      flex-wrap: wrap;
      gap: 1rem;
      align-items: flex-start;
    }
    .drop {
      border: 2px dashed var(--cp-border, #dde1ea);
      border-radius: 8px;
      padding: 0.75rem;
      display: flex;
      flex-direction: column;
      gap: 0.5rem;
      min-width: 15rem;
    }
    .drop.over {
      border-color: var(--cp-accent, #1565c0);
    }
    canvas.crop {
      width: 224px;
      height: 224px;
      border-radius: 6px;
      background: #000;
    }
    video {
      width: 224px;
      border-radius: 6px;
      background: #000;
    }
    button,
    input {
      font: inherit;
    }
    button {
      cursor: pointer;
      color: var(--cp-accent, #1565c0);
      background: var(--cp-card, #fff);
      border: 1px solid var(--cp-accent, #1565c0);
      border-radius: 4px;
      padding: 0.25rem 0.55rem;
    }
    .samples {
      display: flex;
      gap: 0.4rem;
      flex-wrap: wrap;
    }
    .samples button.sample {
      padding: 0;
      line-height: 0;
      border-color: var(--cp-border, #dde1ea);
    }
    .samples img {
      width: 64px;
      height: 48px;
      object-fit: cover;
      border-radius: 4px;
      cursor: pointer;
      border: 1px solid var(--cp-border, #dde1ea);
    }
    .bars {
      display: grid;
      grid-template-columns: 10rem 1fr 4rem;
      gap: 0.25rem 0.5rem;
      align-items: center;
      font-variant-numeric: tabular-nums;
      min-width: 18rem;
    }
    .bar {
      height: 0.8rem;
      background: var(--cp-border, #dde1ea);
      border-radius: 3px;
      overflow: hidden;
    }
    .bar > div {
      height: 100%;
      background: var(--cp-accent, #1565c0);
    }
    .note {
      color: var(--cp-muted, #5b6478);
      font-size: 0.85rem;
      margin: 0.25rem 0;
    }
    .warn {
      color: var(--cp-warn-fg, #6b4e00);
      background: var(--cp-warn-bg, #fff4d6);
      padding: 0.3rem 0.5rem;
      border-radius: 4px;
    }
    .error {
      color: var(--cp-err-fg, #8a1c1c);
    }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('paste', this.onPaste);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('paste', this.onPaste);
    this.stopCamera();
    void this.net?.then((m) => m.dispose()).catch(() => {});
    this.net = null;
  }

  /** The classifier, loaded on first use. */
  private loadModel(): Promise<Model> {
    this.net ??= (async () => {
      this.status = 'loading EfficientNet-Lite0 (int8, 5 MB)…';
      const engine = await sharedEngine();
      const url = this.model
        ? new URL(this.model, document.baseURI).href
        : assetUrl('models/efficientnet-lite0-int8.safetensors');
      const weights = await download(url, (loaded, total) => {
        this.fetched = total ? loaded / total : null;
        this.status = downloadStatus('EfficientNet-Lite0', loaded, total);
      });
      this.fetched = null;
      this.status = 'building EfficientNet-Lite0…';
      return engine.model({ weights }, { batch: 1, cpu: wantsCpu(engine, parseBackendChoice(this.backend)) });
    })().catch((e: unknown) => {
      this.fetched = null;
      this.net = null;
      throw e;
    });
    return this.net;
  }

  /** Classifies an image element, canvas or bitmap; the result lands in `reading`. */
  async classify(image: HTMLImageElement | HTMLCanvasElement | ImageBitmap, source: string): Promise<void> {
    this.problem = '';
    try {
      const model = await this.loadModel();
      this.status = `reading ${source}…`;
      const prepared = await model.prepare(image);
      const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.crop');
      if (canvas) {
        canvas.width = prepared.preview.width;
        canvas.height = prepared.preview.height;
        canvas.getContext('2d')?.putImageData(prepared.preview, 0, 0);
      }
      const t0 = performance.now();
      const p = await model.predict(prepared.values);
      const ms = performance.now() - t0;
      const order = p.probabilities
        .map((v, i) => [v, i] as const)
        .sort((a, b) => b[0] - a[0])
        .slice(0, 5);
      this.reading = {
        top: order.map(([v, i]) => ({ label: model.info.labels[i] ?? String(i), index: i, p: v })),
        ms,
        stats: prepared.stats,
        source,
      };
      this.status = '';
      this.dispatchEvent(new CustomEvent('classified', { detail: this.reading, bubbles: true, composed: true }));
    } catch (e) {
      this.status = '';
      this.problem = (e as Error).message;
    }
  }

  private async classifyBlob(blob: Blob, source: string): Promise<void> {
    if (!blob.type.startsWith('image/')) {
      this.problem = `${source} is not an image (${blob.type || 'unknown type'}); use a PNG, JPEG, GIF or WebP photo`;
      return;
    }
    // The header gives the size before any pixel is decoded: a huge image is refused first.
    const url = URL.createObjectURL(blob);
    try {
      const img = new Image();
      try {
        await new Promise((loaded, failed) => {
          img.onload = loaded;
          img.onerror = failed;
          img.src = url;
        });
      } catch {
        this.problem = `${source} could not be decoded as an image; try another file`;
        return;
      }
      try {
        checkImageSize(img.naturalWidth, img.naturalHeight);
      } catch (e) {
        this.problem = `${source}: ${(e as Error).message}`;
        return;
      }
      await this.classify(img, source);
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  private async sample(name: string): Promise<void> {
    const img = new Image();
    img.src = assetUrl(`samples/${name}`); // the full photo, fetched now (the thumbnail is small)
    try {
      await img.decode();
    } catch {
      this.problem = `the sample ${name} did not load`;
      return;
    }
    await this.classify(img, `the sample ${name}`);
  }

  private async startCamera(): Promise<void> {
    await this.cam.open(this, 'use a file');
  }

  private stopCamera(): void {
    this.cam.close(this);
  }

  private async snap(): Promise<void> {
    const frame = Camera.frame(this.renderRoot.querySelector('video'));
    if (frame) await this.classify(frame, 'the camera');
  }

  private renderReading(r: Reading) {
    // The model expects inputs with mean ≈ 0 and spread ≈ 0.5 after (x − 127) / 128.
    const off = Math.abs(r.stats.mean) > 0.9 || r.stats.std < 0.05 || r.stats.std > 1.5;
    // One line of text (the test reads it whole): built here, so that formatting cannot wrap it.
    const after = `ms · input mean ${r.stats.mean.toFixed(2)}, std ${r.stats.std.toFixed(2)}`;
    return html`
      <div class="bars" data-top>
        ${r.top.map(
          (t) =>
            html`<span title="class ${t.index}">${t.label}</span>
              <div class="bar"><div style="width:${100 * t.p}%"></div></div>
              <span>${(100 * t.p).toFixed(1)}%</span>`,
        )}
      </div>
      <p class="note">${r.source}: read in <span data-ms>${r.ms.toFixed(0)}</span> ${after}</p>
      ${off ? html`<p class="warn" data-warning>This input is far from what the model was trained on (mean ${r.stats.mean.toFixed(2)}, std ${r.stats.std.toFixed(2)}; expected about 0 and 0.5): an almost blank or very dark/bright photo, or a preprocessing mismatch.</p>` : nothing}
    `;
  }

  render() {
    return html`
      <div class="row">
        <div
          class="drop"
          ${dropFiles(([f]) => {
            if (f) void this.classifyBlob(f, f.name);
          })}
        >
          <label
            >Photo file (or drop one here, or paste)
            <input
              type="file"
              accept="image/*"
              aria-label="photo file"
              @change=${(e: Event) => {
                const input = e.target as HTMLInputElement;
                const f = input.files?.[0];
                input.value = '';
                if (f) void this.classifyBlob(f, f.name);
              }}
            />
          </label>
          <div class="samples" aria-label="sample photos">
            ${SAMPLES.map((s) => html`<button type="button" class="sample" aria-label="classify the sample ${s}" title="classify ${s}" @click=${() => void this.sample(s)}><img src=${assetUrl(`samples/thumbs/${s.replace(/\.\w+$/, '.jpg')}`)} alt="" data-sample=${s} /></button>`)}
          </div>
          <div>
            ${
              this.camera
                ? html`<video muted playsinline></video><br /><button @click=${() => void this.snap()}>
                      Take a photo
                    </button>
                    <button @click=${() => this.stopCamera()}>Stop camera</button>`
                : html`<button @click=${() => void this.startCamera()}>Use the camera</button>`
            }
          </div>
        </div>
        <figure style="margin:0">
          <canvas class="crop" width="224" height="224"></canvas>
          <figcaption class="note">what the model sees: the centre crop at 224×224</figcaption>
        </figure>
        <div>
          ${this.reading ? this.renderReading(this.reading) : html`<p class="note">Choose a photo: the top five ImageNet labels appear here.</p>`}
          ${this.status ? html`<p class="note" data-status>${this.status}</p>` : nothing}
          ${this.fetched !== null ? html`<progress max="1" .value=${this.fetched} aria-label="downloading EfficientNet-Lite0"></progress>` : nothing}
          ${this.problem ? html`<p class="error" data-problem>${this.problem}</p>` : nothing}
        </div>
      </div>
    `;
  }
}

if (!customElements.get('convplay-photo')) customElements.define('convplay-photo', ConvplayPhoto);
