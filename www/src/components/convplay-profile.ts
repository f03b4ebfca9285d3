// <convplay-profile>: "where does the time go" in a GPU training step. A button profiles the
// model chosen in a <convplay-train> (the `for` attribute names its id; else `preset` and
// `batch` here) on the shared engine: ordinary steps timed (img/s, the CPU's share recording
// and submitting, submissions and bind groups per step), then one step dispatch by dispatch
// (crate/src/backend/gpu/profile.rs), shown per layer with a bar, each dispatch on request.

import { LitElement, css, html, nothing } from 'lit';
import { presetSpec } from '../engine';
import { sharedEngine } from '../api/index';
import { layerTimes, type StepProfile } from '../api/profile';

const ms = (v: number | null) => (v === null || !Number.isFinite(v) ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(0));

export class ConvplayProfile extends LitElement {
  static properties = {
    for: { type: String },
    preset: { type: String },
    batch: { type: Number },
    profile: { state: true },
    status: { state: true },
  };
  declare for: string;
  declare preset: string;
  declare batch: number;
  declare profile: StepProfile | null;
  declare status: string;

  static styles = css`
    :host { display: block; font: inherit; }
    table { border-collapse: collapse; margin-top: 0.5em; }
    td, th { padding: 0.1em 0.6em; text-align: left; }
    td.n { text-align: right; font-variant-numeric: tabular-nums; }
    .bar { display: inline-block; height: 0.7em; background: #4a7fd6; }
    .note { color: #555; }
  `;

  constructor() {
    super();
    this.for = '';
    this.preset = 'seed-001';
    this.batch = 64;
    this.profile = null;
    this.status = '';
  }

  /** The model and batch to profile: the named <convplay-train>'s, else this element's. */
  private target(): { preset: string; batch: number } {
    const t = this.for ? (document.getElementById(this.for) as { preset?: string; batch?: number } | null) : null;
    return { preset: t?.preset ?? this.preset, batch: Math.max(1, Math.floor(t?.batch ?? this.batch) || 1) };
  }

  private async run(): Promise<void> {
    const { preset, batch } = this.target();
    this.status = `profiling ${preset} at batch ${batch} on the GPU (a few training steps)…`;
    try {
      const engine = await sharedEngine();
      if (engine.info.kind !== 'gpu') throw new Error('this engine runs on the CPU: the profile times GPU dispatches');
      this.profile = await engine.profile(await presetSpec(preset), batch, 2);
      this.status = `${preset}, batch ${batch}`;
    } catch (e) {
      this.profile = null;
      this.status = `no profile: ${(e as Error).message}`;
    }
  }

  render() {
    const p = this.profile;
    return html`<button @click=${() => void this.run()}>Where does the time go?</button>
      <span class="note" data-status>${this.status}</span>
      ${
        p
          ? html`<p data-summary>
              ${p.imagesPerSecond.toFixed(1)} img/s: ${ms(p.stepMs)} ms a step, of which ${ms(p.recordMs)} ms on the CPU
              recording and submitting it; per step ${p.submissions.toFixed(0)} submissions, ${p.bindGroupsCreated.toFixed(0)}
              bind groups created, ${p.dispatches} dispatches. GPU time by ${p.method} on ${p.adapter}; GEMM kernel ${p.gemm}.
            </p>
            <table data-layers>
              <thead><tr><th>layer</th><th>GPU ms</th><th>share</th></tr></thead>
              <tbody>
                ${layerTimes(p).map(
                  (l) =>
                    html`<tr><td>${l.layer}</td><td class="n">${ms(l.ms)}</td><td class="n">${(100 * l.share).toFixed(1)}%
                        <span class="bar" style="width:${(100 * l.share).toFixed(1)}px"></span></td></tr>`,
                )}
              </tbody>
            </table>
            <details>
              <summary>each dispatch</summary>
              <table data-dispatches>
                <thead><tr><th>layer</th><th>phase</th><th>kernel</th><th>workgroups</th><th>ms</th></tr></thead>
                <tbody>
                  ${p.kernels.map(
                    (k) =>
                      html`<tr><td>${k.layer}</td><td>${k.phase}</td><td>${k.kernel}</td><td class="n">${k.workgroups}</td><td class="n">${ms(k.ms)}</td></tr>`,
                  )}
                </tbody>
              </table>
            </details>`
          : nothing
      }`;
  }
}

if (!customElements.get('convplay-profile')) customElements.define('convplay-profile', ConvplayProfile);
