// <convplay-model-lab>: edit a spec (or start from a preset), see its summary update as
// you type, ask "will it fit?" against a memory budget and the device's limits (with the
// fixes computed on this model), measure what the engine really allocates, and compare
// two specs side by side. Keras code pastes in, and the spec exports as Keras code
// (<convplay-keras>, model-lab/keras.ts).

import { LitElement, css, html, nothing } from 'lit';
import { formStyles } from './form-styles';
import { fitCheck, presetNames, presetSpec, summarize, type EngineInfo } from '../engine';

/** What the lab needs of an engine: its limits, and a measurement of a model's allocation. */
export interface MeasuringEngine {
  info: EngineInfo;
  measureAllocation(spec: string, batch: number): Promise<number> | number;
}
import { int } from '../format';
import { fitView, measureSpec, mnistProblem, type Measured } from './lab/fit';
import type { FitCheck, Summary } from '../types';
import './convplay-summary';
import './model-lab/keras';

export class ConvplayModelLab extends LitElement {
  static properties = {
    engine: { attribute: false },
    preset: { type: String },
    presetError: { state: true },
    specText: { state: true },
    batch: { state: true },
    budgetMb: { state: true },
    compareWith: { state: true },
    presets: { state: true },
    summary: { state: true },
    fit: { state: true },
    other: { state: true },
    measured: { state: true },
    problemCount: { state: true },
    computed: { state: true },
  };

  declare engine: MeasuringEngine | null;
  declare preset: string;
  declare specText: string;
  declare batch: number;
  declare budgetMb: number;
  declare compareWith: string;
  declare presets: string[];
  /** Why the preset asked for is not shown (an unknown name), else empty. */
  declare presetError: string;
  declare summary: Summary | null;
  declare fit: FitCheck | null;
  declare other: Summary | null;
  declare measured: Measured | null;
  declare problemCount: number;
  /** What the summary view shows: this lab summarises the spec once and hands it over. */
  declare computed: { summary: Summary } | { problems: string[] };
  private timer: number | undefined;

  constructor() {
    super();
    this.engine = null;
    this.preset = 'seed-004';
    this.specText = '';
    this.batch = 128;
    this.budgetMb = 4096;
    this.compareWith = '';
    this.presets = [];
    this.presetError = '';
    this.summary = null;
    this.fit = null;
    this.other = null;
    this.measured = null;
    this.problemCount = 0;
    this.computed = { problems: [] };
  }

  static styles = [
    formStyles,
    css`
    :host {
      display: block;
    }
    .controls {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem 1rem;
      align-items: end;
      margin-bottom: 0.75rem;
    }
    input[type='number'] {
      width: 7rem;
    }
    textarea {
      width: 100%;
      box-sizing: border-box;
      min-height: 16rem;
      font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
      font-size: 0.85rem;
      line-height: 1.35;
      resize: vertical;
    }
    .status {
      font-size: 0.85rem;
      margin: 0.25rem 0 0.75rem;
    }
    .ok {
      color: var(--cp-ok, #17753e);
    }
    .bad {
      color: var(--cp-err-fg, #8a1c1c);
    }
    h3 {
      font-size: 1rem;
      margin: 1.25rem 0 0.5rem;
    }
    table {
      border-collapse: collapse;
      font-variant-numeric: tabular-nums;
      font-size: 0.9rem;
    }
    th,
    td {
      padding: 0.25rem 0.6rem;
      border-bottom: 1px solid var(--cp-border, #dde1ea);
      text-align: right;
    }
    th:first-child,
    td:first-child {
      text-align: left;
    }
    ul.fixes {
      margin: 0.25rem 0;
      padding-left: 1.25rem;
    }
    .verdict {
      font-weight: 600;
    }
  `,
  ];

  connectedCallback(): void {
    super.connectedCallback();
    void this.loadPresets();
  }

  private async loadPresets(): Promise<void> {
    this.presets = await presetNames();
    if (!this.specText) await this.loadPreset(this.preset);
  }

  protected willUpdate(changed: Map<string, unknown>): void {
    // Device limits arrive with the engine: check the fit again.
    if (changed.has('engine') && this.specText) void this.analyse();
  }

  /** Shows this spec (JSON text) in the editor, as if typed. */
  async setSpec(text: string): Promise<void> {
    this.specText = text;
    this.measured = null;
    await this.analyse();
  }

  private async loadPreset(name: string): Promise<void> {
    let text: string;
    try {
      text = await presetSpec(name);
      this.presetError = '';
    } catch {
      // An embedding page's preset="…" that is not a preset: say so and show the first one.
      const fallback = this.presets.includes('seed-004') ? 'seed-004' : (this.presets[0] ?? 'seed-004');
      this.presetError = `preset "${name}" is not one of ${this.presets.join(', ')}; showing ${fallback} instead`;
      name = fallback;
      text = await presetSpec(fallback);
    }
    this.preset = name;
    this.specText = text;
    this.measured = null;
    await this.analyse();
  }

  private onEdit(e: Event): void {
    this.specText = (e.target as HTMLTextAreaElement).value;
    this.measured = null;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.analyse(), 200);
  }

  private async analyse(): Promise<void> {
    const batch = Math.max(1, Math.floor(this.batch) || 1);
    const text = this.specText;
    try {
      this.summary = await summarize(text, batch);
      this.problemCount = 0;
      this.computed = { summary: this.summary };
      this.fit = await fitCheck(text, batch, this.budgetMb * 1e6, this.engine?.info.limits ?? null);
    } catch (e) {
      this.summary = null;
      this.fit = null;
      const problems = text.trim()
        ? (e instanceof Error ? e.message : String(e)).split('\n')
        : ['no spec: paste a model spec (JSON) or pick a preset'];
      this.problemCount = problems.length;
      this.computed = { problems };
    }
    this.other = this.compareWith ? await summarize(await presetSpec(this.compareWith), batch).catch(() => null) : null;
  }

  private async measure(): Promise<void> {
    if (!this.engine) return;
    // The estimate beside the measurement must be for the same spec and batch.
    await this.analyse();
    const batch = Math.max(1, Math.floor(this.batch) || 1);
    this.measured = await measureSpec(this.engine, this.specText, this.summary, batch);
  }

  private renderFit() {
    const measure = () => void this.measure();
    return fitView(
      this.fit,
      this.summary,
      this.measured,
      this.budgetMb,
      this.engine?.info.kind,
      !!this.engine,
      measure,
    );
  }

  private renderCompare() {
    const a = this.summary;
    const b = this.other;
    if (!a || !b) return nothing;
    const rows: [string, number, number, (n: number) => string][] = [
      ['parameters', a.params, b.params, int],
      ['multiply-adds', a.macs, b.macs, int],
      ['FLOPs', a.flops, b.flops, int],
      ['one prediction (bytes)', a.inference.total.bytes, b.inference.total.bytes, int],
      [
        `training, batch ${a.training.batch}, Adam (bytes)`,
        a.training.totalAdam.bytes,
        b.training.totalAdam.bytes,
        int,
      ],
    ];
    return html`
      <table data-compare>
        <thead>
          <tr>
            <th>figure</th>
            <th>${a.name}</th>
            <th>${b.name}</th>
            <th>ratio</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            ([k, x, y, fmt]) =>
              // Cells built from a list: no whitespace between them (tests read a row's text).
              html`<tr>
                ${[k, fmt(x), fmt(y), y === 0 ? '–' : (x / y).toFixed(2) + '×'].map((c) => html`<td>${c}</td>`)}
              </tr>`,
          )}
        </tbody>
      </table>
    `;
  }

  render() {
    const why = mnistProblem(this.summary);
    return html`
      <div class="controls">
        <label
          >Start from
          <select
            @change=${(e: Event) => void this.loadPreset((e.target as HTMLSelectElement).value)}
            aria-label="preset"
          >
            ${this.presets.map((p) => html`<option value=${p} ?selected=${p === this.preset}>${p}</option>`)}
          </select>
        </label>
        ${this.presetError ? html`<span class="bad" role="alert" data-preset-error>${this.presetError}</span>` : nothing}
        <label
          >Batch
          <input
            type="number"
            min="1"
            .value=${String(this.batch)}
            @input=${(e: Event) => {
              this.batch = Number((e.target as HTMLInputElement).value);
              void this.analyse();
            }}
            aria-label="batch"
          />
        </label>
        <label
          >Memory budget (MB)
          <input
            type="number"
            min="1"
            .value=${String(this.budgetMb)}
            @input=${(e: Event) => {
              this.budgetMb = Number((e.target as HTMLInputElement).value);
              void this.analyse();
            }}
            aria-label="budget"
          />
        </label>
        <label
          >Compare with
          <select
            @change=${(e: Event) => {
              this.compareWith = (e.target as HTMLSelectElement).value;
              void this.analyse();
            }}
            aria-label="compare"
          >
            <option value="">—</option>
            ${this.presets.map((p) => html`<option value=${p} ?selected=${p === this.compareWith}>${p}</option>`)}
          </select>
        </label>
      </div>
      <convplay-keras .spec=${this.specText} @keras-spec=${(e: CustomEvent<string>) => void this.setSpec(e.detail)}></convplay-keras>
      <textarea
        spellcheck="false"
        aria-label="model spec (JSON)"
        .value=${this.specText}
        @input=${(e: Event) => this.onEdit(e)}
      ></textarea>
      <p class="status" data-problems=${this.problemCount}>
        ${this.problemCount === 0 ? html`<span class="ok">valid spec</span>` : html`<span class="bad">${this.problemCount} problem${this.problemCount > 1 ? 's' : ''}: see below</span>`}
        <button
          ?disabled=${this.problemCount !== 0 || why !== ''}
          aria-describedby=${why ? 'train-why' : nothing}
          @click=${() => this.dispatchEvent(new CustomEvent('train-spec', { detail: this.specText, bubbles: true, composed: true }))}
        >
          Train this model on MNIST
        </button>
        ${why ? html`<span class="bad" id="train-why" data-train-why>${why}</span>` : nothing}
      </p>
      <convplay-summary .spec=${this.specText} .batch=${Math.max(1, Math.floor(this.batch) || 1)} .computed=${this.computed}></convplay-summary>
      ${this.renderFit()}
      ${
        this.other
          ? html`<h3>Side by side</h3>
              ${this.renderCompare()}`
          : nothing
      }
    `;
  }
}

if (!customElements.get('convplay-model-lab')) customElements.define('convplay-model-lab', ConvplayModelLab);
