// Step 3 of <convplay-transfer> on the page: how many augmented copies of each training image,
// and how they vary (random crop, mirror, brightness), with a preview of the first photo's.

import { html, nothing } from 'lit';
import type { AugmentOptions } from '../../transfer';
import type { ConvplayTransfer } from '../convplay-transfer';
import { variantCanvas } from './features';

type Host = Pick<ConvplayTransfer, 'classes' | 'copies' | 'augment' | 'seed' | 'invalidate'>;

export function augmentStep(el: Host) {
  const first = el.classes.flatMap((c) => c.samples)[0];
  const previews = first && el.copies > 0 ? Array.from({ length: Math.min(4, el.copies + 1) }, (_, v) => v) : [];
  const upd = (a: Partial<AugmentOptions>) => {
    el.augment = { ...el.augment, ...a };
    el.invalidate();
  };
  return html`<div class="row">
      <label class="inline"
        >copies per training image
        <input
          type="number"
          min="0"
          max="8"
          aria-label="augmented copies"
          .value=${String(el.copies)}
          @change=${(e: Event) => {
            el.copies = Math.min(8, Math.max(0, Math.floor(Number((e.target as HTMLInputElement).value)) || 0));
            el.invalidate();
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
          .value=${String(Math.round(100 * el.augment.minCrop))}
          @change=${(e: Event) => upd({ minCrop: Math.min(1, Math.max(0.5, Number((e.target as HTMLInputElement).value) / 100)) })}
        />%</label
      >
      <label class="inline"
        ><input
          type="checkbox"
          aria-label="flip"
          .checked=${el.augment.flip}
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
          .value=${String(Math.round(100 * el.augment.brightness))}
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
              const src = variantCanvas(first, v, el);
              c.getContext('2d')?.drawImage(src, 0, 0, 56, 56);
              c.title = v === 0 ? 'as it is (centre crop)' : `augmented copy ${v}`;
              return c;
            })}
          </div>`
        : nothing
    }`;
}
