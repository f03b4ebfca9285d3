// <convplay-best>: the best MNIST accuracy ConvPlay reaches with its own training (the
// mnist-best preset), checked in the page. The trained models listed in
// models/mnist-best.json are fetched when the learner asks, never before, then each one and
// their ensemble (the mean of their softmax outputs) are evaluated on MNIST's test digits in
// the engine's worker. `count` limits the test digits (default: all 10,000).

import { LitElement, css, html, nothing } from 'lit';
import { sharedEngine } from '../api/index';
import { evaluateEnsemble, type EnsembleMember } from '../api/ensemble';
import { loadMnist } from '../mnist';
import { assetUrl } from '../assets';

/** models/mnist-best.json: the ensemble's members (files next to it) and what the CLI measured. */
interface Manifest {
  members: string[];
  measured: { test_accuracy: number; members: number[]; note: string };
}

export class ConvplayBest extends LitElement {
  static properties = {
    count: { type: Number },
    status: { state: true },
    members: { state: true },
    result: { state: true },
    manifest: { state: true },
    busy: { state: true },
  };

  declare count: number;
  declare status: string;
  declare members: EnsembleMember[];
  declare result: number | null;
  declare manifest: Manifest | null;
  declare busy: boolean;

  constructor() {
    super();
    this.count = 10000;
    this.status = '';
    this.members = [];
    this.result = null;
    this.manifest = null;
    this.busy = false;
  }

  static styles = css`
    :host {
      display: block;
      font-size: 0.9rem;
    }
    table {
      border-collapse: collapse;
      margin: 0.5rem 0;
    }
    td,
    th {
      padding: 0.2rem 0.6rem;
      text-align: left;
      border-bottom: 1px solid var(--cp-border, #dde1ea);
    }
    td.num {
      text-align: right;
      font-variant-numeric: tabular-nums;
    }
    .ensemble td {
      font-weight: bold;
    }
    .error {
      color: var(--cp-error, #b00020);
    }
  `;

  private async fetchManifest(): Promise<Manifest> {
    const url = assetUrl('models/mnist-best.json');
    const response = await fetch(url);
    if (!response.ok)
      throw new Error(
        `could not fetch ${url}: HTTP ${response.status}; check that models/ is deployed next to the page`,
      );
    return (await response.json()) as Manifest;
  }

  /** Fetches the models and the test digits, and evaluates each model and the ensemble. */
  async evaluate(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.members = [];
    this.result = null;
    try {
      this.status = 'fetching the models…';
      const manifest = (this.manifest ??= await this.fetchManifest());
      const { images, labels } = await loadMnist('t10k');
      const n = Math.max(1, Math.min(Math.floor(this.count) || 10000, images.count));
      const pixels = new Uint8Array(n * 784);
      for (let i = 0; i < n; i++) pixels.set(images.image(i), i * 784);
      const data = { images: pixels, labels: labels.slice(0, n) };
      const engine = await sharedEngine();
      const urls = manifest.members.map((m) => assetUrl(`models/${m}`));
      this.status = `evaluating ${urls.length} models on ${n.toLocaleString('en')} test digits…`;
      const r = await evaluateEnsemble(engine, urls, data, {
        onMember: (m) => (this.members = [...this.members, m]),
      });
      this.result = r.accuracy;
      this.status = `done: ${n.toLocaleString('en')} test digits`;
    } catch (e) {
      this.status = `error: ${(e as Error).message}`;
    } finally {
      this.busy = false;
    }
  }

  private pct(a: number): string {
    return `${(100 * a).toFixed(2)}%`;
  }

  render() {
    const m = this.manifest;
    return html`
      <p>
        <button type="button" id="best-evaluate" ?disabled=${this.busy} @click=${() => void this.evaluate()}>
          Evaluate the mnist-best models
        </button>
        <span class="status ${this.status.startsWith('error') ? 'error' : ''}" role="status">${this.status}</span>
      </p>
      ${
        this.members.length
          ? html`<table>
            <tr>
              <th>model</th>
              <th>parameters</th>
              <th>test accuracy</th>
            </tr>
            ${this.members.map(
              (x) =>
                html`<tr>
                  <td>${x.source.split('/').pop()}</td>
                  <td class="num">${x.params.toLocaleString('en')}</td>
                  <td class="num">${this.pct(x.accuracy)}</td>
                </tr>`,
            )}
            ${
              this.result === null
                ? nothing
                : html`<tr class="ensemble">
                  <td>ensemble (mean of the softmax outputs)</td>
                  <td class="num">${this.members.reduce((a, x) => a + x.params, 0).toLocaleString('en')}</td>
                  <td class="num" id="best-accuracy">${this.pct(this.result)}</td>
                </tr>`
            }
          </table>`
          : nothing
      }
      ${m ? html`<p class="hint">Measured by the CLI: ${this.pct(m.measured.test_accuracy)}. ${m.measured.note}</p>` : nothing}
    `;
  }
}

if (!customElements.get('convplay-best')) customElements.define('convplay-best', ConvplayBest);
