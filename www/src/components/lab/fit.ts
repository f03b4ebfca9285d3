// The model lab's "Will it fit?" section and its measurement on the device, and what the lab
// says before "Train this model on MNIST" is pressed. The memory answer leads with the
// textbook figure (parameters, gradients and optimiser state, plus the activations kept for
// backprop) and then what this engine needs and why it is more; figures print in MB with the
// exact bytes on hover (the `title`) and in a details row.

import { html, nothing } from 'lit';
import { fitCheck } from '../../engine';
import { bytes, int, mb } from '../../format';
import type { Bytes, FitCheck, Summary } from '../../types';

/** A figure in MB, the exact bytes (and MiB) on hover. */
export const mbOf = (b: Bytes) => html`<span class="figure" title=${bytes(b)}>${mb(b)}</span>`;

/** What a measurement found: the bytes allocated, or why it failed; `head` when the engine
 * needed a classifier head added to build the model (its estimate, for the comparison). */
export interface Measured {
  bytes: number;
  batch: number;
  error?: string;
  head?: { estimate: number };
}

/** Whether a spec's last layer ends in a softmax (what the engine builds: classifiers). */
function endsInSoftmax(spec: { layers?: { type?: string; activation?: string }[] }): boolean {
  const last = spec.layers?.at(-1);
  return last?.type === 'softmax' || last?.activation === 'softmax';
}

/** The spec with a small classifier head added when it lacks one: a global average pool (for
 * feature maps) and a 2-way dense softmax. The engine trains classifiers only, so a body such as
 * the course's three convs is measured with this head, against that model's estimate. */
export function withHead(specText: string, summary: Summary | null): string | null {
  let spec: { layers?: { type?: string; activation?: string }[] };
  try {
    spec = JSON.parse(specText) as typeof spec;
  } catch {
    return null;
  }
  if (!Array.isArray(spec.layers) || endsInSoftmax(spec)) return null;
  const last = summary?.rows.filter((r) => r.depth === 0).at(-1)?.output ?? summary?.input ?? [];
  if (last.length === 3) spec.layers.push({ type: 'global_avg_pool2d' });
  spec.layers.push({ type: 'dense', units: 2, activation: 'softmax' } as { type: string });
  return JSON.stringify(spec);
}

/** Measures what the engine allocates to train `specText` at `batch` (with a head added when
 * the spec has none). */
export async function measureSpec(
  engine: { measureAllocation(spec: string, batch: number): Promise<number> | number },
  specText: string,
  summary: Summary | null,
  batch: number,
): Promise<Measured> {
  const headed = withHead(specText, summary);
  try {
    if (!headed) return { bytes: await engine.measureAllocation(specText, batch), batch };
    const estimate = (await fitCheck(headed, batch, 1e15, null)).estimate.bytes;
    return { bytes: await engine.measureAllocation(headed, batch), batch, head: { estimate } };
  } catch (e) {
    return { bytes: 0, batch, error: e instanceof Error ? e.message : String(e) };
  }
}

/** "the GPU backend allocated 7,654,888 bytes (7.65 MB) for batch 16: 0.0% from the estimate." */
export function measuredText(kind: 'gpu' | 'cpu' | undefined, m: Measured, estimate: number): string {
  const against = m.head?.estimate ?? estimate;
  const off = ((100 * (m.bytes - against)) / against).toFixed(1);
  const head = m.head
    ? ` with a classifier head added (a global average pool and a 2-way softmax: the engine builds only classifiers, so it measures this body with one)`
    : '';
  return `the ${kind === 'gpu' ? 'GPU' : 'CPU'} backend allocated ${int(m.bytes)} bytes (${(m.bytes / 1e6).toFixed(2)} MB) for batch ${m.batch}${head}: ${off}% from the ${m.head ? `estimate of that model, ${int(against)} bytes` : 'estimate'}.`;
}

/** Why "Train this model on MNIST" will be refused, said before the click; empty when it will not be. */
export function mnistProblem(summary: Summary | null): string {
  if (!summary) return '';
  const input = summary.input;
  if (!['28,28,1', '784'].includes(input.join(',')))
    return `MNIST digits are 28×28×1 (784 values), but this model's input is [${input.join(', ')}]: training it on MNIST will be refused; set "input": [28, 28, 1] to train it.`;
  const out = summary.rows.filter((r) => r.depth === 0).at(-1)?.output ?? [];
  if (out.length !== 1 || out[0] !== 10)
    return `MNIST has 10 classes, but this model ends in [${out.join(', ')}]: end it with {"type": "dense", "units": 10, "activation": "softmax"} to train it.`;
  return '';
}

/** The training memory, textbook first, then the engine's figure explained. */
export function trainingMemory(s: Summary, optimiser: 'adam' | 'sgd' = 'adam') {
  const t = s.training;
  const textbook = optimiser === 'adam' ? t.totalAdam : t.totalSgdMomentum;
  const extra = t.activationGradients.bytes + t.workspace.bytes;
  return html`<p data-textbook>
      <strong>Textbook answer:</strong> the activations kept for backprop, ${mbOf(t.activations)}, plus parameters
      ${mbOf(t.params)} and their gradients ${mbOf(t.gradients)}, plus the optimiser's state (SGD momentum
      ${mbOf(t.sgdMomentumState)}, Adam's m and v ${mbOf(t.adamState)}): with ${optimiser === 'adam' ? 'Adam' : 'SGD'}
      <strong>${mbOf(textbook)}</strong>.
    </p>
    <p data-engine-need>
      <strong>What this engine needs:</strong> ${mbOf(t.engineAdam)} with Adam, ${(extra / 1e6).toFixed(2)} MB more,
      because backprop also holds the gradient of the activations on their way back (${mbOf(t.activationGradients)}:
      two buffers of the largest layer output, used in turn) and a workspace for the kernels (${mbOf(t.workspace)}).
    </p>`;
}

/** The exact bytes of every training figure, folded away. */
export function exactBytes(s: Summary) {
  const t = s.training;
  const rows: [string, Bytes][] = [
    ['activations kept', t.activations],
    ['parameters', t.params],
    ['gradients', t.gradients],
    ['SGD momentum', t.sgdMomentumState],
    ['Adam m, v', t.adamState],
    ['textbook total, SGD', t.totalSgdMomentum],
    ['textbook total, Adam', t.totalAdam],
    ['activation gradients', t.activationGradients],
    ['workspace', t.workspace],
    ['this engine, Adam', t.engineAdam],
    ['f16 activations', t.activationsF16],
    ['Adam with f16 activations', t.totalAdamF16],
    ['this engine, Adam, f16 activations', t.engineAdamF16],
  ];
  return html`<details class="exact">
    <summary>Exact bytes</summary>
    <dl>
      ${rows.map(([k, b]) => html`<dt>${k}</dt><dd>${bytes(b)}</dd>`)}
    </dl>
  </details>`;
}

/** "Will it fit?": the textbook answer, the engine's need against the budget and the device's
 * limits, the fixes, and the measurement. */
export function fitView(
  f: FitCheck | null,
  summary: Summary | null,
  m: Measured | null,
  budgetMb: number,
  kind: 'gpu' | 'cpu' | undefined,
  canMeasure: boolean,
  measure: () => void,
) {
  if (!f) return nothing;
  const limits = f.maxStorageBinding !== null;
  return html`
    <h3>Will it fit?</h3>
    ${summary ? trainingMemory(summary) : nothing}
    <p>
      Training with Adam at batch ${f.batch}, this engine needs <strong title=${bytes(f.estimate)}>${mb(f.estimate)}</strong>:
      <span class="verdict ${f.fitsBudget ? 'ok' : 'bad'}" data-fits-budget=${String(f.fitsBudget)}
        >${f.fitsBudget ? 'fits' : 'does not fit'}</span
      >
      in ${int(budgetMb)} MB. The largest single buffer is ${f.largestBufferLayer}'s output, ${mbOf(f.largestBuffer)};
      ${
        limits
          ? html`this device allows ${(Math.min(f.maxBufferSize ?? 0, f.maxStorageBinding ?? 0) / 1e6).toFixed(2)} MB per
              storage buffer:
              <span class="verdict ${f.fitsLimits ? 'ok' : 'bad'}">${f.fitsLimits ? 'within the limit' : 'over the limit'}</span>.`
          : html`the CPU backend has no per-buffer limit.`
      }
    </p>
    ${summary ? exactBytes(summary) : nothing}
    ${
      f.fixes.length
        ? html`<p>What to change, computed on this model:</p>
            <ul class="fixes">
              ${f.fixes.map((x) => html`<li>${x.change}: ${mb(x.estimate)} — <span class=${x.fits ? 'ok' : 'bad'}>${x.fits ? 'fits' : 'still too big'}</span></li>`)}
            </ul>`
        : nothing
    }
    <p>
      <button @click=${measure} ?disabled=${!canMeasure}>Measure on this device</button>
      ${
        m
          ? m.error
            ? html`<span class="bad">${m.error}</span>`
            : html`<span data-measured=${m.bytes}>${measuredText(kind, m, f.estimate.bytes)}</span>`
          : nothing
      }
    </p>
  `;
}
