// <convplay-zoo>: the architecture zoo. The classic CNN architectures shrunk for 28×28 inputs
// (www/public/presets/, crate/src/presets.rs ZOO), one row each: parameters and multiply-adds
// (from the summary), the training speed and the test accuracy on MNIST and Fashion-MNIST
// stored in each preset's "results" (measured by `convplay train`, docs/benchmarks.md), the idea
// it introduced, and two actions: open it in the model lab (the `zoo-open` event, detail
// {preset, spec}) and train it on the chosen data set (`zoo-train`, detail {preset, dataset}).
// The page (main.ts) answers both; an embedding page may listen for them too.

import { LitElement, css, html, nothing } from 'lit';
import { presetSpec, summarize } from '../engine';
import { assetUrl } from '../assets';
import { DATA_SETS, DATA_SET_NAMES, isDataSet, type DataSetName } from '../datasets';

/** The zoo's presets in historical order, seed-001 (the course's first CNN) last for reference. */
export const ZOO = [
  'lenet-5',
  'alexnet-mini',
  'alexnet-mini-nolrn',
  'googlenet-mini',
  'resnet-mini',
  'se-resnet-mini',
  'xception-mini',
  'seed-001',
] as const;

/** One stored result of a preset (its spec's "results", keyed by data set; docs/spec.md). */
export interface StoredResult {
  epochs: number;
  /** Training images per epoch, test images (unset: the whole sets). */
  train_images?: number;
  test_images?: number;
  test_accuracy: number;
  img_per_s?: number;
  threads?: number;
  machine?: string;
  seed?: number;
}

export interface ZooRow {
  name: string;
  /** The idea it introduced, in a sentence or two (the preset's description). */
  idea: string;
  params: number;
  macs: number;
  results: Partial<Record<DataSetName, StoredResult>>;
}

/** A preset's row: its JSON (the file the page serves, as the crate holds it) read and
 * summarised, its results taken as stored. */
export async function zooRow(name: string): Promise<ZooRow> {
  const url = assetUrl(`presets/${name}.json`);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not fetch ${url}: HTTP ${response.status}`);
  const json = await response.text();
  const spec = JSON.parse(json) as { description?: string; results?: Record<string, StoredResult> };
  const summary = await summarize(json, 1);
  const results: ZooRow['results'] = {};
  for (const [set, r] of Object.entries(spec.results ?? {})) if (isDataSet(set)) results[set] = r;
  return { name, idea: spec.description ?? '', params: summary.params, macs: summary.macs, results };
}

const n = (v: number) => Math.round(v).toLocaleString('en');
const millions = (v: number) => `${(v / 1e6).toFixed(v < 1e6 ? 2 : 1)} M`;

export class ConvplayZoo extends LitElement {
  static properties = {
    dataSet: { type: String, attribute: 'dataset' },
    rows: { state: true },
    error: { state: true },
  };

  /** The data set "Train" trains on: mnist or fashion-mnist. */
  declare dataSet: string;
  declare rows: ZooRow[];
  declare error: string;

  constructor() {
    super();
    this.dataSet = 'mnist';
    this.rows = [];
    this.error = '';
  }

  static styles = css`
    :host {
      display: block;
    }
    .scroll {
      overflow-x: auto;
      max-width: 100%;
    }
    table {
      border-collapse: collapse;
      width: 100%;
      font-size: 0.9rem;
    }
    th,
    td {
      border-bottom: 1px solid var(--cp-border, #ccc);
      padding: 0.3rem 0.4rem;
      vertical-align: top;
    }
    td.num,
    th.num {
      text-align: right;
      font-variant-numeric: tabular-nums;
      white-space: nowrap;
    }
    td.idea {
      font-size: 0.85rem;
      min-width: 20rem;
      max-width: 36rem;
    }
    .actions button {
      display: block;
      width: 100%;
      margin-bottom: 0.25rem;
    }
    .actions {
      white-space: nowrap;
    }
    .controls {
      display: flex;
      gap: 1rem;
      align-items: center;
      margin-bottom: 0.5rem;
      flex-wrap: wrap;
    }
    .error {
      color: var(--cp-err-fg, #b00020);
    }
    caption {
      caption-side: bottom;
      text-align: left;
      font-size: 0.8rem;
      padding-top: 0.4rem;
    }
  `;

  private markReady: () => void = () => {};
  /** Resolves once every row is read. */
  readonly ready: Promise<void> = new Promise((r) => (this.markReady = r));

  connectedCallback(): void {
    super.connectedCallback();
    if (!this.rows.length) void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.rows = await Promise.all(ZOO.map((name) => zooRow(name)));
    } catch (e) {
      this.error = `the zoo could not be read: ${(e as Error).message}`;
    }
    this.markReady();
  }

  /** The machines and thread counts the stored results were measured with, in words. */
  private measuredOn(): string {
    const seen = new Set<string>();
    for (const row of this.rows)
      for (const r of Object.values(row.results))
        if (r?.machine) seen.add(`${r.machine}${r.threads ? `, ${r.threads} CPU threads` : ''}`);
    return [...seen].join('; ');
  }

  private send(type: 'zoo-open' | 'zoo-train', detail: object): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  private async open(name: string): Promise<void> {
    this.send('zoo-open', { preset: name, spec: await presetSpec(name) });
  }

  private accuracy(row: ZooRow, set: DataSetName) {
    const r = row.results[set];
    if (!r) return html`<td class="num" data-set=${set}>not measured</td>`;
    const on = r.train_images ? ` on ${n(r.train_images)} training images` : '';
    const of = r.test_images ? `, tested on ${n(r.test_images)}` : '';
    const seed = r.seed === undefined ? '' : `, seed ${r.seed}`;
    const title = `after ${r.epochs} epoch${r.epochs === 1 ? '' : 's'}${on}${of}${seed}`;
    return html`<td class="num" data-set=${set} title=${title}>
      ${(100 * r.test_accuracy).toFixed(2)}% <small>(${r.epochs} ep.${r.train_images ? ` × ${n(r.train_images)}` : ''})</small>
    </td>`;
  }

  render() {
    const chosen = isDataSet(this.dataSet) ? this.dataSet : 'mnist';
    const speed = (row: ZooRow) => row.results.mnist?.img_per_s ?? row.results['fashion-mnist']?.img_per_s;
    return html`
      <div class="controls">
        <label
          >Train on
          <select
            aria-label="zoo data set"
            @change=${(e: Event) => (this.dataSet = (e.target as HTMLSelectElement).value)}
          >
            ${DATA_SET_NAMES.map((d) => html`<option value=${d} ?selected=${d === chosen}>${DATA_SETS[d].title}</option>`)}
          </select>
        </label>
        ${this.error ? html`<span class="error" role="alert">${this.error}</span>` : nothing}
      </div>
      <div class="scroll">
      <table data-zoo>
        <thead>
          <tr>
            <th>architecture</th>
            <th class="num">parameters</th>
            <th class="num">multiply-adds</th>
            <th class="num">training img/s</th>
            <th class="num">MNIST test</th>
            <th class="num">Fashion-MNIST test</th>
            <th>the idea it introduced</th>
            <th>try it</th>
          </tr>
        </thead>
        <tbody>
          ${this.rows.map(
            (row) =>
              html`<tr data-preset=${row.name}>
                <th scope="row">${row.name}</th>
                <td class="num">${n(row.params)}</td>
                <td class="num">${millions(row.macs)}</td>
                <td class="num">${speed(row) ? n(speed(row) ?? 0) : '–'}</td>
                ${this.accuracy(row, 'mnist')} ${this.accuracy(row, 'fashion-mnist')}
                <td class="idea">${row.idea}</td>
                <td class="actions">
                  <button @click=${() => void this.open(row.name)}>Open in the model lab</button>
                  <button data-train @click=${() => this.send('zoo-train', { preset: row.name, dataset: chosen })}>
                    Train on ${DATA_SETS[chosen].title}
                  </button>
                </td>
              </tr>`,
          )}
        </tbody>
        <caption>
          Stored with each preset, measured by <code>convplay train --spec NAME --dataset SET</code>: the preset's
          recipe for the epochs × training images shown, tested on all 10,000 test images, on the native CPU backend${this.measuredOn() ? ` (${this.measuredOn()})` : ''}.
          The speeds were taken on a shared, busy machine: read them as rough ratios, not as this computer's figures.
        </caption>
      </table>
      </div>
    `;
  }
}

if (!customElements.get('convplay-zoo')) customElements.define('convplay-zoo', ConvplayZoo);

declare global {
  interface HTMLElementTagNameMap {
    'convplay-zoo': ConvplayZoo;
  }
}
