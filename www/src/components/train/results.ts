// What <convplay-train> shows after training: a row per epoch, the test set's confusion
// matrix and the misclassified test digits, and the model kept in this browser.

import { html, nothing } from 'lit';
import type { FitEpoch, Mistake } from '../../api/index';
import { download, type Checkpoint, type SavedModel } from '../../storage';
import { downloadOnnx, downloadTfjs } from '../../formats';
import '../convplay-confusion';
import type { CurvesConfig } from '../convplay-curves';

/** A 28×28 digit as a data URL (white on black, as MNIST stores it). */
function digitUrl(pixels: Uint8Array | Float32Array): string {
  const c = document.createElement('canvas');
  c.width = c.height = 28;
  const ctx = c.getContext('2d');
  if (!ctx) return '';
  const img = ctx.createImageData(28, 28);
  const scale = pixels instanceof Float32Array ? 255 : 1;
  for (let i = 0; i < 784; i++) {
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = pixels[i] * scale;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return c.toDataURL();
}

const pct = (v: number | null) => (v === null ? '–' : (100 * v).toFixed(2) + '%');

export function epochTable(rows: FitEpoch[]) {
  if (!rows.length) return nothing;
  return html`<table data-epochs>
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
      ${rows.map(
        (r) =>
          html`<tr>
            <td>${r.epoch}</td>
            <td>${r.loss.toFixed(4)}</td>
            <td>${pct(r.accuracy)}</td>
            <td>${pct(r.valAccuracy)}</td>
            <td data-test>${pct(r.testAccuracy)}</td>
            <td>${r.seconds.toFixed(1)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** The confusion matrix and the misclassified digits of a test evaluation; `classes` names the
 * classes (Fashion-MNIST's clothes) where they are not the digits. */
export function evaluation(
  last: { confusion: number[][]; mistakes: Mistake[] } | null | undefined,
  classes?: string[],
) {
  if (!last) return nothing;
  const named = classes && classes.some((c, i) => c !== String(i)) ? classes : null;
  const name = (i: number) => named?.[i] ?? String(i);
  const what = named ? 'class' : 'digit';
  return html`<h3 class="results">The test set, after training</h3>
    <div class="after">
    <convplay-confusion
      .matrix=${last.confusion}
      .labels=${named}
      caption="Confusion matrix (test images; rows: true ${what}, columns: predicted)"
    ></convplay-confusion>
    <div>
      <h4>Misclassified test ${named ? 'images' : 'digits'} (true → predicted)</h4>
      <div class="gallery" data-mistakes>
        ${
          last.mistakes.length
            ? last.mistakes.map(
                (m) =>
                  html`<figure title="test image ${m.index}">
                    <img alt="a ${name(m.label)} taken for a ${name(m.predicted)}" src=${digitUrl(m.input)} />
                    <figcaption>${name(m.label)} → ${name(m.predicted)}</figcaption>
                  </figure>`,
              )
            : html`<p>none: every test image was classified correctly</p>`
        }
      </div>
    </div>
  </div>`;
}

/** What a stop kept, and the button that keeps a half-trained model. */
export function stopNotice(note: string, halfTrained: unknown, keep: () => void) {
  if (!note) return nothing;
  return html`<p class="note" data-stopped>${note} ${halfTrained ? html`<button @click=${keep}>Keep the half-trained model</button>` : nothing}</p>`;
}

/** The model kept in this browser (download it, evaluate it) and a weights file to load. */
export function keptModel(
  saved: SavedModel | null,
  busy: boolean,
  on: { evaluate: (weights: Uint8Array) => void; load: (e: Event) => void; exported: (done: Promise<void>) => void },
) {
  // One text node: the tests read it whole.
  const kept = saved
    ? `Kept in this browser: ${saved.name}${saved.testAccuracy === null ? '' : `, ${pct(saved.testAccuracy)} test accuracy`}, trained ${new Date(saved.savedAt).toLocaleString()}.`
    : '';
  return html`<div class="saved">
    ${
      saved
        ? html`<span data-saved>${kept}</span>
            <button ?disabled=${busy} @click=${() => download(saved.weights, `${saved.name}.safetensors`)}>
              Download .safetensors
            </button>
            <button ?disabled=${busy} data-download="tfjs" @click=${() => on.exported(downloadTfjs(saved.weights, saved.name))}>TF.js (model.json)</button>
            <button ?disabled=${busy} data-download="onnx" @click=${() => on.exported(downloadOnnx(saved.weights, saved.name))}>ONNX</button>
            <button ?disabled=${busy} @click=${() => on.evaluate(saved.weights)}>Evaluate it</button>`
        : html`<span>No trained model kept in this browser yet.</span>`
    }
    <label class="file"
      >Load weights (.safetensors)<input
        type="file"
        accept=".safetensors,application/octet-stream"
        ?disabled=${busy}
        aria-label="load weights"
        @change=${on.load}
    /></label>
  </div>`;
}

/** A checkpoint in words: "the checkpoint of epoch 3 (98.1% validation)". */
export function checkpointLabel(c: Checkpoint): string {
  if (c.reason === 'pause') return `the checkpoint taken on pausing ${c.name} at step ${c.step} of ${c.totalSteps}`;
  const last = c.epochs.at(-1);
  const acc =
    last?.valAccuracy != null
      ? ` (${pct(last.valAccuracy)} validation)`
      : last?.testAccuracy != null
        ? ` (${pct(last.testAccuracy)} test)`
        : '';
  return `the checkpoint of epoch ${c.epoch}${acc}`;
}

/** What happened to the engine (when it stopped), and the checkpoint offered back. */
export function checkpointOffer(
  crash: string,
  offered: Checkpoint | null,
  busy: boolean,
  /** Takes the checkpoint back, or discards it (null). */
  take: (c: Checkpoint | null) => void,
) {
  if (!crash && !offered) return nothing;
  return html`<div class="offer" role="alert">
    ${crash ? html`<p data-crash>${crash}</p>` : nothing}
    ${
      offered
        ? html`<p>
            <button data-restore ?disabled=${busy} @click=${() => take(offered)}>Restore ${checkpointLabel(offered)}</button>
            <button data-discard ?disabled=${busy} @click=${() => take(null)}>Discard it</button>
          </p>`
        : nothing
    }
  </div>`;
}

/** The two charts: loss, and accuracy (training per report; validation and test per epoch). */
export function chartConfigs(compact: boolean): { loss: CurvesConfig; acc: CurvesConfig } {
  const size = compact ? { minWidth: 220, maxWidth: 360, height: 150 } : { minWidth: 280, maxWidth: 560, height: 200 };
  return {
    loss: { ...size, title: 'loss', x: 'step', y: 'cross-entropy', series: [{ label: 'train', color: '#1f7ae0' }] },
    acc: {
      ...size,
      title: 'accuracy',
      x: 'step',
      unit: 'accuracy',
      series: [
        { label: 'train', color: '#1f7ae0', scale: 'unit' },
        { label: 'validation', color: '#e08a1f', scale: 'unit', sparse: true },
        { label: 'test', color: '#1c8a4a', scale: 'unit', sparse: true },
      ],
    },
  };
}
