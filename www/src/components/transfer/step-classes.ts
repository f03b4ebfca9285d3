// Step 1 of <convplay-transfer> on the page: the classes, each a drop target with its name,
// image count, file input, hold-to-record button (while the camera is on), Clear and Remove,
// and its latest thumbnails; then the buttons for the whole set and the camera's <video>.

import { html, nothing } from 'lit';
import { dropFiles } from '../../drop';
import type { ConvplayTransfer } from '../convplay-transfer';
import { MAX_CLASSES, type TaughtClass } from './photos';

type Host = Pick<
  ConvplayTransfer,
  | 'classes'
  | 'camera'
  | 'busy'
  | 'addImages'
  | 'rename'
  | 'clearClass'
  | 'removeClass'
  | 'addClass'
  | 'startOver'
  | 'startCamera'
  | 'stopCamera'
  | 'startRecording'
  | 'stopRecording'
>;

/** Thumbnails shown per class (the latest). */
const THUMBS = 24;

/** Hold to record into class k: pointer or keyboard (Space, Enter) held down. */
function recordButton(el: Host, k: number) {
  return html`<button
    class="rec"
    title="hold to record: a frame every 0.2 s"
    @pointerdown=${() => el.startRecording(k)}
    @pointerup=${() => el.stopRecording()}
    @pointerleave=${() => el.stopRecording(k)}
    @keydown=${(e: KeyboardEvent) => {
      if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) {
        e.preventDefault();
        el.startRecording(k);
      }
    }}
    @keyup=${(e: KeyboardEvent) => {
      if (e.key === ' ' || e.key === 'Enter') el.stopRecording();
    }}
    @blur=${() => el.stopRecording(k)}
  >
    ● Hold to record
  </button>`;
}

function classBox(el: Host, c: TaughtClass, k: number) {
  return html`<div class="class" data-class=${k} ${dropFiles((files) => void el.addImages(k, files, 'dropped file'))}>
    <header>
      <input
        class="name"
        aria-label="name of class ${k + 1}"
        .value=${c.name}
        @input=${(e: Event) => el.rename(k, (e.target as HTMLInputElement).value)}
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
            void el.addImages(k, files, 'file');
          }}
      /></label>
      ${el.camera ? recordButton(el, k) : nothing}
      <button ?disabled=${!c.samples.length} @click=${() => el.clearClass(k)}>Clear</button>
      ${el.classes.length > 2 ? html`<button @click=${() => el.removeClass(k)} aria-label="remove class ${k + 1}">Remove</button>` : nothing}
    </header>
    <div class="thumbs">
      ${c.samples.slice(-THUMBS).map((s) => html`<img src=${s.thumb} alt="" title=${s.source} />`)}${c.samples.length > THUMBS ? html`<span class="note">+${c.samples.length - THUMBS} more</span>` : nothing}
    </div>
  </div>`;
}

export function classesStep(el: Host) {
  return html`
    ${el.classes.map((c, k) => classBox(el, c, k))}
    <div class="row">
      <button ?disabled=${el.classes.length >= MAX_CLASSES} @click=${() => el.addClass()}>Add a class</button>
      <button ?disabled=${el.busy} @click=${() => void el.startOver()}>Start over</button>
      ${
        el.camera
          ? html`<button @click=${() => el.stopCamera()}>Stop camera</button>`
          : html`<button @click=${() => void el.startCamera()}>Use the camera</button>`
      }
      <span class="note"
        >Drop image files on a class, or hold its record button with the camera on. The classes and photos stay in this
        browser until you start over.</span
      >
    </div>
    ${el.camera ? html`<video muted playsinline></video>` : nothing}
  `;
}
