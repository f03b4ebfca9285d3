// <convplay-summary>: the summary of a model spec — per-layer shapes, parameters,
// MACs/FLOPs and output bytes, each with its arithmetic — and the memory breakdown
// for one prediction and for a training batch.
//
// The spec comes from the `spec` property/attribute (JSON text) or, failing that, from a
// child <script type="application/json">. `batch` sets the training batch (default 32).
// A host that has summarised the spec already (the model lab) hands the result over in
// `computed` instead, so a spec is summarised once.

import { LitElement, css, html, nothing } from 'lit';
import { summarize } from '../engine';
import { bytes, int, shape } from '../format';
import type { Summary } from '../types';
import { mbOf } from './lab/fit';

export class ConvplaySummary extends LitElement {
  static properties = {
    spec: { type: String },
    batch: { type: Number },
    computed: { attribute: false },
    summary: { state: true },
    problems: { state: true },
  };

  declare spec: string;
  declare batch: number;
  /** The summary of `spec`, or its problems, when the host computed it; unset: this element summarises. */
  declare computed: { summary: Summary } | { problems: string[] } | undefined;
  declare summary: Summary | null;
  declare problems: string[];
  private requestId = 0;

  constructor() {
    super();
    this.spec = '';
    this.batch = 32;
    this.summary = null;
    this.problems = [];
  }

  static styles = css`
    :host {
      display: block;
      font-size: 0.9rem;
      color: var(--cp-fg, inherit);
    }
    .scroll {
      overflow-x: auto;
    }
    table {
      border-collapse: collapse;
      width: 100%;
      font-variant-numeric: tabular-nums;
    }
    th,
    td {
      padding: 0.25rem 0.5rem;
      border-bottom: 1px solid var(--cp-border, #dde1ea);
      text-align: left;
      white-space: nowrap;
    }
    td.num,
    th.num {
      text-align: right;
    }
    td.why {
      color: var(--cp-muted, #5b6478);
      font-size: 0.85em;
      white-space: normal;
      min-width: 10rem;
    }
    tfoot td {
      font-weight: 600;
      border-bottom: none;
    }
    .problems {
      margin: 0;
      padding: 0.5rem 0.75rem 0.5rem 1.75rem;
      background: var(--cp-err-bg, #fde2e1);
      color: var(--cp-err-fg, #8a1c1c);
      border-radius: 6px;
    }
    .problems li {
      margin: 0.15rem 0;
      white-space: pre-wrap;
    }
    .memory {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(min(100%, 22rem), 1fr));
      gap: 0.75rem;
      margin-top: 0.75rem;
    }
    .memory section {
      border: 1px solid var(--cp-border, #dde1ea);
      border-radius: 6px;
      padding: 0.5rem 0.75rem;
    }
    .memory h3 {
      margin: 0 0 0.35rem;
      font-size: 0.95rem;
    }
    dl {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 0.15rem 0.75rem;
      margin: 0;
    }
    dt {
      color: var(--cp-muted, #5b6478);
    }
    dd {
      margin: 0;
      font-variant-numeric: tabular-nums;
      overflow-wrap: anywhere;
    }
    .note {
      color: var(--cp-muted, #5b6478);
      font-size: 0.85em;
      margin: 0.5rem 0 0;
    }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    if (!this.spec) {
      const script = this.querySelector('script[type="application/json"]');
      if (script?.textContent) this.spec = script.textContent;
    }
  }

  protected willUpdate(changed: Map<string, unknown>): void {
    if (this.computed !== undefined) {
      if (changed.has('computed')) this.show(this.computed);
    } else if (changed.has('spec') || changed.has('batch')) void this.refresh();
  }

  private show(c: { summary: Summary } | { problems: string[] }): void {
    this.requestId++;
    if ('summary' in c) {
      this.summary = c.summary;
      this.problems = [];
      this.dispatchEvent(new CustomEvent('summary', { detail: c.summary, bubbles: true, composed: true }));
    } else {
      this.summary = null;
      this.problems = c.problems;
      this.dispatchEvent(new CustomEvent('spec-error', { detail: c.problems, bubbles: true, composed: true }));
    }
  }

  private async refresh(): Promise<void> {
    const id = ++this.requestId;
    if (!this.spec.trim()) {
      this.summary = null;
      this.problems = ['no spec: paste a model spec (JSON) or pick a preset'];
      return;
    }
    try {
      const s = await summarize(this.spec, Math.max(1, Math.floor(this.batch) || 1));
      if (id !== this.requestId) return;
      this.summary = s;
      this.problems = [];
      this.dispatchEvent(new CustomEvent('summary', { detail: s, bubbles: true, composed: true }));
    } catch (e) {
      if (id !== this.requestId) return;
      this.summary = null;
      this.problems = (e instanceof Error ? e.message : String(e)).split('\n');
      this.dispatchEvent(new CustomEvent('spec-error', { detail: this.problems, bubbles: true, composed: true }));
    }
  }

  render() {
    if (this.problems.length > 0) {
      return html`<ul class="problems" role="alert">
        ${this.problems.map((p) => html`<li>${p}</li>`)}
      </ul>`;
    }
    const s = this.summary;
    if (!s) return nothing;
    const i = s.inference;
    const t = s.training;
    return html`
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Layer (type)</th>
              <th>Output shape</th>
              <th>how</th>
              <th class="num">Params</th>
              <th>from</th>
              <th class="num">MACs</th>
              <th class="num">FLOPs</th>
              <th class="num">Output bytes</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>input</td>
              <td>${shape(s.input)}</td>
              <td class="why"></td>
              <td class="num">0</td>
              <td class="why"></td>
              <td class="num">0</td>
              <td class="num">0</td>
              <td class="num">${int(s.input.reduce((a, b) => a * b, 1) * 4)}</td>
            </tr>
            ${s.rows.map(
              (r) =>
                html`<tr>
                  <td style="padding-left:${0.5 + r.depth * 1.25}rem">${r.name} (${r.type})</td>
                  <td>${shape(r.output)}</td>
                  <td class="why">${r.shapeFormula}</td>
                  <td class="num">${int(r.trainable + r.nonTrainable)}</td>
                  <td class="why">${r.paramsFormula}</td>
                  <td class="num">${int(r.macs)}</td>
                  <td class="num">${int(r.flops)}</td>
                  <td class="num">${int(r.outputBytes)}</td>
                </tr>`,
            )}
          </tbody>
          <tfoot>
            <tr>
              <td colspan="3">Total</td>
              <td class="num" data-total-params>${int(s.params)}</td>
              <td class="why">trainable ${int(s.trainable)}, non-trainable ${int(s.nonTrainable)}</td>
              <td class="num">${int(s.macs)}</td>
              <td class="num">${int(s.flops)}</td>
              <td></td>
            </tr>
          </tfoot>
        </table>
      </div>
      ${s.tooLarge ? html`<p class="problems" role="alert" data-too-large>${s.tooLarge}</p>` : nothing}
      <div class="memory">
        <section>
          <h3>One prediction (f32)</h3>
          <dl>
            <dt>parameters</dt>
            <dd>${int(s.params)} × 4 = ${bytes(i.params)}</dd>
            <dt>peak activations</dt>
            <dd>
              ${bytes(i.peakActivations)}<br /><small>${i.peakBetween[0]} and ${i.peakBetween[1]} alive at once</small>
            </dd>
            <dt>total</dt>
            <dd data-inference-total><strong>${bytes(i.total)}</strong></dd>
            <dt>naive</dt>
            <dd>${bytes(i.naiveAllOutputs)} if every output were kept</dd>
          </dl>
        </section>
        <section>
          <h3>Training, batch ${t.batch} (f32)</h3>
          <dl>
            <dt>activations kept</dt>
            <dd>${mbOf(t.activations)}<br /><small>input and every layer output × ${t.batch}, for backprop</small></dd>
            <dt>+ parameters, gradients</dt>
            <dd>${mbOf(t.params)} + ${mbOf(t.gradients)}</dd>
            <dt>with SGD momentum</dt>
            <dd>+ ${mbOf(t.sgdMomentumState)} = <strong>${mbOf(t.totalSgdMomentum)}</strong></dd>
            <dt>with Adam (m, v)</dt>
            <dd>+ ${mbOf(t.adamState)} = <strong data-training-adam>${mbOf(t.totalAdam)}</strong> (the textbook answer)</dd>
            <dt>f16 activations</dt>
            <dd>${mbOf(t.activationsF16)} → Adam ${mbOf(t.totalAdamF16)}</dd>
            <dt>this engine, Adam</dt>
            <dd data-engine-adam>
              ${mbOf(t.engineAdam)}<br /><small>more: it also holds activation gradients (${mbOf(t.activationGradients)})
                and a workspace (${mbOf(t.workspace)})</small>
            </dd>
            <dt>this engine, Adam, f16 activations</dt>
            <dd data-engine-adam-f16>
              ${mbOf(t.engineAdamF16)}<br /><small>on a GPU with shader-f16; activation gradients stay f32</small>
            </dd>
          </dl>
        </section>
      </div>
      <p class="note">
        Training figures in MB; hover one for its exact bytes (the model lab lists them all). MACs: multiply-accumulates of convolutions and dense layers. FLOPs: 2 × MACs, plus one per output for a bias and
        one for an activation; pooling, batch norm and adds count their element operations. MB = 10⁶ bytes, MiB = 2²⁰
        bytes.
      </p>
    `;
  }
}

if (!customElements.get('convplay-summary')) customElements.define('convplay-summary', ConvplaySummary);
