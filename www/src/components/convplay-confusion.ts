// <convplay-confusion>: a confusion matrix as a table, rows the true classes and columns the
// predicted ones. Correct counts (the diagonal) are bold on a light green; each mistake cell is
// shaded red by its count against the largest mistake, so the common confusions stand out.
//
//   <convplay-confusion .matrix=${[[5, 1], [0, 6]]} .labels=${['cat', 'dog']}
//     caption="Confusion matrix (test images)"></convplay-confusion>
//
// The table carries `data-confusion`; its body holds one <td> per cell, each the bare count.

import { LitElement, css, html, nothing } from 'lit';

export class ConvplayConfusion extends LitElement {
  static properties = {
    matrix: { attribute: false },
    labels: { attribute: false },
    caption: { type: String },
    corner: { type: String },
  };

  /** counts[true][predicted]. */
  declare matrix: number[][];
  /** Class names (default 0, 1, …). */
  declare labels: string[] | null;
  /** A heading above the table. */
  declare caption: string;
  /** The top-left cell's text, e.g. "true ↓ / predicted →". */
  declare corner: string;

  static styles = css`
    :host {
      display: block;
    }
    h4 {
      margin: 0.5rem 0 0.35rem;
      font-size: 0.95rem;
    }
    table {
      border-collapse: collapse;
      font-variant-numeric: tabular-nums;
    }
    td,
    th {
      border: 1px solid var(--cp-border, #dde1ea);
      padding: 0.15rem 0.3rem;
      font-size: 0.8rem;
      text-align: center;
      min-width: 1.8rem;
    }
    th {
      font-weight: 600;
      color: var(--cp-muted, #5b6478);
    }
    td.hit {
      font-weight: 600;
      background: var(--cp-ok-bg, #e3f4e6);
      color: #1b1f29;
    }
    td.miss {
      background: rgba(224, 80, 60, var(--heat));
    }
  `;

  constructor() {
    super();
    this.matrix = [];
    this.labels = null;
    this.caption = '';
    this.corner = '';
  }

  render() {
    const m = this.matrix;
    if (!m.length) return nothing;
    const name = (i: number) => this.labels?.[i] ?? String(i);
    const max = Math.max(1, ...m.flatMap((row, i) => row.filter((_, j) => j !== i)));
    const cell = (n: number, i: number, j: number) =>
      i === j
        ? html`<td class="hit">${n}</td>`
        : html`<td class="miss" style="--heat: ${Math.min(0.85, n / max)}">${n}</td>`;
    return html`${this.caption ? html`<h4>${this.caption}</h4>` : nothing}
      <table data-confusion>
        <thead>
          <tr>
            <th>${this.corner}</th>
            ${m.map((_, j) => html`<th>${name(j)}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${m.map(
            (row, i) =>
              html`<tr>
                <th>${name(i)}</th>
                ${row.map((n, j) => cell(n, i, j))}
              </tr>`,
          )}
        </tbody>
      </table>`;
  }
}

if (!customElements.get('convplay-confusion')) customElements.define('convplay-confusion', ConvplayConfusion);

declare global {
  interface HTMLElementTagNameMap {
    'convplay-confusion': ConvplayConfusion;
  }
}
