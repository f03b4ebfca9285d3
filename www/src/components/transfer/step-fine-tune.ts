// Step 6 of <convplay-transfer> on the page: where unfreezing starts (the blocks the base's plan
// offers), epochs and learning rate, the curves, and the test accuracy before and after.

import { html, nothing } from 'lit';
import { pct } from '../../transfer';
import type { ConvplayTransfer } from '../convplay-transfer';
import { epochCurves } from '../convplay-curves';
import '../convplay-confusion';

type Host = Pick<
  ConvplayTransfer,
  | 'classes'
  | 'basePlan'
  | 'unfreeze'
  | 'fineEpochs'
  | 'fineLr'
  | 'fineResult'
  | 'headResult'
  | 'charted'
  | 'busy'
  | 'fineTune'
>;

/** An option's text, built here so that formatting cannot wrap it (the test reads it whole). */
function optionText(p: { name: string; params: number }): string {
  return `${p.name} upward (${p.params.toLocaleString('en-US')} base parameters)`;
}

export function fineTuneStep(el: Host) {
  const plan = el.basePlan;
  const r = el.fineResult;
  return html`<div class="row">
      <label class="inline"
        >unfreeze from
        <select
          aria-label="unfreeze from"
          @change=${(e: Event) => (el.unfreeze = Number((e.target as HTMLSelectElement).value))}
        >
          ${plan ? nothing : html`<option value="-1">the top blocks (listed once the base is loaded, at step 4)</option>`}
          ${(plan?.points ?? [])
            .slice()
            .reverse()
            .map((p) => html`<option value=${p.index} ?selected=${p.index === el.unfreeze}>${optionText(p)}</option>`)}
        </select></label
      >
      <label class="inline"
        >epochs
        <input
          type="number"
          min="1"
          max="100"
          aria-label="fine-tuning epochs"
          .value=${String(el.fineEpochs)}
          @change=${(e: Event) => (el.fineEpochs = Math.max(1, Math.floor(Number((e.target as HTMLInputElement).value)) || 1))}
      /></label>
      <label class="inline"
        >learning rate
        <input
          type="number"
          min="0.000001"
          max="0.01"
          step="0.00001"
          aria-label="fine-tuning learning rate"
          .value=${String(el.fineLr)}
          @change=${(e: Event) => (el.fineLr = Number((e.target as HTMLInputElement).value) || 1e-4)}
      /></label>
      <button class="primary" data-fine-tune ?disabled=${el.busy || !el.headResult} @click=${() => void el.fineTune()}>
        Fine-tune
      </button>
    </div>
    <p class="note">
      The chosen blocks and everything above them train with the head, at a learning rate about 10× lower; the blocks
      below stay frozen, and every batch norm keeps its ImageNet statistics (inference mode), as Keras advises for
      fine-tuning.
    </p>
    <convplay-curves data-plot="fine" .config=${epochCurves} ?hidden=${!el.charted.fine}></convplay-curves>
    ${
      r
        ? html`<p class="big" data-fine-result>
              test accuracy before <span data-before>${pct(r.before.accuracy)}</span> → after
              <span data-after>${pct(r.after.accuracy)}</span> · validation ${pct(r.valBefore)} → ${pct(r.valAfter)}
            </p>
            <convplay-confusion
              .matrix=${r.after.matrix}
              .labels=${el.classes.map((c) => c.name)}
              corner="true ↓ / predicted →"
            ></convplay-confusion>`
        : nothing
    }`;
}
