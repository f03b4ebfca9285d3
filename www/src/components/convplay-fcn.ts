// <convplay-fcn>: a wide canvas where the learner writes several digits; the MNIST classifier,
// made fully convolutional (model.toFullyConvolutional: its dense layers as convolutions), reads
// the whole canvas in one forward pass and gives a grid of class probabilities, drawn as a
// heatmap over the canvas, beside the multiply-adds of that pass against sliding the original
// model window by window. The shipped model by default, or one set through `setWeights`.

import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { loadWasm, parseBackendChoice } from '../engine';
import { EngineStoppedError, sharedEngine, wantsCpu, type Model } from '../api/index';
import { fetchBytes, loadMnist, type MnistSplit } from '../mnist';
import { assetUrl } from '../assets';
import { macText, paint, topAt, type Grid, type Layout } from './fcn/heatmap';
import { fcnStyles } from './fcn/styles';
import { hiddenPen, inkLine, penKey, penMarker, penStyles } from './keyboard-pen';

/** Model pixels of the canvas: two digits tall, six wide. */
const HEIGHT = 56;
const WIDTH = 168;

export class ConvplayFcn extends LitElement {
  static properties = {
    backend: { type: String },
    zoom: { type: Number },
    grid: { state: true },
    only: { state: true },
    modelName: { state: true },
    problem: { state: true },
    macs: { state: true },
    lastMs: { state: true },
  };

  /** "cpu" (default), "auto" or "webgpu": where the converted net runs. */
  declare backend: string;
  /** Display pixels per model pixel. */
  declare zoom: number;
  /** The last pass's probabilities; null before one. */
  declare grid: Grid | null;
  /** The class whose probability map is shown, or null for the top class of every cell. */
  declare only: number | null;
  declare modelName: string;
  declare problem: string;
  /** Multiply-adds: one pass of the converted net, the original model on one window, positions. */
  declare macs: { fcn: number; original: number; positions: number; stride: number; window: number } | null;
  declare lastMs: number | null;
  private net: Model | null = null;
  private layout: Layout = { stride: 4, window: 28, zoom: 4 };
  /** The converted net's output grid: positions down and across. */
  private shape = { rows: 1, cols: 1 };
  private test: Promise<MnistSplit> | null = null;
  private reading = false;
  private again = false;
  private pending = false;
  private drawing = false;
  private last: [number, number] | null = null;
  private pen = hiddenPen();

  static styles = [fcnStyles, penStyles];

  constructor() {
    super();
    this.backend = 'cpu';
    this.zoom = 4;
    this.grid = null;
    this.only = null;
    this.modelName = '';
    this.problem = '';
    this.macs = null;
    this.lastMs = null;
  }

  private get pad(): HTMLCanvasElement {
    return this.renderRoot.querySelector('canvas.pad') as HTMLCanvasElement;
  }

  protected firstUpdated(_: PropertyValues): void {
    void (async () => {
      await loadWasm();
      if (this.net) return;
      const url = assetUrl('models/mnist-seed-001.safetensors');
      try {
        await this.setWeights(await fetchBytes(url), 'pretrained mnist-seed-001');
      } catch (e) {
        this.problem = `could not load the model ${url}: ${(e as Error).message}`;
      }
    })();
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    void this.net?.dispose().catch(() => {});
    this.net = null;
  }

  /** Converts this classifier (a ConvPlay weights file) for the canvas and uses it from now on.
   * A model that cannot be converted is refused with the reason; the previous one stays. */
  async setWeights(bytes: Uint8Array, name: string): Promise<void> {
    await loadWasm();
    const engine = await sharedEngine();
    const base = await engine.model(
      { weights: bytes },
      { batch: 1, cpu: wantsCpu(engine, parseBackendChoice(this.backend)) },
    );
    let next: Model;
    try {
      next = await base.toFullyConvolutional({ height: HEIGHT, width: WIDTH });
    } catch (e) {
      this.problem = `${name} cannot read the wide canvas: ${(e as Error).message}`;
      return;
    } finally {
      void base.dispose().catch(() => {});
    }
    const [original, converted] = await Promise.all([base.summary(), next.summary()]);
    const [rows, cols] = converted.rows[converted.rows.length - 1].output;
    const window = base.info.input[0];
    const stride = cols > 1 ? Math.round((WIDTH - base.info.input[1]) / (cols - 1)) : window;
    const old = this.net;
    this.net = next;
    void old?.dispose().catch(() => {});
    this.layout = { stride, window, zoom: this.zoom };
    this.shape = { rows, cols };
    this.macs = { fcn: converted.macs, original: original.macs, positions: rows * cols, stride, window };
    this.modelName = name;
    this.problem = '';
    this.grid = null;
    await this.run();
  }

  private point(e: PointerEvent): [number, number] {
    const r = this.pad.getBoundingClientRect();
    return [((e.clientX - r.left) * this.pad.width) / r.width, ((e.clientY - r.top) * this.pad.height) / r.height];
  }

  private stroke(a: [number, number], b: [number, number]): void {
    inkLine(this.pad, a, b, 2.6 * this.zoom);
    this.schedule();
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      void this.run();
    });
  }

  /** The keyboard's pen (keyboard-pen.ts): it starts at the left third of the canvas. */
  private key(e: KeyboardEvent): void {
    const { width, height } = this.pad;
    const area = { width, height, step: 2 * this.zoom, margin: 0, start: [width / 6, height / 2] as [number, number] };
    if (penKey(this.pen, e, { ...area, stroke: (a, b) => this.stroke(a, b), clear: () => this.clear() })) {
      this.requestUpdate();
    }
  }

  clear(): void {
    this.pad.getContext('2d', { willReadFrequently: true })?.clearRect(0, 0, this.pad.width, this.pad.height);
    this.schedule();
  }

  /** Writes a 28×28 digit (0–255, white on black, as MNIST stores it) with its top-left corner
   * at model pixel (x, y); ink already there stays. */
  placeDigit(digit: Uint8Array, x: number, y: number): void {
    const tile = document.createElement('canvas');
    [tile.width, tile.height] = [28, 28];
    const tctx = tile.getContext('2d');
    const ctx = this.pad.getContext('2d', { willReadFrequently: true });
    if (!tctx || !ctx) return;
    const img = tctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      img.data.set([17, 17, 17, digit[i]], 4 * i);
    }
    tctx.putImageData(img, 0, 0);
    // Nearest-neighbour: each model pixel becomes a zoom×zoom block, which `ink` averages back.
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tile, x * this.zoom, y * this.zoom, 28 * this.zoom, 28 * this.zoom);
    this.schedule();
  }

  /** Clears the canvas and writes `count` random MNIST test digits on it; resolves with their labels. */
  async placeTestDigits(count = 4): Promise<number[]> {
    this.test ??= loadMnist('t10k');
    const test = await this.test;
    this.pad.getContext('2d', { willReadFrequently: true })?.clearRect(0, 0, this.pad.width, this.pad.height);
    const labels: number[] = [];
    const slot = Math.floor((WIDTH - 28) / Math.max(1, count));
    for (let s = 0; s < count; s++) {
      const k = Math.floor(Math.random() * test.images.count);
      const x = s * slot + Math.floor(Math.random() * Math.max(1, slot - 28));
      const y = Math.floor(Math.random() * (HEIGHT - 28 + 1));
      this.placeDigit(test.images.image(k), Math.min(x, WIDTH - 28), y);
      labels.push(test.labels[k]);
    }
    return labels;
  }

  /** The canvas at model resolution (HEIGHT × WIDTH values in [0, 1]): the ink (alpha) of each
   * zoom×zoom block of display pixels, averaged. */
  ink(): Float32Array {
    const z = this.zoom;
    const ctx = this.pad.getContext('2d', { willReadFrequently: true });
    const x = new Float32Array(HEIGHT * WIDTH);
    if (!ctx) return x;
    const rgba = ctx.getImageData(0, 0, WIDTH * z, HEIGHT * z).data;
    for (let y = 0; y < HEIGHT * z; y++)
      for (let c = 0; c < WIDTH * z; c++)
        x[Math.floor(y / z) * WIDTH + Math.floor(c / z)] += rgba[4 * (y * WIDTH * z + c) + 3];
    const scale = 1 / (255 * z * z);
    return x.map((v) => v * scale);
  }

  /** One forward pass of the converted net over the canvas; the grid lands in `grid`. */
  async run(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        const net = this.net;
        if (!net || !this.pad || !this.macs) return;
        const t0 = performance.now();
        const probs = await net.predictBatch(this.ink());
        this.grid = { ...this.shape, classes: net.info.classes, probs };
        this.lastMs = performance.now() - t0;
      } while (this.again);
    } catch (e) {
      if (!(e instanceof EngineStoppedError)) this.problem = (e as Error).message;
    } finally {
      this.reading = false;
    }
  }

  /** The top class and its probability at grid position (i, j), or null before a pass. */
  topAt(i: number, j: number): { top: number; p: number } | null {
    return this.grid ? topAt(this.grid, i, j) : null;
  }

  protected updated(): void {
    const overlay = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.heat');
    const ctx = overlay?.getContext('2d');
    if (!ctx) return;
    if (this.grid) paint(ctx, this.grid, this.layout, this.only);
    else ctx.clearRect(0, 0, overlay!.width, overlay!.height);
  }

  render() {
    const z = this.zoom;
    const m = this.macs;
    const sums = m ? macText(m.fcn, m.original, m.positions, m.stride, m.window) : null;
    const g = this.grid;
    return html`
      <div class="padbox">
        <canvas
          class="pad"
          width=${WIDTH * z}
          height=${HEIGHT * z}
          tabindex="0"
          aria-label="wide canvas: write several digits with the mouse, a finger or a pen; or with the keyboard: arrow keys move the pen, Space puts it down or lifts it, Escape clears"
          @keydown=${(e: KeyboardEvent) => this.key(e)}
          @blur=${() => (this.pen = hiddenPen())}
          @pointerdown=${(e: PointerEvent) => {
            this.drawing = true;
            this.pad.setPointerCapture(e.pointerId);
            this.last = this.point(e);
            this.stroke(this.last, this.last);
          }}
          @pointermove=${(e: PointerEvent) => {
            if (!this.drawing) return;
            const p = this.point(e);
            this.stroke(this.last ?? p, p);
            this.last = p;
          }}
          @pointerup=${() => (this.drawing = false)}
          @pointercancel=${() => (this.drawing = false)}
        ></canvas>
        <canvas class="heat" width=${WIDTH * z} height=${HEIGHT * z} aria-hidden="true"></canvas>
        ${penMarker(this.pen, WIDTH * z, HEIGHT * z)}
      </div>
      <div class="controls">
        <button @click=${() => this.placeTestDigits().catch((e: Error) => (this.problem = e.message))}>Place random test digits</button>
        <button @click=${() => this.clear()}>Clear</button>
        <label
          >Show
          <select
            @change=${(e: Event) => {
              const v = (e.target as HTMLSelectElement).value;
              this.only = v === 'top' ? null : Number(v);
            }}
          >
            <option value="top">the top class of each cell</option>
            ${Array.from({ length: 10 }, (_, d) => html`<option value=${d}>the probability of ${d}</option>`)}
          </select></label
        >
        <span class="legend" aria-hidden="true">0%<span class="ramp"></span>100%</span>
      </div>
      <p class="note" data-grid=${g ? `${g.rows}x${g.cols}` : ''}>
        ${
          g
            ? html`One forward pass gave a ${g.rows} × ${g.cols} grid of class probabilities: a ${this.layout.window}×${this.layout.window} window every ${this.layout.stride} pixels of the ${HEIGHT}×${WIDTH} canvas. Each cell is coloured by its top class's probability${this.only === null ? ', with the digit written where it is at least 90% sure' : ` (here: the probability of ${this.only})`}.`
            : 'Write digits about as tall as half the canvas, or place test digits.'
        }
      </p>
      ${
        sums && m
          ? html`<p class="macs" data-macs-fcn=${m.fcn} data-macs-original=${m.original} data-positions=${m.positions} data-macs-sliding=${sums.sliding}>${sums.text}</p>
            <p class="note">${sums.why}</p>`
          : nothing
      }
      <p class="note">model: ${this.modelName || 'loading…'}${this.lastMs === null ? '' : ` · one pass in ${this.lastMs.toFixed(0)} ms`}</p>
      ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : nothing}
    `;
  }
}

if (!customElements.get('convplay-fcn')) customElements.define('convplay-fcn', ConvplayFcn);
