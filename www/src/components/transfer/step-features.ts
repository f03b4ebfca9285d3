// Step 4 of <convplay-transfer> on the page: how inputs are prepared (the base's own
// normalisation or a classic mistake), the button that extracts the features, and the check of
// the prepared inputs' statistics.

import { html, nothing } from 'lit';
import { EXPECTED, NORMALISATIONS, checkStats, type Normalisation } from '../../transfer';
import type { ConvplayTransfer } from '../convplay-transfer';

type Host = Pick<ConvplayTransfer, 'normalisation' | 'inputStats' | 'busy' | 'invalidate' | 'extract'>;

export function featuresStep(el: Host) {
  const warning = el.inputStats ? checkStats(el.inputStats, EXPECTED, el.normalisation) : null;
  return html`<div class="row">
      <label class="inline"
        >inputs prepared
        <select
          aria-label="normalisation"
          @change=${(e: Event) => {
            el.normalisation = (e.target as HTMLSelectElement).value as Normalisation;
            el.inputStats = null;
            el.invalidate();
          }}
        >
          ${(Object.keys(NORMALISATIONS) as Normalisation[]).map((k) => html`<option value=${k} ?selected=${k === el.normalisation}>${NORMALISATIONS[k]}</option>`)}
        </select></label
      >
      <button class="primary" data-extract ?disabled=${el.busy} @click=${() => void el.extract()}>
        Extract features
      </button>
    </div>
    <p class="note">
      The frozen base turns each 224×224 crop into 1,280 numbers (its pooled features) once; they are cached, so the
      head trains in seconds. The base's output before its top blocks is kept as well, for fine-tuning.
    </p>
    ${
      el.inputStats
        ? html`<p class="note" data-stats>
            prepared inputs: mean ${el.inputStats.mean.toFixed(2)}, std ${el.inputStats.std.toFixed(2)} (the base
            expects about 0 and 0.5: RGB, (x − 127) / 128)
          </p>`
        : nothing
    }
    ${warning ? html`<p class="warn" data-mismatch>${warning}</p>` : nothing}`;
}
