// <convplay-curves>: one chart of training curves (uPlot) that grows a row at a time: loss
// against steps or epochs, accuracies on a 0–1 scale, or both on one chart (the loss on the
// left, the accuracies on the right). Used by <convplay-train> and <convplay-transfer>; general
// enough for any fit (`epochCurves` is the chart of a fit's epochs).
//
//   const c = document.createElement('convplay-curves');
//   c.config = { x: 'epoch', y: 'loss', unit: 'accuracy', series: [
//     { label: 'loss', color: '#c0392b' },
//     { label: 'training accuracy', color: '#1f7ae0', scale: 'unit' },
//     { label: 'validation accuracy', color: '#27ae60', scale: 'unit' }] };
//   c.add(1, [0.9, 0.6, 0.55]);   // one row per report

import { LitElement, css, html, unsafeCSS } from 'lit';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';

export interface CurveSeries {
  label: string;
  color: string;
  /** "y" (default): the left axis, fitted to the values; "unit": a 0–1 axis (accuracies). */
  scale?: 'y' | 'unit';
  /** Values only at some rows (a validation accuracy per epoch): drawn as points joined across the gaps. */
  sparse?: boolean;
  /** Draw one line across rows without a value (series that share the chart's rows with others). */
  join?: boolean;
}

export interface CurvesConfig {
  /** Shown above the chart. */
  title?: string;
  /** The x axis's label ("step", "epoch"). */
  x: string;
  /** The left axis's label, for "y" series. */
  y?: string;
  /** The 0–1 axis's label, for "unit" series (on the right when the chart also has "y" series). */
  unit?: string;
  series: CurveSeries[];
  /** The chart takes the element's width within these bounds (default 280–560 px). */
  minWidth?: number;
  maxWidth?: number;
  /** Default 200 px. */
  height?: number;
  /** Whether the legend follows the cursor (default true). */
  liveLegend?: boolean;
}

/** A fit's epochs on one chart: the loss on the left, training and validation accuracy on a
 * 0–1 axis on the right; a row per epoch is `add(e.epoch, [e.loss, e.accuracy, e.valAccuracy])`. */
export const epochCurves: CurvesConfig = {
  x: 'epoch',
  y: 'loss',
  unit: 'accuracy',
  series: [
    { label: 'loss', color: '#c0392b' },
    { label: 'training accuracy', color: '#1f7ae0', scale: 'unit' },
    { label: 'validation accuracy', color: '#27ae60', scale: 'unit' },
  ],
  maxWidth: 360,
  height: 170,
  liveLegend: false,
};

export class ConvplayCurves extends LitElement {
  static properties = { config: { attribute: false } };

  declare config: CurvesConfig | null;
  private plot: uPlot | null = null;
  /** Column 0: x; then one column per series. */
  private columns: (number | null)[][] = [[]];

  static styles = [
    unsafeCSS(uplotCss),
    css`
      :host {
        display: block;
        min-width: 0;
      }
      :host([hidden]) {
        display: none;
      }
      .u-legend {
        font-size: 0.8rem;
      }
    `,
  ];

  constructor() {
    super();
    this.config = null;
  }

  /** Appends a row: `values[i]` for series i (null or missing: no value there). */
  add(x: number, values: (number | null | undefined)[]): void {
    this.columns[0].push(x);
    for (let i = 1; i < this.columns.length; i++) this.columns[i].push(values[i - 1] ?? null);
    this.redraw();
  }

  /** Sets series `index`'s value at the last row (an epoch's validation accuracy, say). */
  setLast(index: number, value: number | null): void {
    const col = this.columns[index + 1];
    if (!col || col.length === 0) return;
    col[col.length - 1] = value;
    this.redraw();
  }

  /** Sets series `index` at `x`: at the row of that x, else at a new row inserted in x order (the
   * other series empty there). For several runs on one chart, each filled in after the other. */
  put(x: number, index: number, value: number): void {
    if (!this.columns[index + 1]) return;
    const xs = this.columns[0] as number[];
    let at = xs.length;
    while (at > 0 && xs[at - 1] > x) at--;
    if (at === 0 || xs[at - 1] !== x) {
      for (const col of this.columns) col.splice(at, 0, null);
      xs[at] = x;
      at++;
    }
    this.columns[index + 1][at - 1] = value;
    this.redraw();
  }

  /** Removes every row. */
  clear(): void {
    this.columns = this.columns.map(() => []);
    this.redraw();
  }

  /** Rows so far. */
  get rows(): number {
    return this.columns[0].length;
  }

  /** Series `index`'s values so far (rows without one left out). */
  values(index: number): number[] {
    return (this.columns[index + 1] ?? []).filter((v): v is number => v !== null);
  }

  connectedCallback(): void {
    super.connectedCallback();
    // Moved in the page: the chart was destroyed when it left.
    if (this.hasUpdated && !this.plot) this.build();
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.plot?.destroy();
    this.plot = null;
  }

  protected updated(changed: Map<string, unknown>): void {
    if (changed.has('config') || !this.plot) this.build();
  }

  private redraw(): void {
    this.plot?.setData(this.columns as uPlot.AlignedData);
  }

  private build(): void {
    this.plot?.destroy();
    this.plot = null;
    const c = this.config;
    const host = this.renderRoot.querySelector<HTMLElement>('.plot');
    if (!c || !host) return;
    if (this.columns.length !== c.series.length + 1) this.columns = [[], ...c.series.map(() => [])];
    const both = c.series.some((s) => (s.scale ?? 'y') === 'y') && c.series.some((s) => s.scale === 'unit');
    const axes: uPlot.Axis[] = [{ label: c.x, stroke: 'currentColor' }];
    if (c.series.some((s) => (s.scale ?? 'y') === 'y')) axes.push({ label: c.y, stroke: 'currentColor' });
    if (c.series.some((s) => s.scale === 'unit'))
      axes.push({
        scale: 'unit',
        label: c.unit,
        stroke: 'currentColor',
        ...(both ? { side: 1, grid: { show: false } } : {}),
      });
    // The element's width within the bounds, and never wider than the screen (a phone's 390 px).
    const avail = this.clientWidth || (c.maxWidth ?? 560);
    const screen = document.documentElement.clientWidth - 32;
    const width = Math.min(Math.max(c.minWidth ?? 280, Math.min(c.maxWidth ?? 560, avail)), Math.max(200, screen));
    this.plot = new uPlot(
      {
        width,
        height: c.height ?? 200,
        title: c.title,
        legend: { live: c.liveLegend ?? true },
        scales: { x: { time: false }, unit: { range: [0, 1] } },
        axes,
        series: [
          {},
          ...c.series.map((s): uPlot.Series => ({
            label: s.label,
            stroke: s.color,
            scale: s.scale ?? 'y',
            ...(s.sparse ? { spanGaps: true, points: { show: true, size: 6 } } : s.join ? { spanGaps: true } : {}),
          })),
        ],
      },
      this.columns as uPlot.AlignedData,
      host,
    );
  }

  render() {
    return html`<div class="plot"></div>`;
  }
}

if (!customElements.get('convplay-curves')) customElements.define('convplay-curves', ConvplayCurves);

declare global {
  interface HTMLElementTagNameMap {
    'convplay-curves': ConvplayCurves;
  }
}
