// <convplay-train>: train a preset (or any spec) on MNIST or Fashion-MNIST with the API's `model.fit`: live curves,
// progress, each epoch's accuracy, the confusion matrix and mistakes (with class names), a look inside while it
// trains, the kept model (safetensors, TF.js, ONNX). Work: train/run.ts; settings: recipe.ts, settings.ts.

import { LitElement, html, nothing } from 'lit';
import { presetNames, presetSpec } from '../engine';
import { EngineStoppedError, type FitEpoch, type FitLook, type FitProgress, type FitRun } from '../api/index';
import { loadLastModel, saveLastModel, type Checkpoint, type SavedModel } from '../storage';
import './convplay-curves';
import { trainStyles } from './train/styles';
import { formStyles } from './form-styles';
import { readRecipe, recipeAugment, recipeNote, stateOf } from './train/recipe';
import type { AugmentSettings, Optimizer, Schedule, TrainState } from './train/recipe';
import { MnistData, engineFor, evaluateWeights, runSettings, trainMnist, type Evaluated } from './train/run';
import { chartConfigs, checkpointOffer, epochTable, evaluation, keptModel, stopNotice } from './train/results';
import { CheckpointKeeper, afterStop, crashNotice, unfinishedNotice } from './train/checkpoint';
import { QUICK_IMAGES, dataSetSelect, moreSettings, numberInput, readFile, readyNote, runSize } from './train/settings';
import { DATA_SETS, isDataSet } from '../datasets';
import type { ConvplayCurves } from './convplay-curves';

export type { AugmentSettings, TrainState };

/** The model-list value of a spec given by the page. */
const CUSTOM = '(custom)';

type Phase = 'idle' | 'loading' | 'training' | 'paused' | 'done' | 'error';

export class ConvplayTrain extends LitElement {
  static properties = {
    preset: { type: String },
    /** The data set: "mnist" (the default) or "fashion-mnist" (fetched when first trained on). */
    dataSet: { type: String, attribute: 'dataset' },
    epochs: { type: Number },
    batch: { type: Number },
    lr: { type: Number },
    trainImages: { type: Number, attribute: 'train-images' },
    testImages: { type: Number, attribute: 'test-images' },
    seed: { type: Number },
    backend: { type: String },
    activations: { type: String },
    compact: { type: Boolean, reflect: true },
    shaderF16: { state: true },
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
    crash: { state: true },
    offered: { state: true },
    stopNote: { state: true },
    halfTrained: { state: true },
  };

  declare preset: string;
  declare dataSet: string;
  declare epochs: number;
  declare batch: number;
  declare lr: number;
  declare trainImages: number;
  declare testImages: number;
  /** Seeds the initial weights, the shuffles, dropout and augmentation: the same seed, the same run. */
  declare seed: number;
  declare backend: string;
  /** "f32" (the default) or "f16" activations (a GPU with shader-f16: half their memory). */
  declare activations: 'f32' | 'f16';
  /** Whether the engine's GPU has shader-f16, once the engine is known (null before). */
  declare shaderF16: boolean | null;
  /** A smaller layout for a course page: model, epochs, batch, learning rate and the buttons in
   * view; the other settings and the confusion matrix and mistakes folded away; small charts. */
  declare compact: boolean;
  declare phase: Phase;
  declare status: string;
  declare progress: number;
  declare epochsDone: FitEpoch[];
  declare presets: string[];
  declare saved: SavedModel | null;
  declare loaded: Evaluated | null;
  /** What happened when the engine stopped under a run (or a run left unfinished by a reload). */
  declare crash: string;
  /** The checkpoint offered back after a crash or a reload. */
  declare offered: Checkpoint | null;
  /** What a stop kept (and what the pad reads with), in words; empty unless the run was stopped. */
  declare stopNote: string;
  /** The model of a run stopped before any epoch finished: kept only if the user asks. */
  declare halfTrained: { name: string; weights: Uint8Array } | null;
  /** The weights at the end of the run's last finished epoch. */
  private epochWeights: { epoch: number; weights: Uint8Array } | null = null;
  /** The last step reported, of how many. */
  private at = { step: 0, totalSteps: 0 };
  /** When the run was paused (performance.now()), or null: a pause does not count as time taken. */
  private pausedAt: number | null = null;
  private checkpoints = new CheckpointKeeper((m) => (this.status = `${this.status} — ${m}`));
  declare optimizer: Optimizer;
  declare schedule: Schedule;
  declare augment: AugmentSettings;
  /** What the preset recommends, in words. */
  declare recipeNote: string;
  /** The recipe's weight decay (undefined: the optimizer's default, AdamW 0.004). */
  weightDecay: number | undefined = undefined;
  validationSplit = 0.1;
  /** A spec given by the page (the model lab) instead of a preset: its JSON and name. */
  private custom: { json: string; name: string } | null = null;
  /** The digit to look inside the network with while training (28×28 u8). */
  private lookInput: Uint8Array | null = null;
  /** MNIST held in the shared engine's worker for this element. */
  private data: MnistData | null = null;
  /** The fit in progress, to pause, resume, stop or look with. */
  private run: FitRun | null = null;
  /** Ends the work in progress when the element leaves the page. */
  private abort: AbortController | null = null;
  /** Stop was pressed before the fit started. */
  private stopAsked = false;
  /** Names the work in progress: reports of an older one are ignored. */
  private token: object | null = null;
  private started = 0;
  private charts = chartConfigs(false);

  constructor() {
    super();
    this.preset = 'mnist-quick';
    this.dataSet = 'mnist';
    this.epochs = 1;
    this.batch = 32;
    this.lr = 0.003;
    this.optimizer = 'adam';
    this.schedule = 'onecycle';
    this.augment = { shift: 0, rotateDeg: 0, scale: 0 };
    this.recipeNote = '';
    this.trainImages = QUICK_IMAGES;
    this.testImages = 10000;
    this.seed = 1;
    this.backend = 'auto';
    this.activations = 'f32';
    this.shaderF16 = null;
    this.compact = false;
    this.phase = 'idle';
    this.status = '';
    this.progress = 0;
    this.epochsDone = [];
    this.presets = [];
    this.saved = null;
    this.loaded = null;
    this.crash = '';
    this.offered = null;
    this.stopNote = '';
    this.halfTrained = null;
  }

  static styles = [formStyles, trainStyles];

  private markReady: () => void = () => {};
  /** Resolves once the presets are listed and the recipe applied (then `configure` may follow). */
  readonly ready: Promise<void> = new Promise((r) => (this.markReady = r));

  connectedCallback(): void {
    super.connectedCallback();
    void this.init();
  }

  /** Lists the presets, applies the recipe and reads the kept model. */
  private async init(): Promise<void> {
    this.presets = await presetNames();
    // The preset's recipe fills in what the page's attributes did not set.
    const given = new Set(['epochs', 'batch', 'lr'].filter((a) => this.hasAttribute(a)));
    await this.applyRecipe(given);
    this.markReady();
    this.saved = (await loadLastModel().catch(() => undefined)) ?? null;
    const offered = await this.checkpoints.offered();
    if (offered && this.phase === 'idle') {
      this.offered = offered;
      this.crash = unfinishedNotice(offered);
    }
  }

  protected willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('compact')) this.charts = chartConfigs(this.compact);
  }

  /** The settings as they stand, for a shareable URL. */
  get settings(): TrainState {
    const custom = this.preset === CUSTOM;
    return { ...stateOf(this), preset: custom ? null : this.preset, spec: custom ? (this.custom?.json ?? null) : null };
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
    if (s.dataset !== undefined) this.dataSet = s.dataset;
    if (s.activations !== undefined) this.activations = s.activations;
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.token = null;
    this.abort?.abort();
    this.abort = null;
    this.run = null;
    this.data?.dispose();
    this.data = null;
  }

  /** The JSON of the chosen model: a preset's, or the custom spec. */
  private async specText(): Promise<string> {
    return this.preset === CUSTOM ? (this.custom?.json ?? '') : presetSpec(this.preset);
  }

  /** Takes the preset's recommended settings (its spec's "training"), except those in `keep`. */
  async applyRecipe(keep: Set<string> = new Set()): Promise<void> {
    const recipe = readRecipe(await this.specText().catch(() => ''));
    if (!recipe) return; // an unknown preset is reported when training starts
    if (recipe.epochs && !keep.has('epochs')) this.epochs = recipe.epochs;
    if (recipe.batch && !keep.has('batch')) this.batch = recipe.batch;
    if (recipe.lr && !keep.has('lr')) this.lr = recipe.lr;
    if (recipe.optimizer) this.optimizer = recipe.optimizer;
    if (recipe.schedule) this.schedule = recipe.schedule;
    this.weightDecay = recipe.weight_decay;
    this.augment = recipeAugment(recipe);
    this.recipeNote = recipeNote(this.modelName, recipe);
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
    this.run?.look(pixels);
  }

  private curves(which: 'loss' | 'acc'): ConvplayCurves | null {
    return this.renderRoot.querySelector(`convplay-curves[data-curve="${which}"]`);
  }

  /** Points on the loss curve so far (one per progress report). */
  get curvePoints(): number {
    return this.curves('loss')?.rows ?? 0;
  }

  /** The loss values plotted so far. */
  get losses(): number[] {
    return this.curves('loss')?.values(0) ?? [];
  }

  /** Starts new work: older reports are ignored from now on. */
  private begin(status: string): { token: object; signal: AbortSignal } {
    this.abort?.abort();
    this.abort = new AbortController();
    this.run = null;
    this.stopAsked = false;
    this.at = { step: 0, totalSteps: 0 };
    const token = {};
    this.token = token;
    this.phase = 'loading';
    this.status = status;
    return { token, signal: this.abort.signal };
  }

  /** The shared engine's data set (MNIST unless chosen) for this element, or null after reporting why there is none. */
  private async mnist(): Promise<{ data: MnistData; cpu: boolean } | null> {
    try {
      if (!isDataSet(this.dataSet)) throw new Error(`unknown data set "${this.dataSet}": use mnist or fashion-mnist`);
      const { engine, cpu } = await engineFor(this.backend, await this.specText().catch(() => ''), this.batch);
      this.shaderF16 = engine.info.kind === 'gpu' && engine.info.shaderF16;
      const same = this.data?.engine === engine && this.data.dataset === this.dataSet;
      if (!same) this.data?.dispose();
      if (!same || !this.data) this.data = new MnistData(engine, this.dataSet);
      return { data: this.data, cpu };
    } catch (e) {
      this.fail((e as Error).message);
      return null;
    }
  }

  /** Trains with the settings as they stand (what the Train button does). */
  async start(): Promise<void> {
    const title = isDataSet(this.dataSet) ? DATA_SETS[this.dataSet].title : this.dataSet;
    const { token, signal } = this.begin(`loading ${title} and building the model…`);
    this.curves('loss')?.clear();
    this.curves('acc')?.clear();
    this.epochsDone = [];
    this.loaded = null;
    this.progress = 0;
    this.crash = '';
    this.offered = null;
    this.stopNote = '';
    this.halfTrained = null;
    this.epochWeights = null;
    this.pausedAt = null;
    const spec = await this.specText().catch(() => '');
    if (!spec) {
      this.fail(`unknown preset "${this.preset}"`);
      return;
    }
    const mnist = await this.mnist();
    if (!mnist || token !== this.token) return;
    const settings = runSettings(this, spec, mnist.cpu, this.lookInput);
    const mine =
      <T>(f: (x: T) => void) =>
      (x: T) => {
        if (token === this.token) f(x);
      };
    try {
      const out = await trainMnist(
        mnist.data,
        settings,
        {
          fetching: mine(([status, fraction]: [string, number]) => ([this.status, this.progress] = [status, fraction])),
          ready: mine((r) => {
            this.phase = 'training';
            const n = (k: number) => k.toLocaleString('en');
            this.status = `training ${this.modelName} (${n(r.params)} parameters) on ${r.backend === 'gpu' ? 'WebGPU' : 'the CPU'}${settings.activations === 'f16' ? ' with f16 activations' : ''}: ${n(r.train)} training, ${n(r.val)} validation, ${n(r.test)} test images`;
            this.started = performance.now();
          }),
          started: mine((run: FitRun) => {
            this.run = run;
            if (this.stopAsked) run.stop();
          }),
          progress: mine((p: FitProgress) => this.onProgress(p)),
          epoch: mine((e: FitEpoch) => this.onEpoch(e)),
          checkpoint: mine((c) => {
            if (c.reason === 'epoch') this.epochWeights = { epoch: c.epoch, weights: c.weights };
            this.checkpoints.keep(this.modelName, c, this.epochsDone, settings.testImages);
          }),
          look: mine((l: FitLook) =>
            this.dispatchEvent(new CustomEvent('inside', { detail: l, bubbles: true, composed: true })),
          ),
        },
        signal,
      );
      if (token !== this.token) return;
      this.finish(out.stopped, out.weights);
    } catch (e) {
      if (token !== this.token) return;
      this.fail((e as Error).message);
      if (e instanceof EngineStoppedError) await this.onCrash(e.reason);
    }
  }

  /** The engine stopped under the run: say so and offer the last checkpoint back. */
  private async onCrash(reason: string): Promise<void> {
    const offered = await this.checkpoints.offered();
    this.offered = offered;
    this.crash = crashNotice(reason, offered);
  }

  /** Takes the offered checkpoint back (its model becomes the kept model, evaluated on the
   * test images), or discards it (null). */
  private async takeOffer(c: Checkpoint | null): Promise<void> {
    this.offered = null;
    this.crash = '';
    if (c) {
      this.epochsDone = c.epochs;
      const testAccuracy = c.epochs.at(-1)?.testAccuracy ?? null;
      this.saved = { name: c.name, testAccuracy, savedAt: c.savedAt, weights: c.weights };
      await saveLastModel(this.saved).catch((e) => this.fail(`could not keep the model: ${(e as Error).message}`));
    }
    this.checkpoints.clear();
    if (c) await this.evaluateWeights(c.weights, c.testImages);
  }

  private onProgress(p: FitProgress): void {
    this.phase = 'training';
    this.progress = p.step / p.totalSteps;
    this.at = { step: p.step, totalSteps: p.totalSteps };
    const elapsed = this.elapsed();
    const left = this.progress > 0 ? (elapsed * (1 - this.progress)) / this.progress : 0;
    this.status = `epoch ${p.epoch}, step ${p.step} of ${p.totalSteps} — loss ${p.loss.toFixed(4)}, accuracy ${(100 * p.accuracy).toFixed(1)}% — ${Math.round(p.imagesPerSec).toLocaleString('en')} img/s — about ${Math.ceil(left)} s left`;
    this.curves('loss')?.add(p.step, [p.loss]);
    this.curves('acc')?.add(p.step, [p.accuracy, null, null]);
    this.dispatchEvent(new CustomEvent('progress', { detail: p, bubbles: true, composed: true }));
  }

  private onEpoch(e: FitEpoch): void {
    this.epochsDone = [...this.epochsDone, e];
    const acc = this.curves('acc');
    acc?.setLast(1, e.valAccuracy);
    acc?.setLast(2, e.testAccuracy);
  }

  /** Seconds the run has trained, pauses left out. */
  private elapsed(): number {
    return ((this.pausedAt ?? performance.now()) - this.started) / 1000;
  }

  /** Keeps a model in this browser; the page reads with it (the `model-kept` event). */
  private keep(saved: SavedModel): void {
    this.saved = saved;
    saveLastModel(saved).then(
      () => this.checkpoints.clear(),
      (e) => this.fail(`could not keep the model in this browser: ${(e as Error).message}`),
    );
    this.dispatchEvent(new CustomEvent('model-kept', { detail: saved, bubbles: true, composed: true }));
  }

  /** The run ended. A finished run's model is kept; a stopped run keeps its last finished
   * epoch's model, or (none finished) nothing unless the user asks (`keepHalfTrained`). */
  private finish(stopped: boolean, weights: Uint8Array): void {
    const last = this.epochsDone.at(-1);
    const savedAt = new Date().toISOString();
    if (!stopped) {
      this.keep({ name: this.modelName, testAccuracy: last ? last.testAccuracy : null, savedAt, weights });
    } else {
      const r = afterStop(this.modelName, this.epochWeights, this.epochsDone, this.at, weights);
      this.stopNote = r.note;
      this.halfTrained = r.halfTrained;
      if (r.kept) this.keep(r.kept);
      else this.checkpoints.clear();
    }
    this.phase = 'done';
    this.progress = stopped ? this.progress : 1;
    this.status = stopped ? 'stopped' : `done in ${this.elapsed().toFixed(1)} s`;
    this.run = null;
    this.dispatchEvent(new CustomEvent('done', { detail: this.epochsDone, bubbles: true, composed: true }));
  }

  /** Keeps the model of a run stopped before any epoch finished, as the user asked. */
  private keepHalfTrained(): void {
    const h = this.halfTrained;
    if (!h) return;
    this.halfTrained = null;
    this.keep({ name: h.name, testAccuracy: null, savedAt: new Date().toISOString(), weights: h.weights });
    this.stopNote = `${this.stopNote} Kept on request: ${h.name}; the drawing pad reads with it.`;
  }

  private pause(): void {
    const run = this.run;
    const token = this.token;
    if (!run) return;
    void run.pause().then(() => {
      if (token !== this.token || run.ended || this.phase !== 'training') return;
      this.pausedAt = performance.now();
      this.phase = 'paused';
      this.status = `paused — ${this.status}`;
    });
  }

  private resume(): void {
    if (this.pausedAt !== null) this.started += performance.now() - this.pausedAt;
    this.pausedAt = null;
    this.run?.resume();
  }

  private stop(): void {
    this.stopAsked = true;
    this.run?.stop();
  }

  /** Loads a weights file on the shared engine and evaluates it on the (first `count`) test images. */
  async evaluateWeights(bytes: Uint8Array, count = this.testImages): Promise<void> {
    const { token } = this.begin('loading the weights and evaluating them on the test images…');
    this.loaded = null;
    const mnist = await this.mnist();
    if (!mnist || token !== this.token) return;
    try {
      const r = await evaluateWeights(mnist.data, bytes, Math.max(1, Math.floor(count)), mnist.cpu);
      if (token !== this.token) return;
      this.loaded = r;
      this.phase = 'done';
      this.status = `loaded ${r.name} (${r.params.toLocaleString('en')} parameters): test accuracy ${(100 * r.testAccuracy).toFixed(2)}% on ${r.testImages.toLocaleString('en')} images`;
    } catch (e) {
      if (token === this.token) this.fail((e as Error).message);
    }
  }

  /** The class names of what the results show: the loaded model's, else the last run's data set's. */
  private get classes(): string[] {
    return this.loaded?.labels ?? DATA_SETS[this.data?.dataset ?? 'mnist'].classes;
  }

  private fail(message: string): void {
    this.phase = 'error';
    this.status = message;
    this.dispatchEvent(new CustomEvent('train-error', { detail: message, bubbles: true, composed: true }));
  }

  render() {
    const busy = this.phase === 'loading' || this.phase === 'training' || this.phase === 'paused';
    const num = (label: string, value: number, set: (v: number) => void, step = '1') =>
      numberInput(label, value, set, busy, step);
    const more = moreSettings(this, busy);
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
        ${dataSetSelect(this, busy)} ${num('epochs', this.epochs, (v) => (this.epochs = v))} ${num('batch', this.batch, (v) => (this.batch = v))}
        ${num('learning rate', this.lr, (v) => (this.lr = v), 'any')} ${this.compact ? nothing : more}
        <button @click=${() => void this.start()} ?disabled=${busy}>Train</button>
        <button
          @click=${() => (this.phase === 'paused' ? this.resume() : this.pause())}
          ?disabled=${!(this.phase === 'training' || this.phase === 'paused')}
        >
          ${this.phase === 'paused' ? 'Resume' : 'Pause'}
        </button>
        <button @click=${() => this.stop()} ?disabled=${!busy}>Stop</button>
      </div>
      ${runSize(this, busy)}
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
        aria-label="training progress"
        aria-valuemin="0"
        aria-valuemax="100"
        aria-valuenow=${Math.round(100 * this.progress)}
      >
        <div style="width:${100 * this.progress}%"></div>
      </div>
      <div class="status ${this.phase === 'error' ? 'error' : ''}" data-phase=${this.phase}>${this.status || readyNote(this)}</div>
      <div class="charts">
        <convplay-curves data-curve="loss" .config=${this.charts.loss}></convplay-curves>
        <convplay-curves data-curve="acc" .config=${this.charts.acc}></convplay-curves>
      </div>
      ${stopNotice(this.stopNote, this.halfTrained, () => this.keepHalfTrained())}
      ${checkpointOffer(this.crash, this.offered, busy, (c) => void this.takeOffer(c))}
      ${epochTable(this.epochsDone)}
      ${keptModel(this.saved, busy, {
        evaluate: (bytes) => void this.evaluateWeights(bytes),
        load: (e) => readFile(e, (bytes) => void this.evaluateWeights(bytes)),
        exported: (done) => void done.catch((e: Error) => (this.status = `export failed: ${e.message}`)),
      })}
      ${
        this.compact
          ? html`<details class="more">
              <summary>Confusion matrix and misclassified digits</summary>
              ${evaluation(this.loaded ?? this.epochsDone.at(-1)?.test, this.classes)}
            </details>`
          : evaluation(this.loaded ?? this.epochsDone.at(-1)?.test, this.classes)
      }
    `;
  }
}

if (!customElements.get('convplay-train')) customElements.define('convplay-train', ConvplayTrain);
