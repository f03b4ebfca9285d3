// <convplay-segment>: semantic segmentation of MNIST scenes (exercise 8). The segmenter
// (preset segment-mini: an encoder–decoder ending in a softmax over 11 classes at every pixel)
// is trained here on synthetic scenes (api `engine.scenes`, made in the worker from MNIST's
// training digits) or loaded as the CLI trained it (models/segment-mini.safetensors, fetched on
// first use). The view shows held-out scenes (from the test digits) with their true and
// predicted class maps, the mean IoU over them, and the class map of what the learner draws
// on a canvas of the scenes' size, each region's digit written in it.
//
//   <convplay-segment scenes="2000" epochs="4" backend="auto"></convplay-segment>

import { LitElement, css, html, nothing } from 'lit';
import { classMaps, sharedEngine, wantsCpu, type FitRun, type HeldData, type Model } from '../api/index';
import type { SegmentIou } from '../api/scenes';
import { parseBackendChoice } from '../engine';
import { assetUrl } from '../assets';
import { download, downloadStatus } from '../download';
import { CLASS_COLOURS, CLASS_NAMES, inkOf, paintClasses, paintInk, regions } from './segment/maps';

const SIZE = 56;
/** The drawing canvas is SIZE·K pixels a side, averaged down to SIZE. */
const K = 4;
const SHOWN = 4;

interface Shown {
  input: Uint8Array;
  truth: Uint8Array;
  predicted: Uint8Array;
}

export class ConvplaySegment extends LitElement {
  static properties = {
    scenes: { type: Number },
    epochs: { type: Number },
    evalScenes: { type: Number, attribute: 'eval-scenes' },
    backend: { type: String },
    status: { state: true },
    problem: { state: true },
    iou: { state: true },
    shown: { state: true },
    training: { state: true },
    source: { state: true },
  };

  declare scenes: number;
  declare epochs: number;
  declare evalScenes: number;
  declare backend: string;
  declare status: string;
  declare problem: string;
  declare iou: SegmentIou | null;
  declare shown: Shown[];
  declare training: boolean;
  /** Which segmenter is in use ("trained here", "the shipped model"), or ''. */
  declare source: string;
  private model: Model | null = null;
  private held: HeldData | null = null;
  private run: FitRun | null = null;
  private drawing = false;
  /** How many times the drawing has been sent to be segmented (`segmentDrawing`). */
  private drawingCalls = 0;

  constructor() {
    super();
    this.scenes = 2000;
    this.epochs = 4;
    this.evalScenes = 100;
    this.backend = 'auto';
    this.status = '';
    this.problem = '';
    this.iou = null;
    this.shown = [];
    this.training = false;
    this.source = '';
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
    canvas {
      image-rendering: pixelated;
      border: 1px solid var(--cp-border, #dde1ea);
      border-radius: 4px;
    }
    .pad {
      touch-action: none;
      background: #000;
      cursor: crosshair;
    }
    .scene canvas {
      width: 112px;
      height: 112px;
    }
    .legend {
      display: flex;
      flex-wrap: wrap;
      gap: 0.4rem 0.8rem;
      list-style: none;
      padding: 0;
    }
    .legend span {
      display: inline-block;
      width: 0.9em;
      height: 0.9em;
      border: 1px solid #888;
      vertical-align: middle;
      margin-right: 0.25em;
    }
    .problem {
      color: var(--cp-error, #b00020);
    }
    table {
      border-collapse: collapse;
    }
    td,
    th {
      padding: 0.1rem 0.4rem;
      text-align: right;
    }
  `;

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.run?.stop();
    void this.model?.dispose();
    void this.held?.dispose();
    this.model = null;
    this.held = null;
  }

  private async engine() {
    const engine = await sharedEngine();
    return { engine, cpu: wantsCpu(engine, parseBackendChoice(this.backend)) };
  }

  /** The held-out scenes (MNIST test digits, the CLI's seed), made once. */
  private async heldOut(): Promise<HeldData> {
    if (!this.held) {
      const { engine } = await this.engine();
      this.held = await engine.scenes('test', { count: this.evalScenes, size: SIZE });
    }
    return this.held;
  }

  private async replace(model: Model, source: string): Promise<void> {
    await this.model?.dispose();
    this.model = model;
    this.source = source;
    await this.evaluate();
  }

  /** Loads the segmenter trained by the CLI (`convplay segment`), fetched on first use. */
  async loadTrained(): Promise<void> {
    await this.guard(async () => {
      const { engine, cpu } = await this.engine();
      const weights = await download(assetUrl('models/segment-mini.safetensors'), (loaded, total) => {
        this.status = downloadStatus('the trained segmenter', loaded, total);
      });
      await this.replace(await engine.model({ weights }, { batch: 16, cpu }), 'the shipped model (trained by the CLI)');
      this.status = '';
    });
  }

  /** Trains segment-mini here on `scenes` training scenes for `epochs` epochs. */
  async train(): Promise<void> {
    await this.guard(async () => {
      const { engine, cpu } = await this.engine();
      this.training = true;
      this.status = 'making the training scenes (the MNIST training set is fetched once)…';
      const train = await engine.scenes('train', { count: this.scenes, seed: 1, size: SIZE });
      const test = await this.heldOut();
      const model = await engine.model({ preset: 'segment-mini' }, { batch: 32, cpu });
      try {
        this.run = model.fit(train, {
          epochs: this.epochs,
          lr: 0.002,
          schedule: 'cosine',
          test,
          onProgress: (p) => {
            this.status = `epoch ${p.epoch} of ${this.epochs}, step ${p.step} of ${p.totalSteps}: loss ${p.loss.toFixed(3)}, pixel accuracy ${(100 * p.accuracy).toFixed(1)}%, ${p.imagesPerSec.toFixed(0)} scenes/s`;
          },
          onEpoch: (e) => {
            if (e.test?.iou) this.iou = e.test.iou;
          },
        });
        const result = await this.run;
        this.status = result.stopped ? 'stopped' : `trained ${result.epochs.length} epochs`;
        await this.replace(model, 'trained here');
      } catch (e) {
        await model.dispose();
        throw e;
      } finally {
        this.run = null;
        this.training = false;
        await train.dispose();
      }
    });
  }

  /** Mean IoU over the held-out scenes, and the first few with their maps. */
  private async evaluate(): Promise<void> {
    const model = this.model;
    if (!model) return;
    const held = await this.heldOut();
    const ev = await model.evaluate(held);
    this.iou = ev.iou;
    const shown: Shown[] = [];
    for (let i = 0; i < SHOWN; i++) {
      const ex = await held.example(i);
      const per = SIZE * SIZE;
      shown.push({
        input: ex.input as Uint8Array,
        truth: ex.labelMap ?? new Uint8Array(per),
        predicted: ev.predictions.slice(i * per, (i + 1) * per),
      });
    }
    this.shown = shown;
    await this.updateComplete;
    this.paintScenes();
    await this.segmentDrawing();
  }

  private async guard(f: () => Promise<void>): Promise<void> {
    this.problem = '';
    try {
      await f();
    } catch (e) {
      this.problem = e instanceof Error ? e.message : String(e);
      this.status = '';
    }
  }

  private paintScenes(): void {
    this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-scene]').forEach((c) => {
      const s = this.shown[Number(c.dataset.scene)];
      if (!s) return;
      const kind = c.dataset.kind;
      const img =
        kind === 'input'
          ? paintInk(s.input, SIZE)
          : paintClasses(kind === 'truth' ? s.truth : s.predicted, SIZE, s.input);
      c.getContext('2d')?.putImageData(img, 0, 0);
    });
  }

  private get pad(): HTMLCanvasElement | null {
    return this.renderRoot.querySelector('canvas.pad');
  }

  private stroke(e: PointerEvent, start: boolean): void {
    const pad = this.pad;
    const ctx = pad?.getContext('2d');
    if (!pad || !ctx) return;
    const r = pad.getBoundingClientRect();
    const [x, y] = [((e.clientX - r.left) / r.width) * pad.width, ((e.clientY - r.top) / r.height) * pad.height];
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 2.6 * K;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    if (start) {
      ctx.beginPath();
      ctx.moveTo(x, y);
    }
    ctx.lineTo(x, y);
    ctx.stroke();
  }

  private clearPad(): void {
    const pad = this.pad;
    pad?.getContext('2d')?.clearRect(0, 0, pad.width, pad.height);
    void this.segmentDrawing();
  }

  /** The drawing as scene input, its predicted class map painted with each region's digit. */
  private async segmentDrawing(): Promise<void> {
    const pad = this.pad;
    const out = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.drawn-map');
    const model = this.model;
    if (!pad || !out || !model) return;
    const rgba = pad.getContext('2d')?.getImageData(0, 0, pad.width, pad.height).data;
    if (!rgba) return;
    // Calls overlap (a stroke ends while the held-out scenes are still being shown): only the
    // latest one, which read the pad last, paints its answer, so an older one cannot overwrite it.
    const call = ++this.drawingCalls;
    const ink = inkOf(rgba, SIZE, K);
    const probs = await model.predictBatch(Float32Array.from(ink, (v) => v / 255));
    if (call !== this.drawingCalls) return;
    const map = classMaps(probs, 11);
    const ctx = out.getContext('2d');
    if (!ctx) return;
    const tmp = new OffscreenCanvas(SIZE, SIZE);
    tmp.getContext('2d')?.putImageData(paintClasses(map, SIZE, ink), 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tmp, 0, 0, out.width, out.height);
    const scale = out.width / SIZE;
    ctx.font = `bold ${Math.round(5 * scale)}px system-ui, sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    const found = regions(map, SIZE);
    for (const r of found) {
      ctx.lineWidth = 3;
      ctx.strokeStyle = '#fff';
      ctx.strokeText(String(r.digit), (r.x + 0.5) * scale, (r.y + 0.5) * scale);
      ctx.fillStyle = '#000';
      ctx.fillText(String(r.digit), (r.x + 0.5) * scale, (r.y + 0.5) * scale);
    }
    out.dataset.regions = found.map((r) => r.digit).join(',');
  }

  private iouText() {
    const iou = this.iou;
    if (!iou) return nothing;
    return html`<p data-iou=${iou.mean.toFixed(4)}>
        Held-out scenes (${this.evalScenes}, from MNIST's test digits): <strong>mean IoU ${iou.mean.toFixed(3)}</strong>,
        pixel accuracy ${(100 * iou.pixelAccuracy).toFixed(1)}%.
      </p>
      <table aria-label="IoU per class">
        <tr>
          <th>class</th>
          ${CLASS_NAMES.map((n) => html`<th>${n === 'background' ? 'bg' : n}</th>`)}
        </tr>
        <tr>
          <th>IoU</th>
          ${iou.perClass.map((v) => html`<td>${v === null ? '–' : v.toFixed(2)}</td>`)}
        </tr>
      </table>`;
  }

  render() {
    const busy = this.training || this.status.startsWith('downloading');
    return html`
      <div class="row">
        <button type="button" id="segment-load" ?disabled=${busy} @click=${() => this.loadTrained()}>
          Load the trained segmenter
        </button>
        <label
          >Scenes
          <input
            type="number"
            min="32"
            max="20000"
            step="100"
            .value=${String(this.scenes)}
            @change=${(e: Event) => (this.scenes = Number((e.target as HTMLInputElement).value))}
        /></label>
        <label
          >Epochs
          <input
            type="number"
            min="1"
            max="20"
            .value=${String(this.epochs)}
            @change=${(e: Event) => (this.epochs = Number((e.target as HTMLInputElement).value))}
        /></label>
        <button type="button" id="segment-train" ?disabled=${busy} @click=${() => this.train()}>Train here</button>
        ${this.training ? html`<button type="button" @click=${() => this.run?.stop()}>Stop</button>` : nothing}
      </div>
      <p class="status" role="status">${this.status}${this.source ? html` — using ${this.source}` : nothing}</p>
      ${this.problem ? html`<p class="problem" role="alert">${this.problem}</p>` : nothing}
      <ul class="legend" aria-label="class colours">
        ${CLASS_NAMES.map((n, i) => html`<li><span style="background:${CLASS_COLOURS[i]}"></span>${n}</li>`)}
      </ul>
      <div class="row">
        <div>
          <p>Draw digits about half the canvas tall:</p>
          <canvas
            class="pad"
            width=${SIZE * K}
            height=${SIZE * K}
            aria-label="drawing canvas, ${SIZE} by ${SIZE} pixels"
            @pointerdown=${(e: PointerEvent) => {
              this.drawing = true;
              (e.target as HTMLElement).setPointerCapture(e.pointerId);
              this.stroke(e, true);
            }}
            @pointermove=${(e: PointerEvent) => this.drawing && this.stroke(e, false)}
            @pointerup=${() => {
              this.drawing = false;
              void this.guard(() => this.segmentDrawing());
            }}
          ></canvas>
          <p><button type="button" @click=${() => this.clearPad()}>Clear</button></p>
        </div>
        <div>
          <p>Its class map${this.model ? '' : ' (load or train a segmenter first)'}:</p>
          <canvas class="drawn-map" width=${SIZE * K} height=${SIZE * K} aria-label="predicted class map"></canvas>
        </div>
      </div>
      ${this.iouText()}
      <div class="row">
        ${this.shown.map(
          (_, i) =>
            html`<figure class="scene">
              <canvas data-scene=${i} data-kind="input" width=${SIZE} height=${SIZE}></canvas>
              <canvas data-scene=${i} data-kind="truth" width=${SIZE} height=${SIZE}></canvas>
              <canvas data-scene=${i} data-kind="predicted" width=${SIZE} height=${SIZE}></canvas>
              <figcaption>scene ${i + 1}: input, truth, prediction</figcaption>
            </figure>`,
        )}
      </div>
    `;
  }
}

if (!customElements.get('convplay-segment')) customElements.define('convplay-segment', ConvplaySegment);

declare global {
  interface HTMLElementTagNameMap {
    'convplay-segment': ConvplaySegment;
  }
}
