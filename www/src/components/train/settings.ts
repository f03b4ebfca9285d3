// <convplay-train>'s settings below the first row: optimizer, schedule, augmentation, the
// number of training and test images, and the seed.

import { html, nothing } from 'lit';
import type { Optimizer, Schedule, TrainState } from './recipe';
import { DATA_SETS, DATA_SET_NAMES, type DataSetName } from '../../datasets';

/** What the settings read and set on the element: these fields of its state. */
type Host = Pick<TrainState, 'optimizer' | 'schedule' | 'augment' | 'trainImages' | 'testImages' | 'seed'> & {
  activations: 'f32' | 'f16';
  shaderF16: boolean | null;
};

/** A labelled number input. */
export function numberInput(label: string, value: number, set: (v: number) => void, busy: boolean, step = '1') {
  return html`<label
    >${label}<input
      type="number"
      step=${step}
      min="0"
      .value=${String(value)}
      ?disabled=${busy}
      aria-label=${label}
      @input=${(e: Event) => set(Number((e.target as HTMLInputElement).value))}
  /></label>`;
}

export function moreSettings(el: Host, busy: boolean) {
  const num = (label: string, value: number, set: (v: number) => void, step = '1') =>
    numberInput(label, value, set, busy, step);
  return html` <label
        >Optimizer
        <select
          aria-label="optimizer"
          ?disabled=${busy}
          .value=${el.optimizer}
          @change=${(e: Event) => (el.optimizer = (e.target as HTMLSelectElement).value as Optimizer)}
        >
          <option value="adam" ?selected=${el.optimizer === 'adam'}>Adam</option>
          <option value="adamw" ?selected=${el.optimizer === 'adamw'}>AdamW</option>
          <option value="sgd" ?selected=${el.optimizer === 'sgd'}>SGD + Nesterov momentum</option>
        </select>
      </label>
      <label
        >Schedule
        <select
          aria-label="schedule"
          ?disabled=${busy}
          .value=${el.schedule}
          @change=${(e: Event) => (el.schedule = (e.target as HTMLSelectElement).value as Schedule)}
        >
          ${(['constant', 'step', 'cosine', 'onecycle'] as const).map((v) => html`<option value=${v} ?selected=${el.schedule === v}>${{ constant: 'constant', step: 'halve every epoch', cosine: 'cosine', onecycle: 'one-cycle' }[v]}</option>`)}
        </select>
      </label>
      ${num('shift ± px', el.augment.shift, (v) => (el.augment = { ...el.augment, shift: v }), 'any')}
      ${num('rotate ± °', el.augment.rotateDeg, (v) => (el.augment = { ...el.augment, rotateDeg: v }), 'any')}
      ${num('scale ± %', Math.round(1000 * el.augment.scale) / 10, (v) => (el.augment = { ...el.augment, scale: v / 100 }), 'any')}
      ${num('training images', el.trainImages, (v) => (el.trainImages = v))}
      ${num('test images', el.testImages, (v) => (el.testImages = v))}
      ${num('seed', el.seed, (v) => (el.seed = v))} ${activationsSelect(el, busy)}`;
}

/** Activations as f32 or f16: f16 halves their memory on a GPU with shader-f16; where the
 * engine is known to lack it, the choice is off and says why. */
function activationsSelect(el: Host, busy: boolean) {
  const without = el.shaderF16 === false;
  return html`<label
    >Activations
    <select
      aria-label="activations"
      title="f16 halves the memory of the activations (every layer's output) on a GPU with WebGPU's shader-f16; arithmetic stays f32"
      ?disabled=${busy}
      @change=${(e: Event) => (el.activations = (e.target as HTMLSelectElement).value as 'f32' | 'f16')}
    >
      <option value="f32" ?selected=${el.activations !== 'f16'}>f32</option>
      <option value="f16" ?selected=${el.activations === 'f16'} ?disabled=${without}>
        ${without ? 'f16 (no shader-f16 here)' : 'f16 (half the memory)'}
      </option>
    </select></label
  >`;
}

/** The quick first run: the first images of the training set, enough for a model to read most
 * digits within a minute on a laptop's CPU; the full run takes all 60,000. */
export const QUICK_IMAGES = 6000;
export const FULL_IMAGES = 60000;

/** The quick/full choice above the settings, with what each is expected to score. The figures
 * are the default model's on MNIST (mnist-quick, its recipe, seed 1), measured with the project's CLI on
 * the CPU backend (docs/benchmarks.md); other models and data sets say only that the full run
 * scores higher. */
export function runSize(el: Host & { preset: string; dataSet: string }, busy: boolean) {
  const known = el.preset === 'mnist-quick' && el.dataSet === 'mnist';
  const choice = (images: number, label: string, expect: string) =>
    html`<label
      ><input
        type="radio"
        name="run-size"
        .checked=${el.trainImages === images}
        ?disabled=${busy}
        @change=${() => (el.trainImages = images)}
      />${label}${known ? html` <span class="expect">${expect}</span>` : nothing}</label
    >`;
  const other = el.trainImages !== QUICK_IMAGES && el.trainImages !== FULL_IMAGES;
  return html`<fieldset class="run-size" data-run-size=${other ? 'custom' : el.trainImages === QUICK_IMAGES ? 'quick' : 'full'}>
    <legend>Run</legend>
    ${choice(QUICK_IMAGES, 'Quick: the first 6,000 training images', QUICK_EXPECT)}
    ${choice(FULL_IMAGES, 'Full: all 60,000', FULL_EXPECT)}
    ${other ? html`<span>(now ${Math.floor(el.trainImages).toLocaleString('en')} images, set below)</span>` : known ? nothing : html`<span>The full run scores higher; how much depends on the model.</span>`}
  </fieldset>`;
}

const QUICK_EXPECT = 'expect about 97.1% test accuracy, in well under a minute';
const FULL_EXPECT = 'expect about 99.2%, taking ten times as long';

/** What a trainer that has not run yet will do when Train is pressed (an embedded card opens
 * ready to run, saying so). */
export function readyNote(
  el: Host & { modelName: string; epochs: number; batch: number; lr: number; dataSet: string },
): string {
  const n = (v: number) => Math.floor(v).toLocaleString('en');
  const set = el.dataSet === 'mnist' ? '' : `${DATA_SETS[el.dataSet as DataSetName]?.title ?? el.dataSet} `;
  return `Ready: Train runs ${el.modelName} for ${n(el.epochs)} epoch${el.epochs === 1 ? '' : 's'} on ${n(el.trainImages)} ${set}training images (batch ${n(el.batch)}, learning rate ${el.lr}), then tests it on ${n(el.testImages)} images.`;
}

/** The data set choice: MNIST or Fashion-MNIST (its files are fetched when first trained on). */
export function dataSetSelect(el: { dataSet: string }, busy: boolean) {
  return html`<label
    >Data
    <select
      aria-label="data set"
      ?disabled=${busy}
      @change=${(e: Event) => (el.dataSet = (e.target as HTMLSelectElement).value)}
    >
      ${DATA_SET_NAMES.map((d) => html`<option value=${d} ?selected=${d === el.dataSet}>${DATA_SETS[d].title}</option>`)}
    </select>
  </label>`;
}

/** Reads the file an `<input type="file">` was given (then clears it, so the same file can be given again). */
export function readFile(e: Event, then: (bytes: Uint8Array) => void): void {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (file) void file.arrayBuffer().then((buf) => then(new Uint8Array(buf)));
}
