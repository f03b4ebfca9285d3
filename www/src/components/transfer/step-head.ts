// Step 5 of <convplay-transfer> on the page: the new head's shape (hidden units, dropout), its
// epochs and learning rate, its curves, and its test accuracy with the confusion matrix.

import { html, nothing } from 'lit';
import { pct } from '../../transfer';
import type { ConvplayTransfer } from '../convplay-transfer';
import { epochCurves } from '../convplay-curves';
import '../convplay-confusion';

type Host = Pick<
  ConvplayTransfer,
  'classes' | 'head' | 'headEpochs' | 'headLr' | 'headResult' | 'charted' | 'busy' | 'featuresReady' | 'trainHead'
>;

export function headStep(el: Host) {
  const r = el.headResult;
  return html`<div class="row">
      <label class="inline"
        >hidden units
        <input
          type="number"
          min="0"
          max="1024"
          aria-label="hidden units"
          .value=${String(el.head.hidden)}
          @change=${(e: Event) => (el.head = { ...el.head, hidden: Math.max(0, Math.floor(Number((e.target as HTMLInputElement).value)) || 0) })}
      /></label>
      <label class="inline"
        >dropout
        <input
          type="number"
          min="0"
          max="0.9"
          step="0.1"
          aria-label="dropout"
          .value=${String(el.head.dropout)}
          @change=${(e: Event) => (el.head = { ...el.head, dropout: Math.min(0.9, Math.max(0, Number((e.target as HTMLInputElement).value) || 0)) })}
      /></label>
      <label class="inline"
        >epochs
        <input
          type="number"
          min="1"
          max="500"
          aria-label="head epochs"
          .value=${String(el.headEpochs)}
          @change=${(e: Event) => (el.headEpochs = Math.max(1, Math.floor(Number((e.target as HTMLInputElement).value)) || 1))}
      /></label>
      <label class="inline"
        >learning rate
        <input
          type="number"
          min="0.00001"
          max="1"
          step="0.0001"
          aria-label="head learning rate"
          .value=${String(el.headLr)}
          @change=${(e: Event) => (el.headLr = Number((e.target as HTMLInputElement).value) || 1e-3)}
      /></label>
      <button
        class="primary"
        data-train-head
        ?disabled=${el.busy || !el.featuresReady}
        @click=${() => void el.trainHead()}
      >
        Train the head
      </button>
    </div>
    <p class="note">
      A new
      ${el.head.hidden ? `dense ${el.head.hidden} (ReLU) → ` : ''}${el.head.dropout ? `dropout ${el.head.dropout} → ` : ''}dense
      ${el.classes.length} (softmax) on the 1,280 features; the base stays frozen. Adam, batch 16.
    </p>
    <convplay-curves data-plot="head" .config=${epochCurves} ?hidden=${!el.charted.head}></convplay-curves>
    ${
      r
        ? html`<p class="big" data-head-result>
              test accuracy <span data-test-accuracy>${pct(r.test.accuracy)}</span> · validation ${pct(r.val)}
            </p>
            <convplay-confusion
              .matrix=${r.test.matrix}
              .labels=${el.classes.map((c) => c.name)}
              corner="true ↓ / predicted →"
            ></convplay-confusion>`
        : nothing
    }`;
}
