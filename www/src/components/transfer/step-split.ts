// Step 2 of <convplay-transfer> on the page: the validation and test percentages (training
// gets the rest) and the seed of the split, with the counts they give.

import { html, nothing } from 'lit';
import type { ConvplayTransfer } from '../convplay-transfer';
import { parts } from './features';

type Host = Pick<ConvplayTransfer, 'classes' | 'fractions' | 'seed' | 'invalidate'>;

export function splitStep(el: Host) {
  let counts: { train: number; val: number; test: number } | null = null;
  try {
    const all = parts(el.classes, el).flat();
    counts = {
      train: all.filter((p) => p === 'train').length,
      val: all.filter((p) => p === 'val').length,
      test: all.filter((p) => p === 'test').length,
    };
  } catch (e) {
    return html`<p class="error">${(e as Error).message}</p>`;
  }
  // One line of text (the test reads it whole): built here, so that formatting cannot wrap it.
  const line = `${counts.train} training, ${counts.val} validation and ${counts.test} test images, split within each class.`;
  const set = (i: number, v: number) => {
    const f = [...el.fractions] as [number, number, number];
    f[i] = v / 100;
    f[0] = Math.max(0, 1 - f[1] - f[2]);
    el.fractions = f;
    el.invalidate();
  };
  return html`<div class="row">
      <span>training <b data-split-train>${Math.round(100 * el.fractions[0])}%</b></span>
      <label class="inline"
        >validation
        <input
          type="number"
          min="0"
          max="45"
          step="5"
          aria-label="validation percent"
          .value=${String(Math.round(100 * el.fractions[1]))}
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
          .value=${String(Math.round(100 * el.fractions[2]))}
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
          .value=${String(el.seed)}
          @change=${(e: Event) => {
            el.seed = Math.max(0, Math.floor(Number((e.target as HTMLInputElement).value)) || 0);
            el.invalidate();
          }}
      /></label>
    </div>
    <p class="note" data-split>${line}</p>
    ${
      counts.test > 0 && counts.test < 20
        ? html`<p class="note">
            With ${counts.test} test image${counts.test === 1 ? '' : 's'}, each one moves the test accuracy by
            ${(100 / counts.test).toFixed(0)} points: add images (about 100 per class) for a figure you can trust.
          </p>`
        : nothing
    }`;
}
