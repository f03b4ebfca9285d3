// <convplay-compare>: experiments side by side. Two or more models trained on the same MNIST images, with
// the same seed and the same budget (images × epochs, batch, learning rate), one after the other on the
// page's shared engine; their curves on one chart and, side by side, the final test accuracy,
// parameters, multiply-adds, training time and model size. The built-in experiments and what to expect
// are in experiments.ts; the state travels in the URL (state.ts); the work is run.ts.

import { LitElement, html, nothing } from 'lit';
import { sharedEngine, wantsCpu, type FitRun } from '../../api/index';
import { parseBackendChoice } from '../../engine';
import { PRESETS } from '../../url-state';
import '../convplay-curves';
import type { ConvplayCurves } from '../convplay-curves';
import { MnistData } from '../train/run';
import { EXPERIMENTS, EXPERIMENT_IDS, STORAGES, armsOf, type Arm, type Budget, type ExperimentId } from './experiments';
import { emptyRow, runComparison, type ArmResult } from './run';
import { MAX_MODELS, defaultState, writeCompare, type CompareState } from './state';
import { chartConfig, compareStyles, resultsTable } from './view';
import { formStyles } from '../form-styles';

type Phase = 'idle' | 'running' | 'done' | 'error';

const BUDGET_INPUTS: [field: keyof Budget, label: string, min: number, step: string][] = [
  ['images', 'training images', 1, '1'],
  ['epochs', 'epochs', 1, '1'],
  ['batch', 'batch', 1, '1'],
  ['testImages', 'test images', 1, '1'],
  ['seed', 'seed', 0, '1'],
  ['lr', 'learning rate', 0, 'any'],
];

export class ConvplayCompare extends LitElement {
  static properties = {
    backend: { type: String },
    state: { attribute: false },
    labSpec: { attribute: false },
    rows: { state: true },
    phase: { state: true },
    status: { state: true },
    error: { state: true },
  };

  /** "auto" (the engine's backend), "cpu" (beside a GPU engine) or "webgpu". */
  declare backend: string;
  declare state: CompareState;
  declare rows: ArmResult[];
  declare phase: Phase;
  declare status: string;
  declare error: string;
  /** The model lab's current spec (JSON text), when the page has a lab: offered as a custom model. */
  declare labSpec: (() => string | null) | null;
  /** The threads the page's URL names, kept in the link. */
  threads: number | undefined = undefined;
  private data: MnistData | null = null;
  private fit: FitRun | null = null;
  private stopAsked = false;
  private abort: AbortController | null = null;
  /** The chart of the run's arms. */
  private chart = chartConfig([]);

  static styles = [formStyles, compareStyles];

  constructor() {
    super();
    this.backend = 'auto';
    this.state = defaultState();
    this.rows = [];
    this.phase = 'idle';
    this.status = '';
    this.error = '';
    this.labSpec = null;
  }

  connectedCallback(): void {
    super.connectedCallback();
    // An embedding page names the experiment with an attribute: <convplay-compare experiment="lrn">.
    const id = this.getAttribute('experiment');
    if (id === null || this.hasUpdated) return;
    if ((EXPERIMENT_IDS as readonly string[]).includes(id)) this.setState(defaultState(id as ExperimentId));
    else this.error = `experiment="${id}" is not an experiment: use ${EXPERIMENT_IDS.join(', ')}`;
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.abort?.abort();
    this.data?.dispose();
    this.data = null;
  }

  /** The experiment's arms as they stand (a custom model that does not parse is an error here). */
  get arms(): Arm[] {
    return armsOf(this.state.experiment, this.state.models);
  }

  /** This comparison's URL: the page showing it, ready to run. */
  link(base = location.href, threads = this.threads): string {
    const choice = (['auto', 'webgpu', 'cpu'] as const).find((b) => b === this.backend) ?? 'auto';
    return writeCompare(base, choice, this.state, threads);
  }

  /** Takes a state (from a URL): the experiment, its models and its budget, ready to run. */
  setState(s: CompareState): void {
    if (this.phase === 'running') this.stop();
    this.state = { experiment: s.experiment, models: [...s.models], budget: { ...s.budget } };
    this.rows = [];
    this.phase = 'idle';
    this.error = '';
    this.status = '';
    this.changed();
  }

  private changed(): void {
    this.dispatchEvent(new CustomEvent('input', { bubbles: true, composed: true }));
  }

  private choose(id: ExperimentId): void {
    this.setState({ ...defaultState(id), models: id === 'custom' ? this.state.models : [] });
  }

  private setBudget(field: keyof Budget, value: number): void {
    if (!Number.isFinite(value)) return;
    this.state = { ...this.state, budget: { ...this.state.budget, [field]: value } };
    this.changed();
  }

  private toggleModel(model: string, on: boolean): void {
    const models = this.state.models.filter((m) => m !== model);
    if (on) models.push(model);
    this.state = { ...this.state, models: models.slice(0, MAX_MODELS) };
    this.changed();
  }

  private addLabSpec(): void {
    const spec = this.labSpec?.();
    if (!spec) return;
    try {
      armsOf('custom', [spec]);
    } catch (e) {
      this.error = `the model lab's spec: ${(e as Error).message}`;
      return;
    }
    this.error = '';
    // The spec in one line, so that the link stays short.
    this.toggleModel(JSON.stringify(JSON.parse(spec)), true);
  }

  private get curves(): ConvplayCurves | null {
    return this.renderRoot.querySelector('convplay-curves');
  }

  /** Runs the experiment: every arm in turn on the shared engine. Resolves when it ends or is stopped. */
  async run(): Promise<void> {
    if (this.phase === 'running') return;
    let arms: Arm[];
    try {
      arms = this.arms;
      if (arms.length < (EXPERIMENTS[this.state.experiment].precision ? 1 : 2))
        throw new Error('choose at least two models to compare (presets, or the model lab’s spec)');
      const b = this.state.budget;
      if (!(Number.isInteger(b.images) && b.images >= 1 && Number.isInteger(b.epochs) && b.epochs >= 1))
        throw new Error('training images and epochs must be whole numbers ≥ 1');
      if (!(Number.isInteger(b.batch) && b.batch >= 1 && Number.isInteger(b.testImages) && b.testImages >= 1))
        throw new Error('batch and test images must be whole numbers ≥ 1');
      if (!(b.lr > 0)) throw new Error('the learning rate must be a positive number, e.g. 0.001');
    } catch (e) {
      this.error = (e as Error).message;
      this.phase = 'error';
      return;
    }
    const precision = EXPERIMENTS[this.state.experiment].precision;
    this.error = '';
    this.stopAsked = false;
    this.phase = 'running';
    this.rows = precision ? STORAGES.map((s) => emptyRow(arms[0].label, s)) : arms.map((a) => emptyRow(a.label));
    this.chart = chartConfig(precision ? arms.slice(0, 1) : arms);
    this.requestUpdate();
    await this.updateComplete;
    await this.curves?.updateComplete;
    this.curves?.clear();
    const abort = new AbortController();
    this.abort = abort;
    const t0 = performance.now();
    try {
      const engine = await sharedEngine();
      const cpu = wantsCpu(engine, parseBackendChoice(this.backend));
      if (this.data?.engine !== engine) {
        this.data?.dispose();
        this.data = new MnistData(engine);
      }
      const setRow = (i: number, row: ArmResult) => {
        this.rows = this.rows.map((r, k) => (k === i ? { ...row } : r));
      };
      await runComparison(
        this.data,
        { arms, precision, budget: { ...this.state.budget }, cpu },
        {
          row: setRow,
          loss: (arm, x, v) => this.curves?.put(x, 2 * arm, v),
          accuracy: (arm, x, v) => this.curves?.put(x, 2 * arm + 1, v),
          started: (fit) => {
            this.fit = fit;
            if (this.stopAsked) fit.stop();
          },
          status: (text) => (this.status = text),
        },
        () => this.stopAsked,
        abort.signal,
      );
      const left = this.rows.filter((r) => r.status === 'waiting');
      for (const r of left) r.note = 'not run: the comparison was stopped';
      this.rows = [...this.rows];
      this.status = `${this.stopAsked ? 'Stopped' : 'Done'} in ${((performance.now() - t0) / 1000).toFixed(1)} s: the same ${this.state.budget.images.toLocaleString('en')} images × ${this.state.budget.epochs} epoch${this.state.budget.epochs > 1 ? 's' : ''}, batch ${this.state.budget.batch}, seed ${this.state.budget.seed}, Adam at ${this.state.budget.lr} for every model; test accuracy on ${this.state.budget.testImages.toLocaleString('en')} test images.`;
      this.phase = 'done';
      this.dispatchEvent(new CustomEvent('compare-done', { detail: this.rows, bubbles: true, composed: true }));
    } catch (e) {
      if (abort.signal.aborted) return;
      this.error = (e as Error).message;
      this.phase = 'error';
    } finally {
      this.fit = null;
      if (this.abort === abort) this.abort = null;
    }
  }

  /** Stops the run: the model training now stops after its current chunk, the others are not started. */
  stop(): void {
    this.stopAsked = true;
    this.fit?.stop();
    this.status = 'stopping after the current chunk…';
  }

  private budgetInputs() {
    const b = this.state.budget;
    const running = this.phase === 'running';
    return BUDGET_INPUTS.map(
      ([field, label, min, step]) =>
        html`<label
          >${label}<input
            type="number"
            aria-label=${label}
            min=${min}
            step=${step}
            .value=${String(b[field])}
            ?disabled=${running}
            @change=${(e: Event) => this.setBudget(field, Number((e.target as HTMLInputElement).value))}
        /></label>`,
    );
  }

  private customModels() {
    if (this.state.experiment !== 'custom') return nothing;
    const running = this.phase === 'running';
    const specs = this.state.models.filter((m) => !(PRESETS as readonly string[]).includes(m));
    return html`<div class="models" role="group" aria-label="models to compare">
      ${PRESETS.filter((p) => p !== 'course-3conv').map(
        (p) =>
          html`<label class="check"
            ><input
              type="checkbox"
              aria-label=${p}
              .checked=${this.state.models.includes(p)}
              ?disabled=${running}
              @change=${(e: Event) => this.toggleModel(p, (e.target as HTMLInputElement).checked)}
            />${p}</label
          >`,
      )}
      ${specs.map(
        (m) =>
          html`<label class="check"
            ><input
              type="checkbox"
              data-spec
              checked
              ?disabled=${running}
              @change=${() => this.toggleModel(m, false)}
            />${armsOf('custom', [m])[0].label}</label
          >`,
      )}
      ${
        this.labSpec
          ? html`<button type="button" ?disabled=${running} @click=${() => this.addLabSpec()}>
            Add the model lab’s spec
          </button>`
          : nothing
      }
    </div>`;
  }

  render() {
    const x = EXPERIMENTS[this.state.experiment];
    const running = this.phase === 'running';
    let link = '';
    try {
      link = this.link();
    } catch {
      link = '';
    }
    return html`
      <div class="controls">
        <label
          >experiment
          <select
            aria-label="experiment"
            ?disabled=${running}
            @change=${(e: Event) => this.choose((e.target as HTMLSelectElement).value as ExperimentId)}
          >
            ${EXPERIMENT_IDS.map(
              (id) =>
                html`<option value=${id} ?selected=${id === this.state.experiment}>${EXPERIMENTS[id].title}</option>`,
            )}
          </select></label
        >
      </div>
      <p class="question">${x.question}</p>
      <p class="expect" data-expect><strong>What to expect:</strong> ${x.expect}</p>
      ${this.customModels()}
      <div class="controls">
        ${this.budgetInputs()}
        <button type="button" data-run ?disabled=${running} @click=${() => void this.run()}>Run the comparison</button>
        <button type="button" data-stop ?disabled=${!running} @click=${() => this.stop()}>Stop</button>
        ${link ? html`<a href=${link} data-link>Link to this comparison</a>` : nothing}
      </div>
      <p class="status" data-status aria-live="polite">${this.status}</p>
      ${this.error ? html`<p class="error" role="alert" data-error>${this.error}</p>` : nothing}
      <convplay-curves .config=${this.chart} ?hidden=${!this.chart.series.length}></convplay-curves>
      ${resultsTable(this.rows, x.precision)}
    `;
  }
}

if (!customElements.get('convplay-compare')) customElements.define('convplay-compare', ConvplayCompare);

declare global {
  interface HTMLElementTagNameMap {
    'convplay-compare': ConvplayCompare;
  }
}
