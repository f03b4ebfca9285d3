// <convplay-transfer>: teach a pretrained base (EfficientNet-Lite0, ImageNet) new classes in
// the tab, with the steps of the exercise as steps on the page:
//   1. classes and their images (webcam, hold to record; files; drag-and-drop),
//   2. a seeded train/validation/test split, 3. augmentation of the training split,
//   4. features from the frozen base, computed once per image and cached (with a check of
//      the prepared inputs' statistics against what the base expects),
//   5. a new head trained on the features (curves, test accuracy, confusion matrix),
//   6. fine-tuning: unfreeze the top blocks (batch norms stay in inference mode) at a lower
//      learning rate, with the accuracy before and after,
//   7. the new model: try it on a photo, export it (safetensors, int8), load one back; the
//      last one is kept in this browser.
//
// This file is the element: its state, the engine and the base, and the actions the steps'
// buttons call. The rest lives in ./transfer/: the photos (photos.ts) and what is kept in
// IndexedDB (store.ts); the split, augmentation and feature cache (features.ts); the head
// (head.ts), fine-tuning (fine-tune.ts) and the new model (new-model.ts); each step's template
// (step-*.ts) and the styles. The curves and confusion matrices are the shared <convplay-curves>
// and <convplay-confusion>. The spec surgery and other plain functions are in ../transfer.ts,
// the camera in ../camera.ts.

import { LitElement, html, nothing } from 'lit';
import { sharedEngine, wantsCpu, type ConvPlay, type FitEpoch, type Model } from '../api/index';
import { parseBackendChoice } from '../engine';
import { assetUrl } from '../assets';
import { download, downloadStatus } from '../download';
import { Camera } from '../camera';
import {
  planFor,
  type AugmentOptions,
  type HeadOptions,
  type Normalisation,
  type Plan,
  type SpecJson,
} from '../transfer';
import {
  MAX_CLASSES,
  MIN_CLASSES,
  className,
  classProblems,
  decodeImages,
  freshClasses,
  releaseSamples,
  type Sample,
  type TaughtClass,
} from './transfer/photos';
import { PhotoStore, forgetModel, keepModel, keptModel, type KeptModel } from './transfer/store';
import { BASE_BATCH, FeatureCache, type Sets } from './transfer/features';
import { headEpochStatus, trainHead, type HeadResult } from './transfer/head';
import { fineEpochStatus, fineProgressStatus, fineTune, type FineResult } from './transfer/fine-tune';
import { assemble, classify, exportModel, loadNewModel } from './transfer/new-model';
import type { ConvplayCurves } from './convplay-curves';
import { transferStyles } from './transfer/styles';
import { classesStep } from './transfer/step-classes';
import { splitStep } from './transfer/step-split';
import { augmentStep } from './transfer/step-augment';
import { featuresStep } from './transfer/step-features';
import { headStep } from './transfer/step-head';
import { fineTuneStep } from './transfer/step-fine-tune';
import { useStep } from './transfer/step-use';

/** The two training steps, each with its chart of curves. */
type Step = 'head' | 'fine';

interface Base {
  model: Model;
  spec: SpecJson;
  plan: Plan;
}

export class ConvplayTransfer extends LitElement {
  static properties = {
    model: { type: String },
    backend: { type: String },
    classes: { state: true },
    status: { state: true },
    fetched: { state: true },
    problem: { state: true },
    camera: { state: true },
    fractions: { state: true },
    seed: { state: true },
    copies: { state: true },
    augment: { state: true },
    normalisation: { state: true },
    inputStats: { state: true },
    featuresReady: { state: true },
    head: { state: true },
    headEpochs: { state: true },
    headLr: { state: true },
    headResult: { state: true },
    unfreeze: { state: true },
    fineEpochs: { state: true },
    fineLr: { state: true },
    fineResult: { state: true },
    charted: { state: true },
    busy: { state: true },
    taught: { state: true },
    trial: { state: true },
    saved: { state: true },
    basePlan: { state: true },
  };

  declare model: string;
  declare backend: string;
  declare classes: TaughtClass[];
  declare status: string;
  /** How much of the base's file has arrived (0–1) while it downloads, else null. */
  declare fetched: number | null;
  declare problem: string;
  declare camera: boolean;
  declare fractions: [number, number, number];
  declare seed: number;
  declare copies: number;
  declare augment: AugmentOptions;
  declare normalisation: Normalisation;
  declare inputStats: { mean: number; std: number } | null;
  declare featuresReady: boolean;
  declare head: Omit<HeadOptions, 'classes'>;
  declare headEpochs: number;
  declare headLr: number;
  declare headResult: HeadResult | null;
  /** The top-level index of the lowest block fine-tuning trains (-1 until the base is loaded). */
  declare unfreeze: number;
  declare fineEpochs: number;
  declare fineLr: number;
  declare fineResult: FineResult | null;
  /** Whether each training step's chart is shown (from its first epoch on). */
  declare charted: Record<Step, boolean>;
  declare busy: boolean;
  /** The new model in use: labels, and where it came from. */
  declare taught: { labels: string[]; origin: string; testAccuracy: number | null } | null;
  declare trial: { label: string; p: number }[] | null;
  declare saved: KeptModel | null;
  /** Where the base is cut, once it is loaded. */
  declare basePlan: Plan | null;

  private cam = new Camera();
  private store = new PhotoStore();
  private features = new FeatureCache();
  private engine: Promise<ConvPlay> | null = null;
  private base: Promise<Base> | null = null;
  private headModel: Model | null = null;
  private topModel: Model | null = null;
  private taughtModel: Model | null = null;
  /** The data the last head training used (features of each part, with labels). */
  private sets: Sets | null = null;

  constructor() {
    super();
    this.model = '';
    this.backend = 'auto';
    this.classes = freshClasses();
    this.status = '';
    this.fetched = null;
    this.problem = '';
    this.camera = false;
    this.fractions = [0.7, 0.15, 0.15];
    this.seed = 1;
    this.copies = 2;
    this.augment = { minCrop: 0.7, flip: true, brightness: 0.25 };
    this.normalisation = 'model';
    this.inputStats = null;
    this.featuresReady = false;
    this.head = { hidden: 0, dropout: 0.2 };
    this.headEpochs = 30;
    this.headLr = 1e-3;
    this.headResult = null;
    this.unfreeze = -1;
    this.fineEpochs = 3;
    this.fineLr = 1e-4;
    this.fineResult = null;
    this.charted = { head: false, fine: false };
    this.busy = false;
    this.taught = null;
    this.trial = null;
    this.saved = null;
    this.basePlan = null;
  }

  static styles = transferStyles;

  connectedCallback(): void {
    super.connectedCallback();
    void this.restore();
    void keptModel()
      .then((s) => {
        if (s && !this.taught) this.saved = s;
      })
      .catch(() => {});
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopCamera();
    for (const m of [this.headModel, this.topModel, this.taughtModel]) void m?.dispose().catch(() => {});
    void this.base?.then((b) => b.model.dispose()).catch(() => {});
    this.base = null;
    this.basePlan = null;
  }

  // ---- the engine and the base ------------------------------------------------------------

  private getEngine(): Promise<ConvPlay> {
    this.engine ??= sharedEngine().catch((e: unknown) => {
      this.engine = null;
      throw e;
    });
    return this.engine;
  }

  private cpu(engine: ConvPlay): boolean {
    return wantsCpu(engine, parseBackendChoice(this.backend));
  }

  private loadBase(): Promise<Base> {
    this.base ??= (async () => {
      this.status = 'loading the base, EfficientNet-Lite0 (int8, 5 MB)…';
      const engine = await this.getEngine();
      const url = this.model
        ? new URL(this.model, document.baseURI).href
        : assetUrl('models/efficientnet-lite0-int8.safetensors');
      const weights = await download(url, (got, total) => {
        this.fetched = total ? got / total : null;
        this.status = downloadStatus('EfficientNet-Lite0', got, total);
      }).finally(() => (this.fetched = null));
      const model = await engine.model({ weights }, { batch: BASE_BATCH, cpu: this.cpu(engine) });
      const spec = JSON.parse(model.info.spec) as SpecJson;
      const plan = planFor(spec, await model.summary(), model.info.layerNames);
      if (this.unfreeze < 0) this.unfreeze = plan.points[plan.points.length - 1].index;
      this.basePlan = plan;
      return { model, spec, plan };
    })().catch((e: unknown) => {
      this.base = null;
      throw e;
    });
    return this.base;
  }

  private headOptions(): HeadOptions {
    return { classes: this.classes.length, ...this.head };
  }

  // ---- step 1: classes and images ---------------------------------------------------------

  /** Forgets what was computed from the photos and settings (a change makes it stale). */
  invalidate(): void {
    this.featuresReady = false;
    this.headResult = null;
    this.fineResult = null;
    this.sets = null;
  }

  private setClasses(c: TaughtClass[]): void {
    this.classes = c;
    this.invalidate();
    this.persist();
  }

  /** Keeps the classes and photos in IndexedDB (a moment after the last change). */
  private persist(): void {
    this.store.save(this.classes, (message) => (this.problem = message));
  }

  /** Brings back the classes and photos of the last visit, unless photos were added meanwhile. */
  private async restore(): Promise<void> {
    if (this.classes.some((c) => c.samples.length)) return;
    const kept = await this.store.restore();
    if (!kept) return;
    if (this.classes.some((c) => c.samples.length)) {
      kept.classes.forEach((c) => releaseSamples(c.samples));
      return;
    }
    this.classes = kept.classes;
    this.invalidate();
    const n = kept.count;
    if (n) this.status = `${n} photo${n === 1 ? '' : 's'} in ${kept.classes.length} classes kept from your last visit`;
  }

  /** Empties every class, forgets the kept photos, and starts again with two classes. */
  async startOver(): Promise<void> {
    this.classes.forEach((c) => this.release(c.samples));
    this.setClasses(freshClasses());
    this.status = '';
    this.problem = '';
    // Nothing to keep: clearing drops the pending save instead of writing two empty classes.
    await this.store.clear();
  }

  /** Adds images (files, blobs, canvases) to class `k`; files that are not images are named in an error. */
  async addImages(k: number, items: (Blob | HTMLCanvasElement | ImageBitmap)[], source: string): Promise<void> {
    const { added, bad } = await decodeImages(items, source);
    if (added.length) {
      this.setClasses(this.classes.map((c, i) => (i === k ? { ...c, samples: [...c.samples, ...added] } : c)));
    }
    this.problem = bad.length
      ? `${bad.join(', ')}: not an image this browser can decode; use PNG, JPEG, GIF or WebP files`
      : '';
  }

  addClass(): void {
    if (this.classes.length >= MAX_CLASSES) return;
    this.setClasses([...this.classes, { name: className(this.classes.length), samples: [] }]);
  }

  removeClass(k: number): void {
    if (this.classes.length <= MIN_CLASSES) return;
    this.release(this.classes[k].samples);
    this.setClasses(this.classes.filter((_, i) => i !== k));
  }

  clearClass(k: number): void {
    this.release(this.classes[k].samples);
    this.setClasses(this.classes.map((c, i) => (i === k ? { ...c, samples: [] } : c)));
  }

  rename(k: number, name: string): void {
    this.classes = this.classes.map((c, i) => (i === k ? { ...c, name } : c));
    this.persist();
  }

  private release(samples: Sample[]): void {
    this.features.forget(samples);
    releaseSamples(samples);
  }

  async startCamera(): Promise<void> {
    await this.cam.open(this, 'add image files');
  }

  stopCamera(): void {
    this.cam.close(this);
  }

  /** The camera's current frame, or null. */
  frame(): HTMLCanvasElement | null {
    return Camera.frame(this.renderRoot.querySelector('video'));
  }

  /** Hold to record: a frame every 200 ms into class k while the button is held. */
  startRecording(k: number): void {
    this.recordingClass = k;
    this.cam.startRecording(
      () => this.renderRoot.querySelector('video'),
      (f) => void this.addImages(k, [f], 'camera'),
    );
  }

  /** Class k's recording ends (a button losing focus); without k, any recording. Pressing
   * another class's button blurs the first one after the new recording has started. */
  stopRecording(k?: number): void {
    if (k !== undefined && k !== this.recordingClass) return;
    this.recordingClass = null;
    this.cam.stopRecording();
  }

  /** The class being recorded into, or null. */
  private recordingClass: number | null = null;

  // ---- steps 2–4: split, augment, features ------------------------------------------------

  /** Step 4: base outputs for every image (and the augmented copies of training images),
   * from the cache where present; then the three sets. */
  async extract(): Promise<void> {
    const problems = classProblems(this.classes);
    if (problems.length) {
      this.problem = `Before extracting features: ${problems.join('; ')}.`;
      return;
    }
    this.problem = '';
    this.busy = true;
    try {
      const { model, plan } = await this.loadBase();
      const r = await this.features.extract(model, plan, this.classes, this, this.inputStats, (s) => (this.status = s));
      if (r.inputStats) this.inputStats = r.inputStats;
      this.sets = r.sets;
      this.featuresReady = true;
      this.headResult = null;
      this.fineResult = null;
      const { train, val, test } = r.sets;
      this.status = `features ready: ${r.photos} photos and ${r.copies} augmented copies (${train.labels.length} for training, ${val.labels.length} validation, ${test.labels.length} test)`;
    } catch (e) {
      this.problem = (e as Error).message;
      this.status = '';
    } finally {
      this.busy = false;
    }
  }

  // ---- steps 5 and 6: the head, fine-tuning ----------------------------------------------------

  async trainHead(): Promise<void> {
    if (!this.sets) return;
    this.problem = '';
    this.busy = true;
    try {
      const engine = await this.getEngine();
      const { plan } = await this.loadBase();
      await this.headModel?.dispose();
      this.headModel = null;
      this.curves('head')?.clear();
      const settings = { head: this.headOptions(), epochs: this.headEpochs, lr: this.headLr, seed: this.seed };
      const { model, result } = await trainHead(
        engine,
        plan,
        this.sets,
        { ...settings, cpu: this.cpu(engine) },
        (e) => {
          this.plot('head', e);
          this.status = headEpochStatus(e, settings.epochs);
        },
      );
      this.headModel = model;
      this.headResult = result;
      this.fineResult = null;
      await this.useTrained(model, `a new head on the frozen base`, result.test.accuracy);
    } catch (e) {
      this.problem = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }

  async fineTune(): Promise<void> {
    if (!this.sets || !this.headModel) return;
    this.problem = '';
    this.busy = true;
    try {
      const engine = await this.getEngine();
      const base = await this.loadBase();
      await this.topModel?.dispose();
      this.topModel = null;
      this.curves('fine')?.clear();
      const from = this.unfreeze;
      const settings = { head: this.headOptions(), from, epochs: this.fineEpochs, lr: this.fineLr, seed: this.seed };
      const { model, result } = await fineTune(
        engine,
        base,
        this.headModel,
        this.sets,
        { ...settings, cpu: this.cpu(engine) },
        {
          epoch: (e) => {
            this.plot('fine', e);
            this.status = fineEpochStatus(e, settings.epochs);
          },
          progress: (p) => (this.status = fineProgressStatus(p)),
        },
      );
      this.topModel = model;
      this.fineResult = result;
      const name = base.plan.points.find((p) => p.index === from)?.name ?? 'the top';
      await this.useTrained(model, `fine-tuned from ${name}`, result.after.accuracy);
    } catch (e) {
      this.problem = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }

  /** The chart of a training step's curves. */
  private curves(which: Step): ConvplayCurves | null {
    return this.renderRoot.querySelector(`convplay-curves[data-plot="${which}"]`);
  }

  /** Adds an epoch to a step's chart, and shows the chart. */
  private plot(which: Step, e: FitEpoch): void {
    this.curves(which)?.add(e.epoch, [e.loss, e.accuracy, e.valAccuracy]);
    if (!this.charted[which]) this.charted = { ...this.charted, [which]: true };
  }

  // ---- step 7: the new model ----------------------------------------------------------------

  /** Puts the new model together from the base and `trained`, uses it, and keeps it in this browser. */
  private async useTrained(trained: Model, origin: string, testAccuracy: number): Promise<void> {
    const engine = await this.getEngine();
    const base = await this.loadBase();
    const labels = this.classes.map((c) => c.name.trim());
    this.status = 'putting the new model together…';
    const full = await assemble(engine, base, trained, this.headOptions(), labels, this.cpu(engine));
    await this.taughtModel?.dispose();
    this.taughtModel = full;
    this.taught = { labels, origin, testAccuracy: Number.isNaN(testAccuracy) ? null : testAccuracy };
    this.trial = null;
    this.status = '';
    try {
      const weights = await full.save({ format: 'int8' });
      const saved = { labels, testAccuracy: this.taught.testAccuracy, savedAt: new Date().toISOString(), weights };
      await keepModel(saved);
      this.saved = saved;
    } catch (e) {
      this.problem = `the new model works but could not be kept in this browser: ${(e as Error).message}`;
    }
  }

  /** Uses a ConvPlay weights file (bytes) as the new model. */
  async useWeights(bytes: Uint8Array, origin: string): Promise<void> {
    this.problem = '';
    try {
      const engine = await this.getEngine();
      const m = await loadNewModel(engine, bytes, origin, this.cpu(engine));
      await this.taughtModel?.dispose();
      this.taughtModel = m;
      this.taught = { labels: m.info.labels, origin, testAccuracy: null };
      this.trial = null;
    } catch (e) {
      this.problem = (e as Error).message;
    }
  }

  /** Classifies a photo with the new model; the reading lands in `trial`. */
  async tryImage(item: Blob | HTMLCanvasElement | ImageBitmap, source: string): Promise<void> {
    if (!this.taughtModel) return;
    this.problem = '';
    try {
      this.trial = await classify(this.taughtModel, item, source);
    } catch (e) {
      this.problem = (e as Error).message;
    }
  }

  async exportModel(format: 'safetensors' | 'onnx' = 'safetensors'): Promise<void> {
    if (!this.taughtModel) return;
    try {
      await exportModel(this.taughtModel, this.taught?.labels ?? [], format);
    } catch (e) {
      this.problem = (e as Error).message;
    }
  }

  /** Forgets the model kept in this browser. */
  async forget(): Promise<void> {
    await forgetModel();
    this.saved = null;
  }

  // ---- rendering ----------------------------------------------------------------------------

  render() {
    const total = this.classes.reduce((s, c) => s + c.samples.length, 0);
    return html`
      <ol class="steps">
        <li class=${total ? 'done' : ''}>
          <h3>1. Classes and images</h3>
          ${classesStep(this)}
        </li>
        <li class=${total ? 'done' : ''}>
          <h3>2. Split</h3>
          ${splitStep(this)}
        </li>
        <li class=${this.copies && total ? 'done' : ''}>
          <h3>3. Augment the training split</h3>
          ${augmentStep(this)}
        </li>
        <li class=${this.featuresReady ? 'done' : ''}>
          <h3>4. Features from the frozen base</h3>
          ${featuresStep(this)}
        </li>
        <li class=${this.headResult ? 'done' : ''}>
          <h3>5. Train a new head</h3>
          ${headStep(this)}
        </li>
        <li class=${this.fineResult ? 'done' : ''}>
          <h3>6. Fine-tune the top blocks</h3>
          ${fineTuneStep(this)}
        </li>
        <li class=${this.taught ? 'done' : ''}>
          <h3>7. Use, export, load</h3>
          ${useStep(this)}
        </li>
      </ol>
      ${this.status ? html`<p class="note" data-status aria-live="polite">${this.status}</p>` : nothing}
      ${this.fetched !== null ? html`<progress max="1" .value=${this.fetched} aria-label="downloading EfficientNet-Lite0"></progress>` : nothing}
      ${this.problem ? html`<p class="error" data-problem role="alert">${this.problem}</p>` : nothing}
    `;
  }
}

if (!customElements.get('convplay-transfer')) customElements.define('convplay-transfer', ConvplayTransfer);
