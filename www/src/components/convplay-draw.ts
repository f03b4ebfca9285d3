// <convplay-draw>: draw a digit with mouse, touch or pen and watch the network read it.
// The drawing is preprocessed like MNIST (crop, fit 20×20, centre by mass in 28×28; shown
// as a small preview) and classified on every stroke by a model on the page's shared engine
// worker (on its CPU backend unless `backend` says otherwise): the shipped pretrained model
// (`model` attribute) or one set through `setWeights`.

import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { loadWasm, parseBackendChoice } from '../engine';
import { preprocessDigit } from '../../pkg/convplay.js';
import {
  EngineStoppedError,
  sharedEngine,
  wantsCpu,
  type ConvPlay,
  type Model,
  type RestartDetail,
} from '../api/index';
import { fetchBytes } from '../mnist';
import { assetUrl } from '../assets';
import { digitInput, inkOf, paintDigit } from '../digit';
import { hiddenPen, inkLine, penKey, penMarker, penStyles } from './keyboard-pen';
import type { InsideData } from '../types';

export class ConvplayDraw extends LitElement {
  static properties = {
    model: { type: String },
    size: { type: Number },
    showPreprocessing: { type: Boolean, attribute: 'show-preprocessing' },
    backend: { type: String },
    probs: { state: true },
    modelName: { state: true },
    problem: { state: true },
    lastMs: { state: true },
    restarted: { state: true },
  };

  declare model: string;
  declare size: number;
  declare showPreprocessing: boolean;
  declare probs: number[] | null;
  declare modelName: string;
  declare problem: string;
  /** Time of the last preprocessing + prediction, in ms. */
  declare lastMs: number | null;
  /** Said after the shared engine restarted (its worker died): the model was built again. */
  declare restarted: string;
  /** The engine whose restarts this pad follows. */
  private watched: ConvPlay | null = null;
  private onRestart = (e: Event) => {
    const { reason } = (e as CustomEvent<RestartDetail>).detail;
    this.restarted = `The engine stopped (${reason}). It was restarted and the pad's model loaded again.`;
    void this.classify();
  };
  /** "cpu" (default: a small model answers fastest there), "auto" or "webgpu". */
  declare backend: string;
  private net: Model | null = null;
  /** A reading is in flight; `again` asks for one more when it lands. */
  private reading = false;
  private again = false;
  /** Bumped by `clear`, so that a reading started before it is dropped. */
  private generation = 0;
  private drawing = false;
  private last: [number, number] | null = null;
  private pending = false;
  /** The last preprocessed digit (28×28), for tests and the preview. */
  digit: Uint8Array | null = null;

  constructor() {
    super();
    this.model = '';
    this.size = 280;
    this.showPreprocessing = true;
    this.probs = null;
    this.modelName = '';
    this.problem = '';
    this.lastMs = null;
    this.restarted = '';
    this.backend = 'cpu';
  }

  static styles = [
    penStyles,
    css`
    :host {
      display: block;
    }
    .row {
      display: flex;
      flex-wrap: wrap;
      gap: 1rem;
      align-items: flex-start;
    }
    canvas.pad:focus-visible {
      outline: 3px solid var(--cp-accent, #1565c0);
      outline-offset: 2px;
    }
    .padbox {
      position: relative;
      line-height: 0;
      max-width: 100%;
    }
    .vh {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip-path: inset(50%);
      white-space: nowrap;
    }
    canvas.pad {
      touch-action: none;
      background: #fff;
      border: 1px solid var(--cp-border, #dde1ea);
      border-radius: 6px;
      cursor: crosshair;
      max-width: 100%;
    }
    canvas.preview {
      width: 112px;
      height: 112px;
      image-rendering: pixelated;
      background: #000;
      border-radius: 4px;
    }
    .side {
      display: flex;
      flex-direction: column;
      gap: 0.5rem;
      min-width: 12rem;
      flex: 1;
    }
    .top {
      font-size: 3rem;
      font-weight: 700;
      line-height: 1;
    }
    .bars {
      display: grid;
      grid-template-columns: 1.2rem 1fr 3.2rem;
      gap: 0.15rem 0.5rem;
      align-items: center;
      font-variant-numeric: tabular-nums;
      font-size: 0.85rem;
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
    .bar.best > div {
      background: var(--cp-ok, #17753e);
    }
    button {
      font: inherit;
      cursor: pointer;
      color: var(--cp-accent, #1565c0);
      background: var(--cp-card, #fff);
      border: 1px solid var(--cp-accent, #1565c0);
      border-radius: 4px;
      padding: 0.3rem 0.6rem;
      align-self: flex-start;
    }
    .note {
      color: var(--cp-muted, #5b6478);
      font-size: 0.85rem;
      margin: 0;
    }
    .error {
      color: var(--cp-err-fg, #8a1c1c);
      font-size: 0.85rem;
      margin: 0;
    }
  `,
  ];

  private get pad(): HTMLCanvasElement {
    return this.renderRoot.querySelector('canvas.pad') as HTMLCanvasElement;
  }

  protected firstUpdated(_: PropertyValues): void {
    void this.loadFirstModel();
  }

  private async loadFirstModel(): Promise<void> {
    await loadWasm();
    // The `model` attribute is relative to the page; the shipped model to ConvPlay's files.
    if (!this.net)
      await this.loadModelUrl(
        this.model ? new URL(this.model, document.baseURI).href : assetUrl('models/mnist-seed-001.safetensors'),
      );
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    void this.net?.dispose().catch(() => {});
    this.net = null;
    this.watched?.removeEventListener('restart', this.onRestart);
    this.watched = null;
  }

  private async loadModelUrl(url: string): Promise<void> {
    try {
      await this.setWeights(
        await fetchBytes(url),
        `pretrained ${url.split('/').pop()?.replace('.safetensors', '') ?? 'model'}`,
      );
    } catch (e) {
      this.problem = `could not load the model ${url}: ${(e as Error).message}`;
    }
  }

  /** Uses these weights (a ConvPlay safetensors file) from now on. */
  async setWeights(bytes: Uint8Array, name: string): Promise<void> {
    await loadWasm();
    const engine = await sharedEngine();
    if (this.watched !== engine) {
      this.watched?.removeEventListener('restart', this.onRestart);
      engine.addEventListener('restart', this.onRestart);
      this.watched = engine;
    }
    const next = await engine.model(
      { weights: bytes },
      { batch: 1, cpu: wantsCpu(engine, parseBackendChoice(this.backend)) },
    );
    const [h, w, c] = next.info.input;
    if (next.info.classes !== 10 || h * w * (c ?? 1) !== 784) {
      await next.dispose();
      throw new Error(
        `${name} reads [${next.info.input.join(', ')}] into ${next.info.classes} classes; the pad needs an MNIST model (28×28×1 in, 10 digits out)`,
      );
    }
    const old = this.net;
    this.net = next;
    void old?.dispose().catch(() => {});
    this.modelName = name;
    this.problem = '';
    await this.classify();
  }

  private point(e: PointerEvent): [number, number] {
    const r = this.pad.getBoundingClientRect();
    return [((e.clientX - r.left) * this.pad.width) / r.width, ((e.clientY - r.top) * this.pad.height) / r.height];
  }

  private down(e: PointerEvent): void {
    this.drawing = true;
    this.pad.setPointerCapture(e.pointerId);
    this.last = this.point(e);
    this.stroke(this.last, this.last);
  }

  private move(e: PointerEvent): void {
    if (!this.drawing) return;
    const p = this.point(e);
    this.stroke(this.last ?? p, p);
    this.last = p;
  }

  private up(): void {
    this.drawing = false;
    this.last = null;
  }

  /** The keyboard's pen, in pad pixels, and whether it is down (Space toggles it). */
  private pen = hiddenPen();

  /** Drawing from the keyboard (keyboard-pen.ts): the pen starts in the middle and stays one
   * step inside the edges. */
  private key(e: KeyboardEvent): void {
    const step = this.size / 14;
    const area = {
      width: this.size,
      height: this.size,
      step,
      margin: step,
      start: [this.size / 2, this.size / 2] as [number, number],
    };
    if (penKey(this.pen, e, { ...area, stroke: (a, b) => this.stroke(a, b), clear: () => this.clear() })) {
      this.requestUpdate();
    }
  }

  private stroke(a: [number, number], b: [number, number]): void {
    inkLine(this.pad, a, b, this.pad.width / 14);
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => {
        this.pending = false;
        void this.classify();
      });
    }
  }

  clear(): void {
    this.generation++;
    this.pad.getContext('2d', { willReadFrequently: true })?.clearRect(0, 0, this.pad.width, this.pad.height);
    this.probs = null;
    this.digit = null;
    const pv = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.preview');
    pv?.getContext('2d')?.clearRect(0, 0, 28, 28);
  }

  /** Preprocesses the drawing and classifies it; the figures land in `probs`. */
  async classify(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        await this.readOnce();
      } while (this.again);
    } finally {
      this.reading = false;
    }
  }

  private async readOnce(): Promise<void> {
    const ctx = this.pad?.getContext('2d', { willReadFrequently: true });
    const net = this.net;
    if (!ctx || !net) return;
    const generation = this.generation;
    const { width: w, height: h } = this.pad;
    const t0 = performance.now();
    const ink = inkOf(ctx.getImageData(0, 0, w, h).data, w, h);
    let digit: Uint8Array;
    try {
      digit = preprocessDigit(ink, w, h);
    } catch {
      return; // nothing drawn yet
    }
    this.digit = digit;
    const pv = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.preview');
    const pctx = pv?.getContext('2d');
    if (pctx) {
      const img = pctx.createImageData(28, 28);
      paintDigit(digit, img.data);
      pctx.putImageData(img, 0, 0);
    }
    const x = digitInput(digit);
    let probs: number[];
    try {
      probs = Array.from(await net.predictBatch(x));
    } catch (e) {
      // A reading lost to a crash of the engine: the restart reads again.
      if (!(e instanceof EngineStoppedError)) this.problem = (e as Error).message;
      return;
    }
    if (generation !== this.generation) {
      this.digit = null;
      return;
    }
    this.probs = probs;
    this.lastMs = performance.now() - t0;
    this.dispatchEvent(new CustomEvent('prediction', { detail: this.probs, bubbles: true, composed: true }));
  }

  /** Every layer's output and the saliency map for a 28×28 digit (default: the current
   * drawing) under this pad's model; null before there is a model and a digit. */
  async inspect(digit: Uint8Array | null = this.digit): Promise<InsideData | null> {
    if (!this.net || !digit) return null;
    return this.net.activations(Float32Array.from(digit, (v) => v / 255));
  }

  /** The most likely digit, or null before anything is drawn. */
  get prediction(): number | null {
    if (!this.probs) return null;
    return this.probs.indexOf(Math.max(...this.probs));
  }

  render() {
    const best = this.prediction;
    return html`
      <div class="row">
        <div class="padbox">
        <canvas
          class="pad"
          width=${this.size}
          height=${this.size}
          style="width:${this.size}px;height:${this.size}px"
          tabindex="0"
          aria-label="drawing pad: draw with the mouse, a finger or a pen; or with the keyboard: arrow keys move the pen, Space puts it down or lifts it, Escape clears"
          @keydown=${(e: KeyboardEvent) => this.key(e)}
          @blur=${() => (this.pen = hiddenPen())}
          @pointerdown=${(e: PointerEvent) => this.down(e)}
          @pointermove=${(e: PointerEvent) => this.move(e)}
          @pointerup=${() => this.up()}
          @pointercancel=${() => this.up()}
        ></canvas>
        ${penMarker(this.pen, this.size, this.size)}
        </div>
        <div class="side">
          <p class="vh" aria-live="polite" data-announce>${best === null ? '' : `read as ${best}, ${(100 * (this.probs?.[best] ?? 0)).toFixed(0)}% sure`}</p>
          <div class="top" data-prediction=${best ?? ''}>${best ?? '–'}</div>
          <div class="bars">
            ${Array.from({ length: 10 }, (_, d) => {
              const p = this.probs ? this.probs[d] : 0;
              return html`<span>${d}</span>
                <div class="bar ${d === best ? 'best' : ''}"><div style="width:${100 * p}%"></div></div>
                <span>${(100 * p).toFixed(1)}%</span>`;
            })}
          </div>
          <button @click=${() => this.clear()}>Clear</button>
          ${
            this.showPreprocessing
              ? html`<div>
                  <p class="note">what the network sees (28×28, MNIST-style):</p>
                  <canvas class="preview" width="28" height="28"></canvas>
                </div>`
              : nothing
          }
          <p class="note">
            model:
            ${this.modelName || 'loading…'}${this.lastMs === null ? '' : html` · read in <span data-ms>${this.lastMs.toFixed(1)}</span> ms`}
          </p>
          ${this.restarted ? html`<p class="note" data-restarted role="status">${this.restarted}</p>` : nothing}
          ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : nothing}
        </div>
      </div>
    `;
  }
}

if (!customElements.get('convplay-draw')) customElements.define('convplay-draw', ConvplayDraw);
