// Where a training step's time goes (the engine's GPU profile, crate/src/backend/gpu/profile.rs)
// and the "auto" backend choice made by measuring both backends. Pure: no worker, no wasm.

/** One dispatch of a profiled step. */
export interface DispatchTime {
  /** The layer it works for (a parameter's name for the optimiser), or "loss", "input". */
  layer: string;
  /** "forward", "backward", "loss", "optimizer" or "augment". */
  phase: string;
  /** `shader/entry` (GEMMs with their mode). */
  kernel: string;
  workgroups: number;
  /** The device's time for it; NaN (null over the wire) when it could not be timed. */
  ms: number | null;
}

/** A training step on the GPU, where its time goes. */
export interface StepProfile {
  adapter: string;
  /** The GEMM kernel the products ran with and how it was chosen ("reg (timed at start-up: …)"). */
  gemm: string;
  /** "timestamp queries" or "completion times (one submission per dispatch)". */
  method: string;
  batch: number;
  stepsTimed: number;
  /** Ordinary steps: wall time each, the CPU's share recording and submitting, img/s. */
  stepMs: number;
  recordMs: number;
  imagesPerSecond: number;
  submissions: number;
  bindGroupsCreated: number;
  dispatches: number;
  kernels: DispatchTime[];
  /** The dispatches' device time in all. */
  gpuMs: number;
}

/** Device time per layer (a parameter's optimiser step counts to its layer), in order. */
export function layerTimes(p: StepProfile): { layer: string; ms: number; share: number }[] {
  const out = new Map<string, number>();
  for (const k of p.kernels) {
    const layer = k.phase === 'optimizer' ? k.layer.replace(/\/[^/]*$/, '') : k.layer;
    out.set(layer, (out.get(layer) ?? 0) + (k.ms ?? 0));
  }
  const total = p.gpuMs > 0 ? p.gpuMs : 1;
  return [...out].map(([layer, ms]) => ({ layer, ms, share: ms / total }));
}

/** Training images per second measured on each backend (or given by a test). */
export interface Speeds {
  gpu: number;
  cpu: number;
}

/** The backend "auto" trains on, the measurement behind it, and the badge's words. */
export interface BackendDecision extends Speeds {
  backend: 'gpu' | 'cpu';
  /** E.g. "CPU: 40× faster than this GPU here". */
  note: string;
}

function times(r: number): string {
  return r >= 10 ? `${Math.round(r)}×` : `${r.toFixed(1)}×`;
}

/** The faster backend by measurement (a tie keeps the GPU), and how much faster. */
export function decideBackend(s: Speeds): BackendDecision {
  const ok = (v: number) => Number.isFinite(v) && v > 0;
  if (!ok(s.gpu) && !ok(s.cpu)) return { ...s, backend: 'gpu', note: 'WebGPU (no measurement)' };
  if (!ok(s.gpu)) return { ...s, backend: 'cpu', note: 'CPU: the GPU could not be measured here' };
  if (!ok(s.cpu) || s.gpu >= s.cpu)
    return { ...s, backend: 'gpu', note: `WebGPU: ${ok(s.cpu) ? times(s.gpu / s.cpu) : '–'} faster than the CPU here` };
  return { ...s, backend: 'cpu', note: `CPU: ${times(s.cpu / s.gpu)} faster than this GPU here` };
}
