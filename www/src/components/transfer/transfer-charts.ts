// The charts of <convplay-transfer>'s training steps, kept together: the loss and accuracy
// curves of a fit (uPlot, one chart per step, drawn into the step's `data-plot` box as epochs
// arrive) and the confusion matrix of the test split, with their styles.

import { css, html, nothing, unsafeCSS } from 'lit';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import type { FitEpoch } from '../../api/index';

export type CurvesName = 'head' | 'fine';

export const chartStyles = [
  unsafeCSS(uplotCss),
  css`
    table.confusion {
      border-collapse: collapse;
      font-variant-numeric: tabular-nums;
      margin-top: 0.3rem;
    }
    table.confusion td,
    table.confusion th {
      border: 1px solid var(--cp-border, #dde1ea);
      padding: 0.1rem 0.4rem;
      text-align: right;
    }
    table.confusion td.hit {
      background: var(--cp-ok-bg, #e3f4e6);
    }
    .plots {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
    }
  `,
];

/** The box a step's curves are drawn into. */
export function curvesBox(which: CurvesName) {
  return html`<div class="plots"><div data-plot=${which}></div></div>`;
}

/** The curves of the steps, drawn into the boxes under `root` (the component's shadow root). */
export class Curves {
  private plots: uPlot[] = [];

  constructor(private readonly root: () => ParentNode) {}

  /** Empties a step's box before its training starts. */
  reset(which: CurvesName): void {
    const host = this.root().querySelector(`[data-plot="${which}"]`);
    if (host) host.innerHTML = '';
  }

  /** Draws (or redraws) a step's loss, training and validation accuracy per epoch. */
  draw(which: CurvesName, epochs: FitEpoch[]): void {
    const host = this.root().querySelector<HTMLElement & { plot?: uPlot }>(`[data-plot="${which}"]`);
    if (!host) return;
    const x = epochs.map((e) => e.epoch);
    const data: uPlot.AlignedData = [
      x,
      epochs.map((e) => e.loss),
      epochs.map((e) => e.accuracy),
      epochs.map((e) => e.valAccuracy ?? null),
    ];
    let p = host.plot;
    if (!p) {
      host.innerHTML = '';
      p = new uPlot(
        {
          width: 360,
          height: 170,
          legend: { live: false },
          scales: { x: { time: false }, acc: { range: [0, 1] } },
          axes: [
            { label: 'epoch', stroke: 'currentColor' },
            { label: 'loss', stroke: 'currentColor' },
            { side: 1, scale: 'acc', label: 'accuracy', stroke: 'currentColor', grid: { show: false } },
          ],
          series: [
            {},
            { label: 'loss', stroke: '#c0392b' },
            { label: 'training accuracy', stroke: '#1f7ae0', scale: 'acc' },
            { label: 'validation accuracy', stroke: '#27ae60', scale: 'acc' },
          ],
        },
        data,
        host,
      );
      host.plot = p;
      this.plots.push(p);
    } else p.setData(data);
  }

  destroy(): void {
    this.plots.forEach((p) => p.destroy());
    this.plots = [];
  }
}

/** A confusion matrix (rows true, columns predicted) as a table, its diagonal marked. */
export function confusionTable(m: number[][], labels: string[]) {
  if (!m.length) return nothing;
  return html`<table class="confusion" data-confusion>
    <tr>
      <th>true ↓ / predicted →</th>
      ${labels.map((l) => html`<th>${l}</th>`)}
    </tr>
    ${m.map(
      (row, i) =>
        html`<tr>
          <th>${labels[i]}</th>
          ${row.map((v, j) => html`<td class=${i === j ? 'hit' : ''}>${v}</td>`)}
        </tr>`,
    )}
  </table>`;
}
