// What <convplay-compare> draws besides its controls: the chart's series and the results table, and
// its styles.

import { css, html, nothing } from 'lit';
import { int } from '../../format';
import type { CurvesConfig } from '../convplay-curves';
import { ARM_COLORS, type Arm } from './experiments';
import type { ArmResult } from './run';

/** One chart for every arm: its training loss (left axis) and its test accuracy after each epoch (0–1). */
export function chartConfig(arms: Arm[]): CurvesConfig {
  return {
    x: 'training images seen',
    y: 'training loss',
    unit: 'test accuracy',
    series: arms.flatMap((a, i) => [
      { label: `${a.label}: loss`, color: ARM_COLORS[i % ARM_COLORS.length], join: true },
      {
        label: `${a.label}: test accuracy`,
        color: ARM_COLORS[i % ARM_COLORS.length],
        scale: 'unit' as const,
        sparse: true,
      },
    ]),
    minWidth: 300,
    maxWidth: 760,
    height: 260,
    liveLegend: false,
  };
}

const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(2)}%`);
const count = (v: number | null) => (v === null ? '–' : int(v));
const secs = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} s`);
const size = (v: number | null) =>
  v === null ? '–' : v >= 1e6 ? `${(v / 1e6).toFixed(2)} MB` : `${(v / 1e3).toFixed(1)} kB`;

const STATUS: Record<ArmResult['status'], string> = {
  waiting: 'waiting',
  training: 'training…',
  evaluating: 'evaluating…',
  done: '',
  stopped: 'stopped',
  error: 'failed',
};

/** The results side by side: a row per arm (per storage for the precision experiment). */
export function resultsTable(rows: ArmResult[], precision: boolean) {
  if (!rows.length) return nothing;
  return html`<table data-results>
    <thead>
      <tr>
        <th scope="col">${precision ? 'weights' : 'model'}</th>
        <th scope="col">test accuracy</th>
        <th scope="col">parameters</th>
        <th scope="col">multiply-adds / image</th>
        <th scope="col">training time</th>
        ${precision ? html`<th scope="col">test evaluation</th>` : nothing}
        <th scope="col">model size</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (r, i) =>
          html`<tr data-row=${i} data-status=${r.status} data-bytes=${r.bytes ?? ''} data-accuracy=${r.accuracy ?? ''}>
            <th scope="row">
              <span class="swatch" style="background:${ARM_COLORS[precision ? 0 : i % ARM_COLORS.length]}"></span>
              ${precision ? `${r.label} · ${r.storage ?? ''}` : r.label}
              ${STATUS[r.status] ? html`<span class="state">${STATUS[r.status]}</span>` : nothing}
              ${r.note ? html`<div class="note" data-note>${r.note}</div>` : nothing}
            </th>
            <td data-cell="accuracy">${pct(r.accuracy)}</td>
            <td data-cell="params">${count(r.params)}</td>
            <td data-cell="macs">${count(r.macs)}</td>
            <td data-cell="seconds">${secs(r.seconds)}</td>
            ${precision ? html`<td data-cell="eval">${secs(r.evalSeconds)}</td>` : nothing}
            <td data-cell="bytes">${size(r.bytes)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export const compareStyles = css`
  :host {
    display: block;
    font-size: 0.9rem;
  }
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 1rem;
    align-items: end;
    margin: 0.5rem 0;
  }
  label {
    max-width: 100%;
  }
  select {
    max-width: 100%;
  }
  label.check {
    flex-direction: row;
    align-items: center;
    color: var(--cp-fg, inherit);
  }
  .question {
    font-weight: 600;
    margin: 0.4rem 0 0.2rem;
  }
  .expect {
    margin: 0.2rem 0 0.5rem;
  }
  .models {
    display: flex;
    flex-wrap: wrap;
    gap: 0.3rem 0.9rem;
    align-items: center;
  }
  .status {
    color: var(--cp-muted, #5b6478);
    min-height: 1.3em;
  }
  .error {
    background: var(--cp-err-bg, #fdecea);
    color: var(--cp-err-fg, #8a1c12);
    padding: 0.4rem 0.6rem;
    border-radius: 4px;
  }
  table {
    border-collapse: collapse;
    margin-top: 0.6rem;
  }
  th,
  td {
    border-bottom: 1px solid var(--cp-border, #dde1ea);
    padding: 0.25rem 0.6rem;
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  th[scope='row'] {
    text-align: left;
    font-weight: 500;
  }
  .swatch {
    display: inline-block;
    width: 0.8em;
    height: 0.8em;
    border-radius: 2px;
    margin-right: 0.3em;
  }
  .state,
  .note {
    color: var(--cp-muted, #5b6478);
    font-size: 0.8rem;
    margin-left: 0.3em;
  }
  .note {
    margin-left: 0;
    max-width: 28rem;
  }
`;
