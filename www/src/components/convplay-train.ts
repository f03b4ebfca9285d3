// <convplay-train>: train a preset (or any spec) on MNIST in a Web Worker, with live
// loss and accuracy curves (uPlot), a progress bar with img/s and time left, and the
// validation and test accuracy of every epoch.

import { LitElement, css, html, nothing, unsafeCSS, type PropertyValues } from 'lit';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import { parseBackendChoice, presetNames, presetSpec, type BackendChoice } from '../engine';
import type { AugmentSettings, FromWorker, Mistake, ToWorker, TrainSettings } from '../train-protocol';
import { assetUrl } from '../assets';
import { sharedEngine } from '../api/index';
import { download, loadLastModel, saveLastModel, type SavedModel } from '../storage';

/** The model-list value of a spec given by the page. */
const CUSTOM = '(custom)';

type Phase = 'idle' | 'loading' | 'training' | 'paused' | 'done' | 'error';

type EpochRow = Extract<FromWorker, { type: 'epoch' }>;

/** The trainer's settings, as a URL carries them. */
export interface TrainState {
  preset: string | null;
  /** A custom spec's JSON (instead of a preset). */
  spec: string | null;
  epochs: number;
  batch: number;
  lr: number;
  optimizer: TrainSettings['optimizer'];
  schedule: TrainSettings['schedule'];
  augment: AugmentSettings;
  trainImages: number;
  testImages: number;
  seed: number;
}

/** A 28×28 digit as a data URL (white on black, as MNIST stores it). */
function digitUrl(pixels: Uint8Array): string {
  const c = document.createElement('canvas');
  c.width = c.height = 28;
  const ctx = c.getContext('2d');
  if (!ctx) return '';
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = pixels[i];
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return c.toDataURL();
}

export class ConvplayTrain extends LitElement {
  static properties = {
    preset: { type: String },
    epochs: { type: Number },
    batch: { type: Number },
    lr: { type: Number },
    trainImages: { type: Number, attribute: 'train-images' },
    testImages: { type: Number, attribute: 'test-images' },
    seed: { type: Number },
    backend: { type: String },
    compact: { type: Boolean, reflect: true },
    optimizer: { state: true },
    schedule: { state: true },
    augment: { state: true },
    recipeNote: { state: true },
    phase: { state: true },
    status: { state: true },
    progress: { state: true },
    epochsDone: { state: true },
    presets: { state: true },
    saved: { state: true },
    loaded: { state: true },
  };

  declare preset: string;
  declare epochs: number;
  declare batch: number;
  declare lr: number;
  declare trainImages: number;
  declare testImages: number;
  /** Seeds the initial weights, the shuffles, dropout and augmentation: the same seed, the same run. */
  declare seed: number;
  declare backend: string;
  /** A smaller layout for a course page: model, epochs, batch, learning rate and the buttons in
   * view; the other settings and the confusion matrix and mistakes folded away; small charts. */
  declare compact: boolean;
  declare phase: Phase;
  declare status: string;
  declare progress: number;
  declare epochsDone: EpochRow[];
  declare presets: string[];
  declare saved: SavedModel | null;
  declare loaded: Extract<FromWorker, { type: 'evaluated' }> | null;
  declare optimizer: TrainSettings['optimizer'];
  declare schedule: TrainSettings['schedule'];
  declare augment: AugmentSettings;
  /** What the preset recommends, in words. */
  declare recipeNote: string;
  validationSplit = 0.1;
  /** A spec given by the page (the model lab) instead of a preset: its JSON and name. */
  private custom: { json: string; name: string } | null = null;
  /** The digit to look inside the network with while training (28×28 u8); sent to the worker. */
  private lookInput: Uint8Array | null = null;
  /** This element's training session on the page's shared engine worker. */
  private session: { send: (m: ToWorker) => void; close: () => void } | null = null;
  private lossPlot: uPlot | null = null;
  private accPlot: uPlot | null = null;
  /** Columns: step, train loss | step, train acc, val acc, test acc. */
  private lossData: [number[], (number | null)[]] = [[], []];
  private accData: [number[], (number | null)[], (number | null)[], (number | null)[]] = [[], [], [], []];
  private started = 0;

  constructor() {
    super();
    this.preset = 'mnist-quick';
    this.epochs = 1;
    this.batch = 32;
    this.lr = 0.003;
    this.optimizer = 'adam';
    this.schedule = 'onecycle';
    this.augment = { shift: 0, rotateDeg: 0, scale: 0 };
    this.recipeNote = '';
    this.trainImages = 60000;
    this.testImages = 10000;
    this.seed = 1;
    this.backend = 'auto';
    this.compact = false;
    this.phase = 'idle';
    this.status = '';
    this.progress = 0;
    this.epochsDone = [];
    this.presets = [];
    this.saved = null;
    this.loaded = null;
  }

  static styles = [
    unsafeCSS(uplotCss),
    css`
      :host {
        display: block;
        font-size: 0.9rem;
      }
      .controls {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: end;
      }
      :host([compact]) {
        font-size: 0.85rem;
      }
      :host([compact]) .controls {
        gap: 0.35rem 0.6rem;
      }
      :host([compact]) input[type='number'] {
        width: 5rem;
      }
      details.more {
        margin: 0.4rem 0;
      }
      details.more > summary {
        cursor: pointer;
        color: var(--cp-muted, #5b6478);
      }
      label {
        display: flex;
        flex-direction: column;
        font-size: 0.85rem;
        color: var(--cp-muted, #5b6478);
        gap: 0.2rem;
      }
      input,
      select,
      button {
        font: inherit;
        color: var(--cp-fg, inherit);
        background: var(--cp-card, #fff);
        border: 1px solid var(--cp-border, #dde1ea);
        border-radius: 4px;
        padding: 0.3rem 0.45rem;
      }
      input[type='number'] {
        width: 6.5rem;
      }
      button {
        cursor: pointer;
        border-color: var(--cp-accent, #1f7ae0);
        color: var(--cp-accent, #1f7ae0);
      }
      button:disabled {
        opacity: 0.5;
        cursor: default;
      }
      .bar {
        height: 0.6rem;
        background: var(--cp-border, #dde1ea);
        border-radius: 999px;
        overflow: hidden;
        margin: 0.75rem 0 0.25rem;
      }
      .bar > div {
        height: 100%;
        background: var(--cp-accent, #1f7ae0);
        transition: width 0.2s;
      }
      .recipe {
        color: var(--cp-muted, #5b6478);
        font-size: 0.8rem;
        margin: 0.5rem 0 0;
      }
      .status {
        font-variant-numeric: tabular-nums;
        min-height: 1.3em;
      }
      .error {
        color: var(--cp-err-fg, #8a1c1c);
      }
      .charts {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 20rem), 1fr));
        gap: 0.75rem;
        margin-top: 0.75rem;
      }
      table {
        border-collapse: collapse;
        font-variant-numeric: tabular-nums;
        margin-top: 0.75rem;
      }
      th,
      td {
        padding: 0.2rem 0.6rem;
        border-bottom: 1px solid var(--cp-border, #dde1ea);
        text-align: right;
      }
      .u-legend {
        font-size: 0.8rem;
      }
      .saved {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: center;
        margin-top: 0.75rem;
      }
      label.file {
        flex-direction: row;
        align-items: center;
        gap: 0.5rem;
      }
      .after {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 22rem), 1fr));
        gap: 1rem;
        margin-top: 0.75rem;
      }
      h4 {
        margin: 0.5rem 0 0.35rem;
        font-size: 0.95rem;
      }
      table.confusion td,
      table.confusion th {
        padding: 0.15rem 0.3rem;
        font-size: 0.8rem;
        text-align: center;
        min-width: 1.8rem;
      }
      .gallery {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem;
      }
      figure {
        margin: 0;
        text-align: center;
        font-size: 0.75rem;
        color: var(--cp-muted, #5b6478);
      }
      figure img {
        width: 42px;
        height: 42px;
        image-rendering: pixelated;
        display: block;
        border-radius: 3px;
      }
    `,
  ];

  private markReady: () => void = () => {};
  /** Resolves once the presets are listed and the recipe applied (then `configure` may follow). */
  readonly ready: Promise<void> = new Promise((r) => (this.markReady = r));

  async connectedCallback(): Promise<void> {
    super.connectedCallback();
    this.presets = await presetNames();
    // The preset's recipe fills in what the page's attributes did not set.
    const given = new Set(['epochs', 'batch', 'lr'].filter((a) => this.hasAttribute(a)));
    await this.applyRecipe(given);
    this.markReady();
    this.saved = (await loadLastModel().catch(() => undefined)) ?? null;
  }

  /** The settings as they stand, for a shareable URL. */
  get settings(): TrainState {
    return {
      preset: this.preset === CUSTOM ? null : this.preset,
      spec: this.preset === CUSTOM ? (this.custom?.json ?? null) : null,
      epochs: this.epochs,
      batch: this.batch,
      lr: this.lr,
      optimizer: this.optimizer,
      schedule: this.schedule,
      augment: { ...this.augment },
      trainImages: this.trainImages,
      testImages: this.testImages,
      seed: this.seed,
    };
  }

  /** Takes settings (from a URL): the model first (with its recipe), then the rest given. */
  async configure(s: Partial<TrainState>): Promise<void> {
    await this.ready;
    if (s.spec) await this.useSpec(s.spec);
    else if (s.preset) {
      this.preset = s.preset;
      await this.applyRecipe();
    }
    if (s.epochs !== undefined) this.epochs = s.epochs;
    if (s.batch !== undefined) this.batch = s.batch;
    if (s.lr !== undefined) this.lr = s.lr;
    if (s.optimizer !== undefined) this.optimizer = s.optimizer;
    if (s.schedule !== undefined) this.schedule = s.schedule;
    if (s.augment !== undefined) this.augment = { ...s.augment };
    if (s.trainImages !== undefined) this.trainImages = s.trainImages;
    if (s.testImages !== undefined) this.testImages = s.testImages;
    if (s.seed !== undefined) this.seed = s.seed;
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.session?.close();
    this.session = null;
    this.lossPlot?.destroy();
    this.accPlot?.destroy();
  }

  protected firstUpdated(_: PropertyValues): void {
    const width = Math.max(
      this.compact ? 220 : 280,
      Math.min(
        this.compact ? 360 : 560,
        (this.renderRoot.querySelector('.charts') as HTMLElement).clientWidth / 2 - 12,
      ),
    );
    const height = this.compact ? 150 : 200;
    const axes = (label: string): uPlot.Axis[] => [
      { label: 'step', stroke: 'currentColor' },
      { label, stroke: 'currentColor' },
    ];
    this.lossPlot = new uPlot(
      {
        width,
        height,
        title: 'loss',
        scales: { x: { time: false } },
        axes: axes('cross-entropy'),
        series: [{}, { label: 'train', stroke: '#1f7ae0' }],
      },
      this.lossData as uPlot.AlignedData,
      this.renderRoot.querySelector('#loss') as HTMLElement,
    );
    this.accPlot = new uPlot(
      {
        width,
        height,
        title: 'accuracy',
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: axes('accuracy'),
        series: [
          {},
          { label: 'train', stroke: '#1f7ae0' },
          { label: 'validation', stroke: '#e08a1f', spanGaps: true, points: { show: true, size: 6 } },
          { label: 'test', stroke: '#1c8a4a', spanGaps: true, points: { show: true, size: 6 } },
        ],
      },
      this.accData as uPlot.AlignedData,
      this.renderRoot.querySelector('#acc') as HTMLElement,
    );
  }

  /** The JSON of the chosen model: a preset's, or the custom spec. */
  private async specText(): Promise<string> {
    return this.preset === CUSTOM ? (this.custom?.json ?? '') : presetSpec(this.preset);
  }

  /** Takes the preset's recommended settings (its spec's "training"), except those in `keep`. */
  async applyRecipe(keep: Set<string> = new Set()): Promise<void> {
    let recipe: {
      epochs?: number;
      batch?: number;
      optimizer?: TrainSettings['optimizer'];
      lr?: number;
      schedule?: TrainSettings['schedule'];
      augment?: { shift?: number; rotate_deg?: number; scale?: number };
    } = {};
    try {
      recipe = (JSON.parse(await this.specText()) as { training?: typeof recipe }).training ?? {};
    } catch {
      return; // an unknown preset is reported when training starts
    }
    if (recipe.epochs && !keep.has('epochs')) this.epochs = recipe.epochs;
    if (recipe.batch && !keep.has('batch')) this.batch = recipe.batch;
    if (recipe.lr && !keep.has('lr')) this.lr = recipe.lr;
    if (recipe.optimizer) this.optimizer = recipe.optimizer;
    if (recipe.schedule) this.schedule = recipe.schedule;
    const a = recipe.augment;
    this.augment = { shift: a?.shift ?? 0, rotateDeg: a?.rotate_deg ?? 0, scale: a?.scale ?? 0 };
    const parts = [
      recipe.epochs && `${recipe.epochs} epoch${recipe.epochs > 1 ? 's' : ''}`,
      recipe.batch && `batch ${recipe.batch}`,
      recipe.optimizer,
      recipe.lr && `lr ${recipe.lr}`,
      recipe.schedule,
    ].filter(Boolean);
    this.recipeNote = parts.length ? `${this.modelName}'s recipe: ${parts.join(', ')}` : '';
  }

  /** Trains this spec (JSON text) next: it joins the model list as "custom: <name>" and is
   * chosen; its recipe, if it has one, fills in the settings. */
  async useSpec(json: string): Promise<void> {
    let name = 'model';
    try {
      name = (JSON.parse(json) as { name?: string }).name ?? 'model';
    } catch {
      // Reported by the engine when training starts.
    }
    this.custom = { json, name };
    this.preset = CUSTOM;
    await this.applyRecipe();
    this.requestUpdate();
  }

  /** The model's name as the page shows it. */
  get modelName(): string {
    return this.preset === CUSTOM && this.custom ? this.custom.name : this.preset;
  }

  /** The digit to look inside the network with during training. */
  setLookInput(pixels: Uint8Array): void {
    this.lookInput = pixels;
    this.send({ type: 'inspect-input', pixels });
  }

  /** Points on the loss curve so far (one per progress report). */
  get curvePoints(): number {
    return this.lossData[0].length;
  }

  /** The loss values plotted so far. */
  get losses(): number[] {
    return this.lossData[1].filter((v): v is number => v !== null);
  }

  private send(m: ToWorker): void {
    this.session?.send(m);
  }

  private async start(): Promise<void> {
    this.closeSession();
    this.lossData = [[], []];
    this.accData = [[], [], [], []];
    this.lossPlot?.setData(this.lossData as uPlot.AlignedData);
    this.accPlot?.setData(this.accData as uPlot.AlignedData);
    this.epochsDone = [];
    this.progress = 0;
    this.phase = 'loading';
    this.status = 'loading MNIST and building the model…';
    const backend = this.backendChoice();
    if (!backend) return;
    const settings: TrainSettings = {
      backend,
      spec: await this.specText().catch(() => ''),
      epochs: Math.max(1, Math.floor(this.epochs)),
      batch: Math.max(1, Math.floor(this.batch)),
      lr: this.lr,
      optimizer: this.optimizer,
      schedule: this.schedule,
      trainImages: Math.max(1, Math.floor(this.trainImages)),
      validationSplit: this.validationSplit,
      testImages: Math.max(1, Math.floor(this.testImages)),
      seed: Math.max(0, Math.floor(this.seed)) >>> 0,
      augment: { ...this.augment },
      dataUrl: assetUrl('data/mnist/'),
    };
    if (!settings.spec) {
      this.fail(`unknown preset "${this.preset}"`);
      return;
    }
    if (!(await this.openSession())) return;
    this.started = performance.now();
    if (this.lookInput) this.send({ type: 'inspect-input', pixels: this.lookInput });
    this.send({ type: 'start', settings });
  }

  private loadFile(e: Event): void {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    void file.arrayBuffer().then((buf) => this.evaluateWeights(new Uint8Array(buf)));
  }

  /** Loads a weights file on the shared engine and evaluates it on the test images. */
  async evaluateWeights(bytes: Uint8Array): Promise<void> {
    this.closeSession();
    this.loaded = null;
    this.phase = 'loading';
    this.status = 'loading the weights and evaluating them on the test images…';
    const backend = this.backendChoice();
    if (!backend) return;
    if (!(await this.openSession())) return;
    this.send({
      type: 'evaluate-file',
      bytes,
      backend,
      testImages: Math.max(1, Math.floor(this.testImages)),
      dataUrl: assetUrl('data/mnist/'),
    });
  }

  /** The `backend` attribute as a choice, or null after reporting a bad value. */
  private backendChoice(): BackendChoice | null {
    try {
      return parseBackendChoice(this.backend);
    } catch (e) {
      this.fail((e as Error).message);
      return null;
    }
  }

  /** A session on the page's shared engine (one worker for every ConvPlay element). */
  private async openSession(): Promise<boolean> {
    try {
      const engine = await sharedEngine();
      this.closeSession();
      const session = engine.openSession((m) => {
        if (this.session === session) this.onMessage(m);
      });
      this.session = session;
      return true;
    } catch (e) {
      this.fail(`the engine did not start: ${(e as Error).message}`);
      return false;
    }
  }

  private closeSession(): void {
    this.session?.close();
    this.session = null;
  }

  private fail(message: string): void {
    this.phase = 'error';
    this.status = message;
    this.dispatchEvent(new CustomEvent('train-error', { detail: message, bubbles: true, composed: true }));
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'ready':
        this.phase = 'training';
        this.status = `training ${this.modelName} (${m.params.toLocaleString('en')} parameters) on ${m.info.kind === 'gpu' ? 'WebGPU' : 'the CPU'}: ${m.trainImages.toLocaleString('en')} training, ${m.valImages.toLocaleString('en')} validation, ${m.testImages.toLocaleString('en')} test images`;
        this.started = performance.now();
        break;
      case 'progress': {
        this.phase = 'training';
        this.progress = m.step / m.totalSteps;
        const elapsed = (performance.now() - this.started) / 1000;
        const left = this.progress > 0 ? (elapsed * (1 - this.progress)) / this.progress : 0;
        this.status = `epoch ${m.epoch}, step ${m.step} of ${m.totalSteps} — loss ${m.loss.toFixed(4)}, accuracy ${(100 * m.accuracy).toFixed(1)}% — ${Math.round(m.imagesPerSec).toLocaleString('en')} img/s — about ${Math.ceil(left)} s left`;
        this.lossData[0].push(m.step);
        this.lossData[1].push(m.loss);
        this.accData[0].push(m.step);
        this.accData[1].push(m.accuracy);
        this.accData[2].push(null);
        this.accData[3].push(null);
        this.lossPlot?.setData(this.lossData as uPlot.AlignedData);
        this.accPlot?.setData(this.accData as uPlot.AlignedData);
        this.dispatchEvent(new CustomEvent('progress', { detail: m, bubbles: true, composed: true }));
        break;
      }
      case 'epoch': {
        this.epochsDone = [...this.epochsDone, m];
        const last = this.accData[0].length - 1;
        if (last >= 0) {
          this.accData[2][last] = m.valAccuracy;
          this.accData[3][last] = m.testAccuracy;
          this.accPlot?.setData(this.accData as uPlot.AlignedData);
        }
        break;
      }
      case 'inside':
        this.dispatchEvent(new CustomEvent('inside', { detail: m, bubbles: true, composed: true }));
        break;
      case 'paused':
        this.phase = 'paused';
        this.status = `paused — ${this.status}`;
        break;
      case 'done': {
        const last = this.epochsDone.at(-1);
        const saved: SavedModel = {
          name: this.modelName,
          testAccuracy: last ? last.testAccuracy : null,
          savedAt: new Date().toISOString(),
          weights: m.weights,
        };
        this.saved = saved;
        saveLastModel(saved).catch((e) =>
          this.fail(`could not keep the model in this browser: ${(e as Error).message}`),
        );
        this.phase = 'done';
        this.progress = m.stopped ? this.progress : 1;
        this.status = m.stopped ? 'stopped' : `done in ${((performance.now() - this.started) / 1000).toFixed(1)} s`;
        this.closeSession();
        this.dispatchEvent(new CustomEvent('done', { detail: this.epochsDone, bubbles: true, composed: true }));
        break;
      }
      case 'evaluated':
        this.loaded = m;
        this.phase = 'done';
        this.status = `loaded ${m.name} (${m.params.toLocaleString('en')} parameters): test accuracy ${(100 * m.testAccuracy).toFixed(2)}% on ${m.testImages.toLocaleString('en')} images`;
        this.closeSession();
        break;
      case 'error':
        this.fail(m.message);
        this.closeSession();
        break;
    }
  }

  render() {
    const busy = this.phase === 'loading' || this.phase === 'training' || this.phase === 'paused';
    const num = (label: string, value: number, set: (v: number) => void, step = '1') =>
      html`<label
        >${label}<input
          type="number"
          step=${step}
          min="0"
          .value=${String(value)}
          ?disabled=${busy}
          aria-label=${label}
          @input=${(e: Event) => set(Number((e.target as HTMLInputElement).value))}
      /></label>`;
    const more = html` <label
        >Optimizer
        <select
          aria-label="optimizer"
          ?disabled=${busy}
          .value=${this.optimizer}
          @change=${(e: Event) => (this.optimizer = (e.target as HTMLSelectElement).value as TrainSettings['optimizer'])}
        >
          <option value="adam" ?selected=${this.optimizer === 'adam'}>Adam</option>
          <option value="adamw" ?selected=${this.optimizer === 'adamw'}>AdamW</option>
          <option value="sgd" ?selected=${this.optimizer === 'sgd'}>SGD + Nesterov momentum</option>
        </select>
      </label>
      <label
        >Schedule
        <select
          aria-label="schedule"
          ?disabled=${busy}
          .value=${this.schedule}
          @change=${(e: Event) => (this.schedule = (e.target as HTMLSelectElement).value as TrainSettings['schedule'])}
        >
          ${(['constant', 'step', 'cosine', 'onecycle'] as const).map((v) => html`<option value=${v} ?selected=${this.schedule === v}>${{ constant: 'constant', step: 'halve every epoch', cosine: 'cosine', onecycle: 'one-cycle' }[v]}</option>`)}
        </select>
      </label>
      ${num('shift ± px', this.augment.shift, (v) => (this.augment = { ...this.augment, shift: v }), 'any')}
      ${num('rotate ± °', this.augment.rotateDeg, (v) => (this.augment = { ...this.augment, rotateDeg: v }), 'any')}
      ${num('scale ± %', Math.round(1000 * this.augment.scale) / 10, (v) => (this.augment = { ...this.augment, scale: v / 100 }), 'any')}
      ${num('training images', this.trainImages, (v) => (this.trainImages = v))}
      ${num('test images', this.testImages, (v) => (this.testImages = v))}
      ${num('seed', this.seed, (v) => (this.seed = v))}`;
    return html`
      <div class="controls">
        <label
          >Model
          <select
            aria-label="model"
            ?disabled=${busy}
            @change=${(e: Event) => {
              this.preset = (e.target as HTMLSelectElement).value;
              void this.applyRecipe();
            }}
          >
            ${this.presets.map((p) => html`<option value=${p} ?selected=${p === this.preset}>${p}</option>`)}
            ${this.custom ? html`<option value=${CUSTOM} ?selected=${this.preset === CUSTOM}>custom: ${this.custom.name}</option>` : nothing}
          </select>
        </label>
        ${num('epochs', this.epochs, (v) => (this.epochs = v))} ${num('batch', this.batch, (v) => (this.batch = v))}
        ${num('learning rate', this.lr, (v) => (this.lr = v), 'any')} ${this.compact ? nothing : more}
        <button @click=${() => void this.start()} ?disabled=${busy}>Train</button>
        <button
          @click=${() => this.send({ type: this.phase === 'paused' ? 'resume' : 'pause' })}
          ?disabled=${!(this.phase === 'training' || this.phase === 'paused')}
        >
          ${this.phase === 'paused' ? 'Resume' : 'Pause'}
        </button>
        <button @click=${() => this.send({ type: 'stop' })} ?disabled=${!busy}>Stop</button>
      </div>
      ${
        this.compact
          ? html`<details class="more">
              <summary>More settings: optimizer, schedule, augmentation, data, seed</summary>
              <div class="controls">${more}</div>
            </details>`
          : nothing
      }
      <p class="recipe">
        ${this.recipeNote ? html`<span data-recipe>${this.recipeNote}.</span> ` : nothing}${this.compact ? nothing : "Augmentation (shift, rotation, scale; 0 = off) runs on the engine's backend, a fresh draw per image and epoch."}
      </p>
      <div
        class="bar"
        role="progressbar"
        aria-valuemin="0"
        aria-valuemax="100"
        aria-valuenow=${Math.round(100 * this.progress)}
      >
        <div style="width:${100 * this.progress}%"></div>
      </div>
      <div class="status ${this.phase === 'error' ? 'error' : ''}" data-phase=${this.phase}>${this.status}</div>
      <div class="charts">
        <div id="loss"></div>
        <div id="acc"></div>
      </div>
      ${
        this.epochsDone.length
          ? html`<table data-epochs>
              <thead>
                <tr>
                  <th>epoch</th>
                  <th>loss</th>
                  <th>train</th>
                  <th>validation</th>
                  <th>test</th>
                  <th>seconds</th>
                </tr>
              </thead>
              <tbody>
                ${this.epochsDone.map(
                  (r) =>
                    html`<tr>
                      <td>${r.epoch}</td>
                      <td>${r.loss.toFixed(4)}</td>
                      <td>${(100 * r.accuracy).toFixed(2)}%</td>
                      <td>${r.valAccuracy === null ? '–' : (100 * r.valAccuracy).toFixed(2) + '%'}</td>
                      <td data-test>${(100 * r.testAccuracy).toFixed(2)}%</td>
                      <td>${r.seconds.toFixed(1)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : nothing
      }
      <div class="saved">
        ${
          this.saved
            ? html`<span data-saved
                  >Kept in this browser:
                  ${this.saved.name}${this.saved.testAccuracy === null ? '' : `, ${(100 * this.saved.testAccuracy).toFixed(2)}% test accuracy`},
                  trained ${new Date(this.saved.savedAt).toLocaleString()}.</span
                >
                <button
                  ?disabled=${busy}
                  @click=${() => this.saved && download(this.saved.weights, `${this.saved.name}.safetensors`)}
                >
                  Download .safetensors
                </button>
                <button ?disabled=${busy} @click=${() => this.saved && this.evaluateWeights(this.saved.weights)}>
                  Evaluate it
                </button>`
            : html`<span>No trained model kept in this browser yet.</span>`
        }
        <label class="file"
          >Load weights (.safetensors)<input
            type="file"
            accept=".safetensors,application/octet-stream"
            ?disabled=${busy}
            aria-label="load weights"
            @change=${(e: Event) => this.loadFile(e)}
        /></label>
      </div>
      ${
        this.compact
          ? html`<details class="more">
              <summary>Confusion matrix and misclassified digits</summary>
              ${this.loaded ? this.renderEvaluation(this.loaded) : this.renderEvaluation(this.epochsDone.at(-1))}
            </details>`
          : this.loaded
            ? this.renderEvaluation(this.loaded)
            : this.renderEvaluation(this.epochsDone.at(-1))
      }
    `;
  }

  private renderEvaluation(last: { confusion: number[][]; mistakes: Mistake[] } | undefined) {
    if (!last) return nothing;
    const max = Math.max(1, ...last.confusion.flatMap((row, i) => row.filter((_, j) => j !== i)));
    return html`<div class="after">
      <div>
        <h4>Confusion matrix (test images; rows: true digit, columns: predicted)</h4>
        <table class="confusion" data-confusion>
          <thead>
            <tr>
              <th></th>
              ${last.confusion.map((_, j) => html`<th>${j}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${last.confusion.map(
              (row, i) =>
                html`<tr>
                  <th>${i}</th>
                  ${row.map((n, j) => {
                    const alpha = i === j ? 0 : Math.min(0.85, n / max);
                    return html`<td
                      style="background: rgba(224, 80, 60, ${alpha}); font-weight: ${i === j ? 600 : 400}"
                    >
                      ${n}
                    </td>`;
                  })}
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <div>
        <h4>Misclassified test digits (true → predicted)</h4>
        <div class="gallery" data-mistakes>
          ${
            last.mistakes.length
              ? last.mistakes.map(
                  (m) =>
                    html`<figure title="test image ${m.index}">
                      <img alt="a ${m.label} taken for a ${m.predicted}" src=${digitUrl(m.pixels)} />
                      <figcaption>${m.label} → ${m.predicted}</figcaption>
                    </figure>`,
                )
              : html`<p>none: every test image was classified correctly</p>`
          }
        </div>
      </div>
    </div>`;
  }
}

if (!customElements.get('convplay-train')) customElements.define('convplay-train', ConvplayTrain);
