// <convplay-inside>: what a network does with one input. The input with its saliency map
// (gradient of the top class's logit with respect to each pixel), the first conv layer's
// filters, every conv/pool/batch-norm layer's feature maps, and the dense layers'
// activations. Set `data` (an InsideData from Trainer.inspect) and `input` (the 28×28
// digit, u8); `source` says where they came from.

import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import type { InsideData, LayerOutput } from '../types';

/** The smallest and largest value of channel `ch` of a feature-map layer. */
function mapRange(l: LayerOutput, ch: number): [number, number] {
  const c = l.shape[2];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = ch; i < l.values.length; i += c) {
    lo = Math.min(lo, l.values[i]);
    hi = Math.max(hi, l.values[i]);
  }
  return [lo, hi];
}

/** The ends of the diverging scale: blue for negative, orange for positive. */
const NEGATIVE = [33, 102, 172];
const POSITIVE = [217, 95, 2];

/** Paints a [h, w] grid of values into a canvas: grey scale from lo to hi, or blue–white–orange around 0. */
function paint(
  canvas: HTMLCanvasElement,
  h: number,
  w: number,
  at: (r: number, c: number) => number,
  lo: number,
  hi: number,
  diverging: boolean,
): void {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(w, h);
  const span = hi - lo || 1;
  const peak = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const v = at(r, c);
      const k = 4 * (r * w + c);
      if (diverging) {
        // White to blue (negative) or orange (positive): a blue–orange scale, which the common
        // colour-vision deficiencies (red–green) still tell apart.
        const t = Math.max(-1, Math.min(1, v / peak));
        const end = t < 0 ? NEGATIVE : POSITIVE;
        for (let ch = 0; ch < 3; ch++) img.data[k + ch] = Math.round(255 + (end[ch] - 255) * Math.abs(t));
      } else {
        const g = Math.round((255 * (v - lo)) / span);
        img.data[k] = img.data[k + 1] = img.data[k + 2] = g;
      }
      img.data[k + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

const MAX_MAPS = 32;

export class ConvplayInside extends LitElement {
  static properties = {
    data: { attribute: false },
    input: { attribute: false },
    source: { type: String },
    maxMaps: { type: Number, attribute: 'max-maps' },
    zoom: { state: true },
  };

  /** The feature map shown large (layer index, channel), or null. */
  declare zoom: { li: number; ch: number } | null;

  declare data: InsideData | null;
  declare input: Uint8Array | null;
  declare source: string;
  declare maxMaps: number;

  constructor() {
    super();
    this.data = null;
    this.input = null;
    this.source = '';
    this.maxMaps = MAX_MAPS;
    this.zoom = null;
  }

  static styles = css`
    :host {
      display: block;
      font-size: 0.9rem;
    }
    .note {
      color: var(--cp-muted, #5b6478);
      font-size: 0.85rem;
      margin: 0 0 0.5rem;
    }
    .top {
      display: flex;
      flex-wrap: wrap;
      gap: 1.25rem;
      align-items: flex-start;
    }
    figure {
      margin: 0;
    }
    figcaption {
      font-size: 0.8rem;
      color: var(--cp-muted, #5b6478);
      margin-top: 0.2rem;
    }
    canvas {
      image-rendering: pixelated;
      border-radius: 2px;
      background: #000;
      display: block;
    }
    canvas.big {
      width: 112px;
      height: 112px;
    }
    canvas.large {
      width: 224px;
      height: 224px;
      image-rendering: pixelated;
    }
    canvas[data-map] {
      cursor: zoom-in;
    }
    .zoom {
      margin: 0.75rem 0 0;
    }
    .layer {
      margin-top: 0.9rem;
    }
    .layer h4 {
      margin: 0 0 0.35rem;
      font-size: 0.9rem;
      font-weight: 600;
    }
    .layer h4 small {
      font-weight: 400;
      color: var(--cp-muted, #5b6478);
    }
    .grid {
      display: flex;
      flex-wrap: wrap;
      gap: 3px;
    }
    .grid canvas {
      width: var(--cell, 42px);
      height: var(--cell, 42px);
    }
    .filters canvas {
      width: 30px;
      height: 30px;
    }
    .vector {
      display: flex;
      align-items: flex-end;
      gap: 1px;
      height: 48px;
      border-bottom: 1px solid var(--cp-border, #dde1ea);
    }
    .vector span {
      flex: 1;
      min-width: 1px;
      max-width: 10px;
      background: var(--cp-accent, #1565c0);
    }
    .vector.probs span,
    .vector.probs i {
      max-width: 24px;
    }
    .vector.digits {
      height: auto;
      border: 0;
      align-items: flex-start;
    }
    .vector.digits i {
      flex: 1;
      min-width: 1px;
      font-style: normal;
      font-size: 0.75rem;
      text-align: center;
      color: var(--cp-muted, #5b6478);
    }
    .vector span.neg {
      background: #d95f02;
    }
  `;

  /** Number of feature-map canvases drawn (for tests). */
  get mapCount(): number {
    return this.renderRoot.querySelectorAll('canvas[data-map]').length;
  }

  protected updated(_: PropertyValues): void {
    const d = this.data;
    if (!d) return;
    const input = this.input;
    const inCanvas = this.renderRoot.querySelector<HTMLCanvasElement>('canvas[data-input]');
    if (inCanvas && input) paint(inCanvas, 28, 28, (r, c) => input[r * 28 + c], 0, 255, false);
    const sal = this.renderRoot.querySelector<HTMLCanvasElement>('canvas[data-saliency]');
    if (sal) this.paintSaliency(sal, d, input);
    const f = d.filters;
    if (f) {
      const [kh, kw, cin, cout] = f.shape;
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of f.values) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-filter]').forEach((cv) => {
        const o = Number(cv.dataset.filter);
        // The first input channel of each filter (MNIST has one).
        paint(cv, kh, kw, (r, c) => f.values[(r * kw + c) * cin * cout + o], lo, hi, true);
      });
    }
    this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-map], canvas[data-zoom-map]').forEach((cv) => {
      const [li, ch] = (cv.dataset.map ?? cv.dataset.zoomMap)!.split(':').map(Number);
      const l = d.layers[li];
      const [h, w, c] = l.shape;
      const [lo, hi] = mapRange(l, ch);
      paint(cv, h, w, (r, col) => l.values[(r * w + col) * c + ch], Math.min(0, lo), hi, false);
    });
  }

  /** Enter or Space on a feature map shows it large. */
  private zoomKey(e: KeyboardEvent, li: number, ch: number): void {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    this.zoom = { li, ch };
  }

  /** The zoomed feature map, large, with its value range; nothing when none is chosen. */
  private renderZoom() {
    const z = this.zoom;
    const l = z ? this.data?.layers[z.li] : undefined;
    if (!z || !l || l.shape.length !== 3 || z.ch >= l.shape[2]) return nothing;
    const [lo, hi] = mapRange(l, z.ch);
    return html`<figure class="zoom" data-zoom>
      <canvas class="large" data-zoom-map="${z.li}:${z.ch}"></canvas>
      <figcaption>
        ${l.name}, map ${z.ch} (${l.shape[0]}×${l.shape[1]}): values from ${lo.toPrecision(3)} to ${hi.toPrecision(3)}, black at ${Math.min(0, lo).toPrecision(3)}, white at the largest.
        <button @click=${() => (this.zoom = null)}>Close</button>
      </figcaption>
    </figure>`;
  }

  /** The digit in grey with the saliency's magnitude over it in red. */
  private paintSaliency(canvas: HTMLCanvasElement, d: InsideData, input: Uint8Array | null): void {
    canvas.width = canvas.height = 28;
    const ctx = canvas.getContext('2d');
    if (!ctx || d.saliency.length !== 784) return;
    const peak = Math.max(1e-12, ...d.saliency.map(Math.abs));
    const img = ctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const g = input ? input[i] * 0.35 : 0;
      const s = Math.abs(d.saliency[i]) / peak;
      img.data[4 * i] = Math.min(255, g + 255 * s);
      img.data[4 * i + 1] = Math.min(255, g + 90 * s);
      img.data[4 * i + 2] = g;
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  private renderLayer(l: LayerOutput, li: number) {
    if (l.shape.length === 3) {
      const [h, w, c] = l.shape;
      const shown = Math.min(c, this.maxMaps);
      const cell = Math.max(28, Math.min(56, 3 * Math.max(h, w)));
      return html`<div class="layer">
        <h4 aria-level="3">${l.name} <small>${l.type} · ${h}×${w}×${c}${shown < c ? ` · first ${shown} of ${c} maps` : ''}</small></h4>
        <div class="grid" style="--cell:${cell}px">
          ${Array.from({ length: shown }, (_, ch) => html`<canvas data-map="${li}:${ch}" title="${l.name}, map ${ch}: click to see it large" role="button" tabindex="0" aria-label="${l.name}, map ${ch}: show it large" @click=${() => (this.zoom = { li, ch })} @keydown=${(e: KeyboardEvent) => this.zoomKey(e, li, ch)}></canvas>`)}
        </div>
      </div>`;
    }
    const last = li === (this.data?.layers.length ?? 0) - 1;
    const values = last ? this.data!.probabilities : l.values;
    const peak = Math.max(1e-12, ...values.map(Math.abs));
    return html`<div class="layer">
      <h4 aria-level="3">${l.name} <small>${l.type} · ${values.length} ${last ? 'class probabilities' : 'activations'}</small></h4>
      <div
        class="vector ${last ? 'probs' : ''}"
        data-vector=${l.name}
        role="img"
        aria-label=${last ? `class probabilities: ${values.map((v, i) => `${i}: ${(100 * v).toFixed(0)}%`).join(', ')}` : `${values.length} activations of ${l.name}`}
      >
        ${values.map((v, i) => html`<span class=${v < 0 ? 'neg' : ''} style="height:${(100 * Math.abs(v)) / peak}%" title="${i}: ${v.toFixed(3)}"></span>`)}
      </div>
      ${last ? html`<div class="vector probs digits" data-digits aria-hidden="true">${values.map((_, i) => html`<i>${i}</i>`)}</div>` : nothing}
    </div>`;
  }

  render() {
    const d = this.data;
    if (!d) return html`<p class="note">Draw a digit (or train a model) to see inside the network.</p>`;
    const f = d.filters;
    return html`
      ${this.source ? html`<p class="note" data-source>${this.source}</p>` : nothing}
      <div class="top">
        <figure>
          <canvas class="big" data-input></canvas>
          <figcaption>input</figcaption>
        </figure>
        <figure>
          <canvas class="big" data-saliency></canvas>
          <figcaption>saliency for “${d.top}” (${(100 * d.probabilities[d.top]).toFixed(1)}%)</figcaption>
        </figure>
        ${
          f
            ? html`<figure class="filters">
                <div class="grid">
                  ${Array.from({ length: Math.min(f.shape[3], 64) }, (_, o) => html`<canvas data-filter=${o} title="filter ${o}"></canvas>`)}
                </div>
                <figcaption>
                  ${f.name}: ${f.shape[3]} filters ${f.shape[0]}×${f.shape[1]} (blue negative, orange positive)
                </figcaption>
              </figure>`
            : nothing
        }
      </div>
      ${this.renderZoom()}
      ${d.layers.map((l, i) => (l.type === 'flatten' || l.type === 'dropout' ? nothing : this.renderLayer(l, i)))}
    `;
  }
}

if (!customElements.get('convplay-inside')) customElements.define('convplay-inside', ConvplayInside);
