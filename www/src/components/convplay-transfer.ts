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

import { LitElement, css, html, nothing, unsafeCSS } from 'lit';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import { sharedEngine, wantsCpu, type ConvPlay, type FitEpoch, type Model } from '../api/index';
import { parseBackendChoice } from '../engine';
import { assetUrl } from '../assets';
import { download } from '../storage';
import { Camera } from '../camera';
import { get, set, del } from 'idb-keyval';
import {
  NORMALISATIONS,
  checkStats,
  confusion,
  drawCrop,
  fullSpec,
  headSpec,
  planFor,
  rng,
  split,
  stats,
  toValues,
  topSpec,
  type AugmentOptions,
  type HeadOptions,
  type Normalisation,
  type Part,
  type Plan,
  type SpecJson,
} from '../transfer';

interface Sample {
  id: number;
  image: ImageBitmap;
  thumb: string;
  source: string;
  /** The kept image as a JPEG, for IndexedDB. */
  jpeg: Blob;
}

/** The classes and their photos as kept in IndexedDB between visits. */
interface SavedSet {
  classes: { name: string; samples: { source: string; jpeg: Blob }[] }[];
}

interface TaughtClass {
  name: string;
  samples: Sample[];
}

/** Cached base outputs of one image variant: the pooled features and the fine-tuning input. */
interface Cached {
  pooled: Float32Array;
  cut: Float32Array;
}

interface Outcome {
  accuracy: number;
  matrix: number[][];
}

interface SavedTaught {
  labels: string[];
  testAccuracy: number | null;
  savedAt: string;
  weights: Uint8Array;
}

const STORE_KEY = 'convplay:taught-model';
const SET_KEY = 'convplay:teach-set';
/** Photos are kept with their shorter side at most this long: enough for a 224×224 crop after
 * the random crop, and a phone photo then takes 0.6 MB instead of 48. */
const KEEP_SIDE = 384;

async function keepable(image: ImageBitmap): Promise<ImageBitmap> {
  const short = Math.min(image.width, image.height);
  if (short <= KEEP_SIDE) return image;
  const k = KEEP_SIDE / short;
  const small = await createImageBitmap(image, {
    resizeWidth: Math.round(image.width * k),
    resizeHeight: Math.round(image.height * k),
    resizeQuality: 'high',
  });
  image.close();
  return small;
}
const MAX_CLASSES = 10;
const SIZE = 224;
const CROP = 0.875;

export class ConvplayTransfer extends LitElement {
  static properties = {
    model: { type: String },
    backend: { type: String },
    classes: { state: true },
    status: { state: true },
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
    busy: { state: true },
    taught: { state: true },
    trial: { state: true },
    saved: { state: true },
  };

  declare model: string;
  declare backend: string;
  declare classes: TaughtClass[];
  declare status: string;
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
  declare headResult: { test: Outcome; val: number | null; epochs: FitEpoch[] } | null;
  declare unfreeze: number;
  declare fineEpochs: number;
  declare fineLr: number;
  declare fineResult: {
    before: Outcome;
    after: Outcome;
    valBefore: number | null;
    valAfter: number | null;
    epochs: FitEpoch[];
  } | null;
  declare busy: boolean;
  /** The assembled new model: labels, and where it came from. */
  declare taught: { labels: string[]; origin: string; testAccuracy: number | null } | null;
  declare trial: { label: string; p: number }[] | null;
  declare saved: SavedTaught | null;

  private nextId = 1;
  private cam = new Camera();
  private recording: number | null = null;
  private engine: Promise<ConvPlay> | null = null;
  private base: Promise<{ model: Model; spec: SpecJson; plan: Plan }> | null = null;
  private cache = new Map<string, Cached>();
  private headModel: Model | null = null;
  private topModel: Model | null = null;
  private taughtModel: Model | null = null;
  /** The data the last head training used (features of each part, with labels). */
  private sets: Record<Part, { pooled: Float32Array; cut: Float32Array; labels: Uint8Array }> | null = null;
  private plots: uPlot[] = [];

  constructor() {
    super();
    this.model = '';
    this.backend = 'auto';
    this.classes = [
      { name: 'class A', samples: [] },
      { name: 'class B', samples: [] },
    ];
    this.status = '';
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
    this.busy = false;
    this.taught = null;
    this.trial = null;
    this.saved = null;
  }

  static styles = [
    unsafeCSS(uplotCss),
    css`
      :host {
        display: block;
        font-size: 0.9rem;
      }
      ol.steps {
        list-style: none;
        padding: 0;
        margin: 0;
        display: flex;
        flex-direction: column;
        gap: 0.9rem;
      }
      ol.steps > li {
        border-left: 3px solid var(--cp-border, #dde1ea);
        padding-left: 0.75rem;
      }
      ol.steps > li.done {
        border-left-color: var(--cp-accent, #1f7ae0);
      }
      h3 {
        margin: 0 0 0.35rem;
        font-size: 0.95rem;
      }
      .class {
        border: 2px dashed var(--cp-border, #dde1ea);
        border-radius: 8px;
        padding: 0.45rem;
        margin-bottom: 0.45rem;
      }
      .class.over {
        border-color: var(--cp-accent, #1f7ae0);
      }
      .class header {
        display: flex;
        gap: 0.5rem;
        align-items: center;
        flex-wrap: wrap;
      }
      .thumbs {
        display: flex;
        flex-wrap: wrap;
        gap: 3px;
        margin-top: 0.3rem;
      }
      .thumbs img {
        width: 36px;
        height: 36px;
        object-fit: cover;
        border-radius: 3px;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6rem;
        align-items: center;
      }
      label.inline {
        display: inline-flex;
        gap: 0.3rem;
        align-items: center;
      }
      input[type='number'] {
        width: 5rem;
      }
      input.name {
        width: 10rem;
      }
      button,
      input,
      select {
        font: inherit;
      }
      button {
        cursor: pointer;
        color: var(--cp-accent, #1f7ae0);
        background: var(--cp-card, #fff);
        border: 1px solid var(--cp-accent, #1f7ae0);
        border-radius: 4px;
        padding: 0.2rem 0.5rem;
      }
      button.primary {
        background: var(--cp-accent, #1f7ae0);
        color: var(--cp-card, #fff);
      }
      button:disabled {
        opacity: 0.5;
        cursor: default;
      }
      button.rec:active,
      button.rec.on {
        background: #c0392b;
        color: #fff;
        border-color: #c0392b;
      }
      video {
        width: 224px;
        border-radius: 6px;
        background: #000;
      }
      .note {
        color: var(--cp-muted, #5b6478);
        font-size: 0.85rem;
        margin: 0.25rem 0;
      }
      .warn {
        color: var(--cp-warn-fg, #6b4e00);
        background: var(--cp-warn-bg, #fff4d6);
        padding: 0.3rem 0.5rem;
        border-radius: 4px;
      }
      .error {
        color: var(--cp-err-fg, #8a1c1c);
      }
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
      .augmented {
        display: flex;
        gap: 3px;
      }
      .augmented canvas {
        width: 56px;
        height: 56px;
        border-radius: 3px;
      }
      .bars {
        display: grid;
        grid-template-columns: 9rem 1fr 4rem;
        gap: 0.25rem 0.5rem;
        align-items: center;
        max-width: 28rem;
      }
      .bar {
        height: 0.8rem;
        background: var(--cp-border, #dde1ea);
        border-radius: 3px;
        overflow: hidden;
      }
      .bar > div {
        height: 100%;
        background: var(--cp-accent, #1f7ae0);
      }
      .big {
        font-size: 1.05rem;
        font-weight: 600;
      }
    `,
  ];

  connectedCallback(): void {
    super.connectedCallback();
    void this.restore();
    void get<SavedTaught>(STORE_KEY)
      .then((s) => {
        if (s && !this.taught) this.saved = s;
      })
      .catch(() => {});
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopCamera();
    this.plots.forEach((p) => p.destroy());
    this.plots = [];
    for (const m of [this.headModel, this.topModel, this.taughtModel]) void m?.dispose().catch(() => {});
    void this.base?.then((b) => b.model.dispose()).catch(() => {});
    this.base = null;
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

  private loadBase(): Promise<{ model: Model; spec: SpecJson; plan: Plan }> {
    this.base ??= (async () => {
      this.status = 'loading the base, EfficientNet-Lite0 (int8, 5 MB)…';
      const engine = await this.getEngine();
      const url = this.model
        ? new URL(this.model, document.baseURI).href
        : assetUrl('models/efficientnet-lite0-int8.safetensors');
      const model = await engine.model({ weights: url }, { batch: 4, cpu: this.cpu(engine) });
      const spec = JSON.parse(model.info.spec) as SpecJson;
      const plan = planFor(spec, await model.summary(), model.info.layerNames);
      if (this.unfreeze < 0) this.unfreeze = plan.points[plan.points.length - 1].index;
      return { model, spec, plan };
    })().catch((e: unknown) => {
      this.base = null;
      throw e;
    });
    return this.base;
  }

  // ---- step 1: classes and images ---------------------------------------------------------

  private invalidate(): void {
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

  /** A sample of a kept image: its thumbnail and its JPEG (`jpeg` when it came from one). */
  private async sample(image: ImageBitmap, source: string, jpeg?: Blob): Promise<Sample> {
    const thumb = await drawCrop(image, 48, 1).convertToBlob({ type: 'image/jpeg', quality: 0.7 });
    if (!jpeg) {
      const full = new OffscreenCanvas(image.width, image.height);
      full.getContext('2d')?.drawImage(image, 0, 0);
      jpeg = await full.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    }
    return { id: this.nextId++, image, thumb: URL.createObjectURL(thumb), source, jpeg };
  }

  private persistTimer: number | null = null;

  /** Keeps the classes and photos in IndexedDB (a moment after the last change). */
  private persist(): void {
    if (this.persistTimer !== null) window.clearTimeout(this.persistTimer);
    this.persistTimer = window.setTimeout(() => {
      this.persistTimer = null;
      const saved: SavedSet = {
        classes: this.classes.map((c) => ({
          name: c.name,
          samples: c.samples.map((s) => ({ source: s.source, jpeg: s.jpeg })),
        })),
      };
      set(SET_KEY, saved).catch(
        (e: unknown) => (this.problem = `the photos could not be kept in this browser: ${(e as Error).message}`),
      );
    }, 300);
  }

  /** Brings back the classes and photos of the last visit. */
  private async restore(): Promise<void> {
    const saved = await get<SavedSet>(SET_KEY).catch(() => undefined);
    if (!saved?.classes?.length || this.classes.some((c) => c.samples.length)) return;
    const classes: TaughtClass[] = [];
    let count = 0;
    for (const c of saved.classes.slice(0, MAX_CLASSES)) {
      const samples: Sample[] = [];
      for (const s of c.samples) {
        try {
          samples.push(await this.sample(await createImageBitmap(s.jpeg), s.source, s.jpeg));
        } catch {
          // A photo the browser can no longer decode is left out.
        }
      }
      count += samples.length;
      classes.push({ name: c.name, samples });
    }
    while (classes.length < 2) classes.push({ name: `class ${String.fromCharCode(65 + classes.length)}`, samples: [] });
    if (this.classes.some((c) => c.samples.length)) return;
    this.classes = classes;
    this.invalidate();
    if (count)
      this.status = `${count} photo${count === 1 ? '' : 's'} in ${classes.length} classes kept from your last visit`;
  }

  /** Empties every class, forgets the kept photos, and starts again with two classes. */
  private async startOver(): Promise<void> {
    this.classes.forEach((c) => this.release(c.samples));
    this.setClasses([
      { name: 'class A', samples: [] },
      { name: 'class B', samples: [] },
    ]);
    // Nothing to keep: drop the pending save instead of writing two empty classes.
    if (this.persistTimer !== null) window.clearTimeout(this.persistTimer);
    this.persistTimer = null;
    this.status = '';
    this.problem = '';
    await del(SET_KEY).catch(() => {});
  }

  /** Adds images (files, blobs, canvases) to class `k`; files that are not images are named in an error. */
  async addImages(k: number, items: (Blob | HTMLCanvasElement | ImageBitmap)[], source: string): Promise<void> {
    const bad: string[] = [];
    const added: Sample[] = [];
    for (const item of items) {
      let image: ImageBitmap;
      const name = item instanceof File ? item.name : source;
      try {
        if (item instanceof Blob && !item.type.startsWith('image/')) throw new Error('not an image');
        image = await keepable(item instanceof ImageBitmap ? item : await createImageBitmap(item));
      } catch {
        bad.push(name);
        continue;
      }
      added.push(await this.sample(image, name));
    }
    if (added.length) {
      this.setClasses(this.classes.map((c, i) => (i === k ? { ...c, samples: [...c.samples, ...added] } : c)));
    }
    this.problem = bad.length
      ? `${bad.join(', ')}: not an image this browser can decode; use PNG, JPEG, GIF or WebP files`
      : '';
  }

  private addClass(): void {
    if (this.classes.length >= MAX_CLASSES) return;
    const letter = String.fromCharCode(65 + this.classes.length);
    this.setClasses([...this.classes, { name: `class ${letter}`, samples: [] }]);
  }

  private removeClass(k: number): void {
    if (this.classes.length <= 2) return;
    this.release(this.classes[k].samples);
    this.setClasses(this.classes.filter((_, i) => i !== k));
  }

  private release(samples: Sample[]): void {
    for (const s of samples) {
      URL.revokeObjectURL(s.thumb);
      s.image.close();
      for (const key of [...this.cache.keys()]) if (key.startsWith(`${s.id}:`)) this.cache.delete(key);
    }
  }

  private clearClass(k: number): void {
    this.release(this.classes[k].samples);
    this.setClasses(this.classes.map((c, i) => (i === k ? { ...c, samples: [] } : c)));
  }

  private rename(k: number, name: string): void {
    this.classes = this.classes.map((c, i) => (i === k ? { ...c, name } : c));
    this.persist();
  }

  private async startCamera(): Promise<void> {
    await this.cam.open(this, 'add image files');
  }

  private stopCamera(): void {
    this.stopRecording();
    this.cam.close(this);
  }

  private frame(): HTMLCanvasElement | null {
    return Camera.frame(this.renderRoot.querySelector('video'));
  }

  /** Hold to record: a frame every 200 ms into class k while the button is held. */
  private startRecording(k: number): void {
    this.stopRecording();
    const grab = () => {
      const f = this.frame();
      if (f) void this.addImages(k, [f], 'camera');
    };
    grab();
    this.recording = window.setInterval(grab, 200);
  }

  private stopRecording(): void {
    if (this.recording !== null) window.clearInterval(this.recording);
    this.recording = null;
  }

  // ---- steps 2–4: split, augment, features ------------------------------------------------

  private validateClasses(): string[] {
    const labels = this.classes.map((c) => c.name.trim());
    const problems: string[] = [];
    labels.forEach((l, i) => {
      if (!l) problems.push(`class ${i + 1} has no name`);
      else if (labels.indexOf(l) !== i) problems.push(`two classes are called "${l}"`);
    });
    this.classes.forEach((c) => {
      if (c.samples.length < 3)
        problems.push(
          `"${c.name}" has ${c.samples.length} image${c.samples.length === 1 ? '' : 's'}; add at least 3 (≥ 100 for a model you can trust)`,
        );
    });
    return problems;
  }

  private parts(): Part[][] {
    return split(
      this.classes.map((c) => c.samples.length),
      this.fractions,
      this.seed,
    );
  }

  private key(s: Sample, variant: number): string {
    return `${s.id}:${variant}:${this.normalisation}:${this.seed}:${JSON.stringify(this.augment)}`;
  }

  private variantCanvas(s: Sample, variant: number): OffscreenCanvas {
    if (variant === 0) return drawCrop(s.image, SIZE, CROP);
    return drawCrop(
      s.image,
      SIZE,
      CROP,
      this.augment,
      rng((this.seed * 7919) ^ (s.id * 104729) ^ (variant * 15485863)),
    );
  }

  /** Step 4: base outputs for every image (and the augmented copies of training images),
   * from the cache where present; then the three sets. */
  async extract(): Promise<void> {
    const problems = this.validateClasses();
    if (problems.length) {
      this.problem = `Before extracting features: ${problems.join('; ')}.`;
      return;
    }
    this.problem = '';
    this.busy = true;
    try {
      const { model, plan } = await this.loadBase();
      const pre = model.info.preprocessing;
      const mean = pre.mean ?? [127, 127, 127];
      const std = pre.std ?? [128, 128, 128];
      const parts = this.parts();
      const jobs: { s: Sample; variant: number; part: Part; label: number }[] = [];
      this.classes.forEach((c, label) =>
        c.samples.forEach((s, i) => {
          const part = parts[label][i];
          const variants = part === 'train' ? 1 + this.copies : 1;
          for (let v = 0; v < variants; v++) jobs.push({ s, variant: v, part, label });
        }),
      );
      const todo = jobs.filter((j) => !this.cache.has(this.key(j.s, j.variant)));
      let sum = 0;
      let sq = 0;
      let count = 0;
      const t0 = performance.now();
      for (let i = 0; i < todo.length; i += 4) {
        const batch = todo.slice(i, i + 4);
        const x = new Float32Array(batch.length * SIZE * SIZE * 3);
        batch.forEach((j, b) => {
          const c = this.variantCanvas(j.s, j.variant);
          const img = c.getContext('2d')!.getImageData(0, 0, SIZE, SIZE);
          const v = toValues(img, this.normalisation, mean, std);
          x.set(v, b * v.length);
        });
        for (const v of x) {
          sum += v;
          sq += v * v;
        }
        count += x.length;
        const [cut, pooled] = await model.features(x, [plan.cache.name, plan.pool.name]);
        const cutPer = cut.length / batch.length;
        batch.forEach((j, b) => {
          this.cache.set(this.key(j.s, j.variant), {
            pooled: pooled.slice(b * plan.pool.size, (b + 1) * plan.pool.size),
            cut: cut.slice(b * cutPer, (b + 1) * cutPer),
          });
        });
        const done = Math.min(i + 4, todo.length);
        const ms = (performance.now() - t0) / done;
        this.status = `features: ${done} / ${todo.length} images (${ms.toFixed(0)} ms per image; ${jobs.length - todo.length} from the cache)`;
      }
      if (count > 0) {
        const mean0 = sum / count;
        this.inputStats = { mean: mean0, std: Math.sqrt(Math.max(0, sq / count - mean0 * mean0)) };
      } else if (!this.inputStats) {
        // Everything came from the cache: measure one image for the check.
        const j = jobs[0];
        this.inputStats = stats(
          toValues(
            this.variantCanvas(j.s, 0).getContext('2d')!.getImageData(0, 0, SIZE, SIZE),
            this.normalisation,
            mean,
            std,
          ),
        );
      }
      // The three sets, in a fixed order (class by class).
      const gather = (part: Part) => {
        const chosen = jobs.filter((j) => j.part === part);
        const first = chosen.length ? this.cache.get(this.key(chosen[0].s, chosen[0].variant))! : null;
        const pooled = new Float32Array(chosen.length * plan.pool.size);
        const cut = new Float32Array(chosen.length * (first?.cut.length ?? 0));
        chosen.forEach((j, i) => {
          const c = this.cache.get(this.key(j.s, j.variant))!;
          pooled.set(c.pooled, i * plan.pool.size);
          cut.set(c.cut, i * c.cut.length);
        });
        return { pooled, cut, labels: Uint8Array.from(chosen, (j) => j.label) };
      };
      this.sets = { train: gather('train'), val: gather('val'), test: gather('test') };
      this.featuresReady = true;
      this.headResult = null;
      this.fineResult = null;
      const copies = jobs.filter((j) => j.variant > 0).length;
      this.status = `features ready: ${jobs.length - copies} photos and ${copies} augmented copies (${this.sets.train.labels.length} for training, ${this.sets.val.labels.length} validation, ${this.sets.test.labels.length} test)`;
    } catch (e) {
      this.problem = (e as Error).message;
      this.status = '';
    } finally {
      this.busy = false;
    }
  }

  // ---- step 5: the head -------------------------------------------------------------------

  private headOptions(): HeadOptions {
    return { classes: this.classes.length, ...this.head };
  }

  /** Train and validation features in one array (validation last, as `fit` holds out). */
  private trainVal(which: 'pooled' | 'cut'): { images: Float32Array; labels: Uint8Array; split: number } {
    const { train, val } = this.sets!;
    const images = new Float32Array(train[which].length + val[which].length);
    images.set(train[which]);
    images.set(val[which], train[which].length);
    const labels = new Uint8Array(train.labels.length + val.labels.length);
    labels.set(train.labels);
    labels.set(val.labels, train.labels.length);
    // fit holds out floor(n · split) instances: aim between two counts so rounding cannot drop one.
    const n = labels.length;
    return { images, labels, split: val.labels.length ? (val.labels.length + 0.5) / n : 0 };
  }

  private async outcome(m: Model, which: 'pooled' | 'cut', part: Part): Promise<Outcome> {
    const s = this.sets![part];
    if (s.labels.length === 0) return { accuracy: NaN, matrix: [] };
    const r = await m.evaluate({ images: s[which], labels: s.labels });
    return { accuracy: r.accuracy, matrix: confusion(s.labels, r.predictions, this.classes.length) };
  }

  async trainHead(): Promise<void> {
    if (!this.sets) return;
    this.problem = '';
    this.busy = true;
    try {
      const engine = await this.getEngine();
      const { plan } = await this.loadBase();
      await this.headModel?.dispose();
      this.headModel = await engine.model(
        { spec: headSpec(plan, this.headOptions()) },
        { batch: 16, seed: this.seed, cpu: this.cpu(engine) },
      );
      const data = this.trainVal('pooled');
      const epochs: FitEpoch[] = [];
      this.resetPlot('head');
      const fit = await this.headModel.fit(
        { images: data.images, labels: data.labels },
        {
          epochs: this.headEpochs,
          lr: this.headLr,
          optimizer: 'adam',
          validationSplit: data.split,
          seed: this.seed,
          onEpoch: (e) => {
            epochs.push(e);
            this.plot('head', epochs);
            this.status = `head: epoch ${e.epoch} / ${this.headEpochs}, loss ${e.loss.toFixed(3)}, training accuracy ${(100 * e.accuracy).toFixed(1)}%${e.valAccuracy === null ? '' : `, validation ${(100 * e.valAccuracy).toFixed(1)}%`}`;
          },
        },
      );
      const test = await this.outcome(this.headModel, 'pooled', 'test');
      this.headResult = { test, val: fit.epochs[fit.epochs.length - 1]?.valAccuracy ?? null, epochs: fit.epochs };
      this.fineResult = null;
      await this.assemble(this.headModel, `a new head on the frozen base`, test.accuracy);
    } catch (e) {
      this.problem = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }

  // ---- step 6: fine-tuning ----------------------------------------------------------------

  async fineTune(): Promise<void> {
    if (!this.sets || !this.headModel) return;
    this.problem = '';
    this.busy = true;
    try {
      const engine = await this.getEngine();
      const { model: base, spec, plan } = await this.loadBase();
      await this.topModel?.dispose();
      const top = topSpec(spec, base.info.layerNames, plan, this.unfreeze, this.headOptions());
      this.topModel = await engine.model({ spec: top }, { batch: 16, seed: this.seed, cpu: this.cpu(engine) });
      // The top starts from the base's blocks and the head just trained.
      await this.topModel.copyWeightsFrom(base);
      await this.topModel.copyWeightsFrom(this.headModel);
      const before = await this.outcome(this.topModel, 'cut', 'test');
      const valBefore = this.sets.val.labels.length ? (await this.outcome(this.topModel, 'cut', 'val')).accuracy : null;
      const data = this.trainVal('cut');
      const epochs: FitEpoch[] = [];
      this.resetPlot('fine');
      const fit = await this.topModel.fit(
        { images: data.images, labels: data.labels },
        {
          epochs: this.fineEpochs,
          lr: this.fineLr,
          optimizer: 'adam',
          validationSplit: data.split,
          seed: this.seed + 1,
          onEpoch: (e) => {
            epochs.push(e);
            this.plot('fine', epochs);
            this.status = `fine-tuning: epoch ${e.epoch} / ${this.fineEpochs}, loss ${e.loss.toFixed(3)}${e.valAccuracy === null ? '' : `, validation ${(100 * e.valAccuracy).toFixed(1)}%`}`;
          },
          onProgress: (p) => {
            this.status = `fine-tuning: epoch ${p.epoch}, step ${p.step} / ${p.totalSteps} (${p.imagesPerSec.toFixed(0)} img/s)`;
          },
        },
      );
      const after = await this.outcome(this.topModel, 'cut', 'test');
      this.fineResult = {
        before,
        after,
        valBefore,
        valAfter: fit.epochs[fit.epochs.length - 1]?.valAccuracy ?? null,
        epochs: fit.epochs,
      };
      await this.assemble(
        this.topModel,
        `fine-tuned from ${plan.points.find((p) => p.index === this.unfreeze)?.name ?? 'the top'}`,
        after.accuracy,
      );
    } catch (e) {
      this.problem = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }

  // ---- step 7: the new model ----------------------------------------------------------------

  /** The whole new model: the base up to its pool with `trained`'s weights on top. */
  private async assemble(trained: Model, origin: string, testAccuracy: number): Promise<void> {
    const engine = await this.getEngine();
    const { model: base, spec, plan } = await this.loadBase();
    const labels = this.classes.map((c) => c.name.trim());
    this.status = 'putting the new model together…';
    const full = await engine.model(
      { spec: fullSpec(spec, base.info.layerNames, plan, this.headOptions(), labels) },
      { batch: 1, cpu: this.cpu(engine) },
    );
    await full.copyWeightsFrom(base);
    await full.copyWeightsFrom(trained);
    await full.configure({ labels, preprocessing: base.info.preprocessing });
    await this.taughtModel?.dispose();
    this.taughtModel = full;
    this.taught = { labels, origin, testAccuracy: Number.isNaN(testAccuracy) ? null : testAccuracy };
    this.trial = null;
    this.status = '';
    try {
      const weights = await full.save({ format: 'int8' });
      const saved = { labels, testAccuracy: this.taught.testAccuracy, savedAt: new Date().toISOString(), weights };
      await set(STORE_KEY, saved);
      this.saved = saved;
    } catch (e) {
      this.problem = `the new model works but could not be kept in this browser: ${(e as Error).message}`;
    }
  }

  /** Uses a ConvPlay weights file (bytes) as the taught model. */
  async useWeights(bytes: Uint8Array, origin: string): Promise<void> {
    this.problem = '';
    try {
      const engine = await this.getEngine();
      const m = await engine.model({ weights: bytes }, { batch: 1, cpu: this.cpu(engine) });
      const [h, w, c] = m.info.input;
      if (m.info.input.length !== 3 || c !== 3 || h !== SIZE || w !== SIZE) {
        await m.dispose();
        throw new Error(
          `${origin} holds a model for [${m.info.input.join(', ')}] inputs; this step takes models of 224×224 RGB photos, like the ones exported here`,
        );
      }
      await this.taughtModel?.dispose();
      this.taughtModel = m;
      this.taught = { labels: m.info.labels, origin, testAccuracy: null };
      this.trial = null;
    } catch (e) {
      this.problem = (e as Error).message;
    }
  }

  async tryImage(item: Blob | HTMLCanvasElement | ImageBitmap, source: string): Promise<void> {
    if (!this.taughtModel) return;
    this.problem = '';
    try {
      if (item instanceof Blob && !item.type.startsWith('image/'))
        throw new Error(
          `${source} is not an image (${item.type || 'unknown type'}); use a PNG, JPEG, GIF or WebP photo`,
        );
      const bitmap = item instanceof ImageBitmap ? item : await createImageBitmap(item);
      const p = await this.taughtModel.predict(bitmap);
      this.trial = p.probabilities
        .map((v, i) => ({ label: this.taughtModel!.info.labels[i] ?? String(i), p: v }))
        .sort((a, b) => b.p - a.p);
    } catch (e) {
      this.problem = (e as Error).message;
    }
  }

  private async exportModel(): Promise<void> {
    if (!this.taughtModel) return;
    try {
      const bytes = await this.taughtModel.save({ format: 'int8' });
      const name = (this.taught?.labels ?? []).map((l) => l.replace(/[^\w-]+/g, '_')).join('-') || 'taught';
      download(bytes, `convplay-${name}.safetensors`);
    } catch (e) {
      this.problem = (e as Error).message;
    }
  }

  private async forget(): Promise<void> {
    await del(STORE_KEY);
    this.saved = null;
  }

  // ---- curves ---------------------------------------------------------------------------------

  private resetPlot(which: 'head' | 'fine'): void {
    const host = this.renderRoot.querySelector(`[data-plot="${which}"]`);
    if (host) host.innerHTML = '';
  }

  private plot(which: 'head' | 'fine', epochs: FitEpoch[]): void {
    const host = this.renderRoot.querySelector(`[data-plot="${which}"]`) as HTMLElement | null;
    if (!host) return;
    const x = epochs.map((e) => e.epoch);
    const data: uPlot.AlignedData = [
      x,
      epochs.map((e) => e.loss),
      epochs.map((e) => e.accuracy),
      epochs.map((e) => e.valAccuracy ?? null),
    ];
    let p = (host as HTMLElement & { plot?: uPlot }).plot;
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
      (host as HTMLElement & { plot?: uPlot }).plot = p;
      this.plots.push(p);
    } else p.setData(data);
  }

  // ---- rendering ----------------------------------------------------------------------------

  private pct(v: number | null | undefined): string {
    return v === null || v === undefined || Number.isNaN(v) ? '—' : `${(100 * v).toFixed(1)}%`;
  }

  private renderMatrix(m: number[][]) {
    if (!m.length) return nothing;
    const labels = this.classes.map((c) => c.name);
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

  private renderClasses() {
    return html`
      ${this.classes.map(
        (c, k) =>
          html`<div
            class="class"
            data-class=${k}
            @dragover=${(e: DragEvent) => {
              e.preventDefault();
              (e.currentTarget as HTMLElement).classList.add('over');
            }}
            @dragleave=${(e: DragEvent) => (e.currentTarget as HTMLElement).classList.remove('over')}
            @drop=${(e: DragEvent) => {
              e.preventDefault();
              (e.currentTarget as HTMLElement).classList.remove('over');
              void this.addImages(k, [...(e.dataTransfer?.files ?? [])], 'dropped file');
            }}
          >
            <header>
              <input
                class="name"
                aria-label="name of class ${k + 1}"
                .value=${c.name}
                @input=${(e: Event) => this.rename(k, (e.target as HTMLInputElement).value)}
              />
              <span data-count>${c.samples.length} image${c.samples.length === 1 ? '' : 's'}</span>
              <label class="inline"
                >add files
                <input
                  type="file"
                  accept="image/*"
                  multiple
                  aria-label="images for class ${k + 1}"
                  @change=${(e: Event) => {
                    const input = e.target as HTMLInputElement;
                    const files = [...(input.files ?? [])];
                    input.value = '';
                    void this.addImages(k, files, 'file');
                  }}
              /></label>
              ${
                this.camera
                  ? html`<button
                      class="rec"
                      title="hold to record: a frame every 0.2 s"
                      @pointerdown=${() => this.startRecording(k)}
                      @pointerup=${() => this.stopRecording()}
                      @pointerleave=${() => this.stopRecording()}
                      @keydown=${(e: KeyboardEvent) => {
                        if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) {
                          e.preventDefault();
                          this.startRecording(k);
                        }
                      }}
                      @keyup=${(e: KeyboardEvent) => {
                        if (e.key === ' ' || e.key === 'Enter') this.stopRecording();
                      }}
                      @blur=${() => this.stopRecording()}
                    >
                      ● Hold to record
                    </button>`
                  : nothing
              }
              <button ?disabled=${!c.samples.length} @click=${() => this.clearClass(k)}>Clear</button>
              ${this.classes.length > 2 ? html`<button @click=${() => this.removeClass(k)} aria-label="remove class ${k + 1}">Remove</button>` : nothing}
            </header>
            <div class="thumbs">
              ${c.samples.slice(-24).map((s) => html`<img src=${s.thumb} alt="" title=${s.source} />`)}${c.samples.length > 24 ? html`<span class="note">+${c.samples.length - 24} more</span>` : nothing}
            </div>
          </div>`,
      )}
      <div class="row">
        <button ?disabled=${this.classes.length >= MAX_CLASSES} @click=${() => this.addClass()}>Add a class</button>
        <button ?disabled=${this.busy} @click=${() => void this.startOver()}>Start over</button>
        ${
          this.camera
            ? html`<button @click=${() => this.stopCamera()}>Stop camera</button>`
            : html`<button @click=${() => void this.startCamera()}>Use the camera</button>`
        }
        <span class="note"
          >Drop image files on a class, or hold its record button with the camera on. The classes and photos stay in
          this browser until you start over.</span
        >
      </div>
      ${this.camera ? html`<video muted playsinline></video>` : nothing}
    `;
  }

  private renderSplit() {
    let counts: { train: number; val: number; test: number } | null = null;
    try {
      const parts = this.parts().flat();
      counts = {
        train: parts.filter((p) => p === 'train').length,
        val: parts.filter((p) => p === 'val').length,
        test: parts.filter((p) => p === 'test').length,
      };
    } catch (e) {
      return html`<p class="error">${(e as Error).message}</p>`;
    }
    const set = (i: number, v: number) => {
      const f = [...this.fractions] as [number, number, number];
      f[i] = v / 100;
      f[0] = Math.max(0, 1 - f[1] - f[2]);
      this.fractions = f;
      this.invalidate();
    };
    return html`<div class="row">
        <span>training <b data-split-train>${Math.round(100 * this.fractions[0])}%</b></span>
        <label class="inline"
          >validation
          <input
            type="number"
            min="0"
            max="45"
            step="5"
            aria-label="validation percent"
            .value=${String(Math.round(100 * this.fractions[1]))}
            @change=${(e: Event) => set(1, Number((e.target as HTMLInputElement).value))}
          />%</label
        >
        <label class="inline"
          >test
          <input
            type="number"
            min="0"
            max="45"
            step="5"
            aria-label="test percent"
            .value=${String(Math.round(100 * this.fractions[2]))}
            @change=${(e: Event) => set(2, Number((e.target as HTMLInputElement).value))}
          />%</label
        >
        <label class="inline"
          >seed
          <input
            type="number"
            min="0"
            step="1"
            aria-label="split seed"
            .value=${String(this.seed)}
            @change=${(e: Event) => {
              this.seed = Math.max(0, Math.floor(Number((e.target as HTMLInputElement).value)) || 0);
              this.invalidate();
            }}
        /></label>
      </div>
      <p class="note" data-split>
        ${counts.train} training, ${counts.val} validation and ${counts.test} test images, split within each class.
      </p>
      ${
        counts.test > 0 && counts.test < 20
          ? html`<p class="note">
              With ${counts.test} test image${counts.test === 1 ? '' : 's'}, each one moves the test accuracy by
              ${(100 / counts.test).toFixed(0)} points: add images (about 100 per class) for a figure you can trust.
            </p>`
          : nothing
      }`;
  }

  private renderAugment() {
    const first = this.classes.flatMap((c) => c.samples)[0];
    const previews = first && this.copies > 0 ? Array.from({ length: Math.min(4, this.copies + 1) }, (_, v) => v) : [];
    const upd = (a: Partial<AugmentOptions>) => {
      this.augment = { ...this.augment, ...a };
      this.invalidate();
    };
    return html`<div class="row">
        <label class="inline"
          >copies per training image
          <input
            type="number"
            min="0"
            max="8"
            aria-label="augmented copies"
            .value=${String(this.copies)}
            @change=${(e: Event) => {
              this.copies = Math.min(8, Math.max(0, Math.floor(Number((e.target as HTMLInputElement).value)) || 0));
              this.invalidate();
            }}
        /></label>
        <label class="inline"
          >random crop down to
          <input
            type="number"
            min="50"
            max="100"
            step="5"
            aria-label="smallest crop percent"
            .value=${String(Math.round(100 * this.augment.minCrop))}
            @change=${(e: Event) => upd({ minCrop: Math.min(1, Math.max(0.5, Number((e.target as HTMLInputElement).value) / 100)) })}
          />%</label
        >
        <label class="inline"
          ><input
            type="checkbox"
            aria-label="flip"
            .checked=${this.augment.flip}
            @change=${(e: Event) => upd({ flip: (e.target as HTMLInputElement).checked })}
          />
          mirror</label
        >
        <label class="inline"
          >brightness ±
          <input
            type="number"
            min="0"
            max="60"
            step="5"
            aria-label="brightness percent"
            .value=${String(Math.round(100 * this.augment.brightness))}
            @change=${(e: Event) => upd({ brightness: Math.min(0.6, Math.max(0, Number((e.target as HTMLInputElement).value) / 100)) })}
          />%</label
        >
      </div>
      <p class="note">Only the training split is augmented; validation and test images are used as they are.</p>
      ${
        previews.length
          ? html`<div class="augmented" aria-label="augmented copies of the first image">
              ${previews.map((v) => {
                const c = document.createElement('canvas');
                c.width = c.height = 56;
                const src = this.variantCanvas(first, v);
                c.getContext('2d')?.drawImage(src, 0, 0, 56, 56);
                c.title = v === 0 ? 'as it is (centre crop)' : `augmented copy ${v}`;
                return c;
              })}
            </div>`
          : nothing
      }`;
  }

  private renderFeatures() {
    const warning = this.inputStats ? checkStats(this.inputStats) : null;
    return html`<div class="row">
        <label class="inline"
          >inputs prepared
          <select
            aria-label="normalisation"
            @change=${(e: Event) => {
              this.normalisation = (e.target as HTMLSelectElement).value as Normalisation;
              this.inputStats = null;
              this.invalidate();
            }}
          >
            ${(Object.keys(NORMALISATIONS) as Normalisation[]).map((k) => html`<option value=${k} ?selected=${k === this.normalisation}>${NORMALISATIONS[k]}</option>`)}
          </select></label
        >
        <button class="primary" data-extract ?disabled=${this.busy} @click=${() => void this.extract()}>
          Extract features
        </button>
      </div>
      <p class="note">
        The frozen base turns each 224×224 crop into 1,280 numbers (its pooled features) once; they are cached, so the
        head trains in seconds. The base's output before its top blocks is kept as well, for fine-tuning.
      </p>
      ${
        this.inputStats
          ? html`<p class="note" data-stats>
              prepared inputs: mean ${this.inputStats.mean.toFixed(2)}, std ${this.inputStats.std.toFixed(2)} (the base
              expects about 0 and 0.5: RGB, (x − 127) / 128)
            </p>`
          : nothing
      }
      ${warning ? html`<p class="warn" data-mismatch>${warning}</p>` : nothing}`;
  }

  private renderHead() {
    const r = this.headResult;
    return html`<div class="row">
        <label class="inline"
          >hidden units
          <input
            type="number"
            min="0"
            max="1024"
            aria-label="hidden units"
            .value=${String(this.head.hidden)}
            @change=${(e: Event) => (this.head = { ...this.head, hidden: Math.max(0, Math.floor(Number((e.target as HTMLInputElement).value)) || 0) })}
        /></label>
        <label class="inline"
          >dropout
          <input
            type="number"
            min="0"
            max="0.9"
            step="0.1"
            aria-label="dropout"
            .value=${String(this.head.dropout)}
            @change=${(e: Event) => (this.head = { ...this.head, dropout: Math.min(0.9, Math.max(0, Number((e.target as HTMLInputElement).value) || 0)) })}
        /></label>
        <label class="inline"
          >epochs
          <input
            type="number"
            min="1"
            max="500"
            aria-label="head epochs"
            .value=${String(this.headEpochs)}
            @change=${(e: Event) => (this.headEpochs = Math.max(1, Math.floor(Number((e.target as HTMLInputElement).value)) || 1))}
        /></label>
        <label class="inline"
          >learning rate
          <input
            type="number"
            min="0.00001"
            max="1"
            step="0.0001"
            aria-label="head learning rate"
            .value=${String(this.headLr)}
            @change=${(e: Event) => (this.headLr = Number((e.target as HTMLInputElement).value) || 1e-3)}
        /></label>
        <button
          class="primary"
          data-train-head
          ?disabled=${this.busy || !this.featuresReady}
          @click=${() => void this.trainHead()}
        >
          Train the head
        </button>
      </div>
      <p class="note">
        A new
        ${this.head.hidden ? `dense ${this.head.hidden} (ReLU) → ` : ''}${this.head.dropout ? `dropout ${this.head.dropout} → ` : ''}dense
        ${this.classes.length} (softmax) on the 1,280 features; the base stays frozen. Adam, batch 16.
      </p>
      <div class="plots"><div data-plot="head"></div></div>
      ${
        r
          ? html`<p class="big" data-head-result>
                test accuracy <span data-test-accuracy>${this.pct(r.test.accuracy)}</span> · validation
                ${this.pct(r.val)}
              </p>
              ${this.renderMatrix(r.test.matrix)}`
          : nothing
      }`;
  }

  private renderFine() {
    const base = this.base ? this.baseInfo : null;
    const r = this.fineResult;
    return html`<div class="row">
        <label class="inline"
          >unfreeze from
          <select
            aria-label="unfreeze from"
            @change=${(e: Event) => (this.unfreeze = Number((e.target as HTMLSelectElement).value))}
          >
            ${base ? nothing : html`<option value="-1">the top blocks (listed once the base is loaded, at step 4)</option>`}
            ${(base?.plan.points ?? [])
              .slice()
              .reverse()
              .map(
                (p) =>
                  html`<option value=${p.index} ?selected=${p.index === this.unfreeze}>
                    ${p.name} upward (${p.params.toLocaleString('en-US')} base parameters)
                  </option>`,
              )}
          </select></label
        >
        <label class="inline"
          >epochs
          <input
            type="number"
            min="1"
            max="100"
            aria-label="fine-tuning epochs"
            .value=${String(this.fineEpochs)}
            @change=${(e: Event) => (this.fineEpochs = Math.max(1, Math.floor(Number((e.target as HTMLInputElement).value)) || 1))}
        /></label>
        <label class="inline"
          >learning rate
          <input
            type="number"
            min="0.000001"
            max="0.01"
            step="0.00001"
            aria-label="fine-tuning learning rate"
            .value=${String(this.fineLr)}
            @change=${(e: Event) => (this.fineLr = Number((e.target as HTMLInputElement).value) || 1e-4)}
        /></label>
        <button
          class="primary"
          data-fine-tune
          ?disabled=${this.busy || !this.headResult}
          @click=${() => void this.fineTune()}
        >
          Fine-tune
        </button>
      </div>
      <p class="note">
        The chosen blocks and everything above them train with the head, at a learning rate about 10× lower; the blocks
        below stay frozen, and every batch norm keeps its ImageNet statistics (inference mode), as Keras advises for
        fine-tuning.
      </p>
      <div class="plots"><div data-plot="fine"></div></div>
      ${
        r
          ? html`<p class="big" data-fine-result>
                test accuracy before <span data-before>${this.pct(r.before.accuracy)}</span> → after
                <span data-after>${this.pct(r.after.accuracy)}</span> · validation ${this.pct(r.valBefore)} →
                ${this.pct(r.valAfter)}
              </p>
              ${this.renderMatrix(r.after.matrix)}`
          : nothing
      }`;
  }

  private baseInfo: { plan: Plan } | null = null;

  protected updated(): void {
    if (this.base && !this.baseInfo) {
      void this.base
        .then((b) => {
          this.baseInfo = { plan: b.plan };
          this.requestUpdate();
        })
        .catch(() => {});
    }
  }

  private renderUse() {
    const t = this.taught;
    return html`
      ${
        t
          ? html`<p data-taught>
                The new model: <b>${t.labels.join(', ')}</b> —
                ${t.origin}${t.testAccuracy === null ? '' : `, ${this.pct(t.testAccuracy)} on the test split`}.
              </p>
              <div class="row">
                <label class="inline"
                  >try a photo
                  <input
                    type="file"
                    accept="image/*"
                    aria-label="photo to classify with the new model"
                    @change=${(e: Event) => {
                      const input = e.target as HTMLInputElement;
                      const f = input.files?.[0];
                      input.value = '';
                      if (f) void this.tryImage(f, f.name);
                    }}
                /></label>
                ${
                  this.camera
                    ? html`<button
                        @click=${() => {
                          const f = this.frame();
                          if (f) void this.tryImage(f, 'the camera');
                        }}
                      >
                        Classify the camera's view
                      </button>`
                    : nothing
                }
                <button data-export @click=${() => void this.exportModel()}>Download (.safetensors, int8)</button>
              </div>
              ${
                this.trial
                  ? html`<div class="bars" data-trial>
                      ${this.trial.map(
                        (r) =>
                          html`<span>${r.label}</span>
                            <div class="bar"><div style="width:${100 * r.p}%"></div></div>
                            <span>${this.pct(r.p)}</span>`,
                      )}
                    </div>`
                  : nothing
              }`
          : html`<p class="note">Train a head (step 5) or load a model exported here.</p>`
      }
      <div class="row">
        <label class="inline"
          >load a model
          <input
            type="file"
            accept=".safetensors"
            aria-label="load a taught model"
            @change=${async (e: Event) => {
              const input = e.target as HTMLInputElement;
              const f = input.files?.[0];
              input.value = '';
              if (f) await this.useWeights(new Uint8Array(await f.arrayBuffer()), f.name);
            }}
        /></label>
        ${
          this.saved && !t
            ? html`<button
                data-restore
                @click=${() => void this.useWeights(this.saved!.weights, `kept in this browser since ${this.saved!.savedAt.slice(0, 16).replace('T', ' ')}`)}
              >
                Use the model kept in this browser (${this.saved.labels.join(', ')})
              </button>`
            : nothing
        }
        ${this.saved ? html`<button @click=${() => void this.forget()}>Forget the kept model</button>` : nothing}
      </div>
    `;
  }

  render() {
    const total = this.classes.reduce((s, c) => s + c.samples.length, 0);
    return html`
      <ol class="steps">
        <li class=${total ? 'done' : ''}>
          <h3>1. Classes and images</h3>
          ${this.renderClasses()}
        </li>
        <li class=${total ? 'done' : ''}>
          <h3>2. Split</h3>
          ${this.renderSplit()}
        </li>
        <li class=${this.copies && total ? 'done' : ''}>
          <h3>3. Augment the training split</h3>
          ${this.renderAugment()}
        </li>
        <li class=${this.featuresReady ? 'done' : ''}>
          <h3>4. Features from the frozen base</h3>
          ${this.renderFeatures()}
        </li>
        <li class=${this.headResult ? 'done' : ''}>
          <h3>5. Train a new head</h3>
          ${this.renderHead()}
        </li>
        <li class=${this.fineResult ? 'done' : ''}>
          <h3>6. Fine-tune the top blocks</h3>
          ${this.renderFine()}
        </li>
        <li class=${this.taught ? 'done' : ''}>
          <h3>7. Use, export, load</h3>
          ${this.renderUse()}
        </li>
      </ol>
      ${this.status ? html`<p class="note" data-status aria-live="polite">${this.status}</p>` : nothing}
      ${this.problem ? html`<p class="error" data-problem role="alert">${this.problem}</p>` : nothing}
    `;
  }
}

if (!customElements.get('convplay-transfer')) customElements.define('convplay-transfer', ConvplayTransfer);
