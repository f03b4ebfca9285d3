// Step 7 of <convplay-transfer> on the page: the new model — try it on a photo or the camera's
// view, download it — and loading one back, from a file or the copy kept in this browser.

import { html, nothing } from 'lit';
import { pct } from '../../transfer';
import type { ConvplayTransfer } from '../convplay-transfer';

type Host = Pick<
  ConvplayTransfer,
  'taught' | 'trial' | 'saved' | 'camera' | 'frame' | 'tryImage' | 'exportModel' | 'useWeights' | 'forget'
>;

export function useStep(el: Host) {
  const t = el.taught;
  return html`
    ${
      t
        ? html`<p data-taught>
              The new model: <b>${t.labels.join(', ')}</b> —
              ${t.origin}${t.testAccuracy === null ? '' : `, ${pct(t.testAccuracy)} on the test split`}.
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
                    if (f) void el.tryImage(f, f.name);
                  }}
              /></label>
              ${
                el.camera
                  ? html`<button
                      @click=${() => {
                        const f = el.frame();
                        if (f) void el.tryImage(f, 'the camera');
                      }}
                    >
                      Classify the camera's view
                    </button>`
                  : nothing
              }
              <button data-export @click=${() => void el.exportModel()}>Download (.safetensors, int8)</button>
              <button data-export-onnx @click=${() => void el.exportModel('onnx')}>Download (.onnx, f32)</button>
            </div>
            ${
              el.trial
                ? html`<div class="bars" data-trial>
                    ${el.trial.map(
                      (r) =>
                        html`<span>${r.label}</span>
                          <div class="bar"><div style="width:${100 * r.p}%"></div></div>
                          <span>${pct(r.p)}</span>`,
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
            if (f) await el.useWeights(new Uint8Array(await f.arrayBuffer()), f.name);
          }}
      /></label>
      ${
        el.saved && !t
          ? html`<button
              data-restore
              @click=${() => void el.useWeights(el.saved!.weights, `kept in this browser since ${el.saved!.savedAt.slice(0, 16).replace('T', ' ')}`)}
            >
              Use the model kept in this browser (${el.saved.labels.join(', ')})
            </button>`
          : nothing
      }
      ${el.saved ? html`<button @click=${() => void el.forget()}>Forget the kept model</button>` : nothing}
    </div>
  `;
}
