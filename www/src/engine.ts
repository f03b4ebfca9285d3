// The typed TypeScript face of the wasm engine on the main thread. The API's worker uses the
// wasm objects it owns (Trainer) directly; see docs/design.md, "The path of a call".

import type { StepProfile } from './api/profile';
import init, {
  Engine as WasmEngine,
  summarize as wasmSummarize,
  fitCheck as wasmFitCheck,
  presetSpec as wasmPresetSpec,
  presetNames as wasmPresetNames,
} from '../pkg/convplay.js';
import type { FitCheck, Summary } from './types';
import { assetBase, WASM_FILE } from './assets';

export type BackendChoice = 'auto' | 'webgpu' | 'cpu';

export interface DeviceLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupsPerDimension: number;
}

export interface EngineInfo {
  /** Which backend runs the kernels. */
  kind: 'gpu' | 'cpu';
  /** "webgpu" in the page; "cpu" for the Rust CPU backend. */
  api: string;
  /** The adapter's name, e.g. "google swiftshader" or "CPU (Rust)". */
  adapter: string;
  deviceType: string;
  driver: string;
  /** Set when "auto" was asked for and the engine fell back to the CPU. */
  fallbackReason: string | null;
  limits: DeviceLimits | null;
  /** Whether the GPU runs WGSL with f16 (WebGPU's `shader-f16`): models may keep f16 activations. */
  shaderF16: boolean;
  /** Whether models built now keep f16 activations (a model asks for them with `activations`). */
  f16Activations: boolean;
}

let wasmReady: Promise<void> | null = null;

/** Loads and instantiates the wasm module once per page. */
export function loadWasm(): Promise<void> {
  // Under an asset base (an embedding or an npm install) the wasm is the copy in that folder;
  // in the playground, where the bundle put it.
  const base = assetBase();
  wasmReady ??= init(base ? { module_or_path: new URL(WASM_FILE, base) } : undefined).then(() => undefined);
  return wasmReady;
}

export function parseBackendChoice(value: string | null): BackendChoice {
  if (value === null || value === '' || value === 'auto') return 'auto';
  if (value === 'webgpu' || value === 'gpu') return 'webgpu';
  if (value === 'cpu') return 'cpu';
  throw new Error(`unknown backend "${value}": use "auto", "webgpu" or "cpu"`);
}

/** Browsers hide the adapter name from wgpu; ask WebGPU for its description. */
async function describeWebGpuAdapter(): Promise<string> {
  const gpu = (
    navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }
  ).gpu;
  const adapter = await gpu?.requestAdapter();
  const info = adapter?.info;
  if (!info) return 'WebGPU adapter';
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length > 0 ? parts.join(' ') : 'WebGPU adapter';
}

export class ConvPlayEngine {
  private constructor(
    private readonly inner: WasmEngine,
    readonly info: EngineInfo,
  ) {}

  /** Creates an engine. "auto" tries WebGPU and falls back to the CPU, saying why. */
  static async create(backend: BackendChoice = 'auto'): Promise<ConvPlayEngine> {
    await loadWasm();
    const inner = await WasmEngine.create(backend);
    const info = inner.info() as EngineInfo;
    if (info.api === 'webgpu' && info.adapter === '') {
      info.adapter = await describeWebGpuAdapter();
    }
    return new ConvPlayEngine(inner, info);
  }

  /** The smoke kernel: out[i] = a·x[i] + y[i] on the engine's backend. */
  async saxpy(a: number, x: Float32Array, y: Float32Array): Promise<Float32Array> {
    return this.inner.saxpy(a, x, y);
  }

  /** The wasm-side engine, for the classes that run on it (the API worker's `Trainer`). */
  get raw(): WasmEngine {
    return this.inner;
  }

  /** Builds a spec's model for `batch` on this backend, as training would, and returns the bytes allocated. */
  measureAllocation(specJson: string, batch: number): number {
    return this.inner.measureAllocation(specJson, batch);
  }

  /** Where a GPU training step of a spec at `batch` spends its time, dispatch by dispatch. */
  async profile(specJson: string, batch: number, steps: number): Promise<StepProfile> {
    return (await this.inner.profile(specJson, batch, steps)) as StepProfile;
  }

  /** The GPU's GEMM kernel and how it was chosen; `kernel` ("tiled", "reg" or "lane") forces it first. */
  gemm(kernel?: 'tiled' | 'reg' | 'lane'): string {
    return this.inner.gemm(kernel);
  }

  /** How models built from now on keep their activations, "f32" or "f16"; `precision` sets it
   * first ("f16" needs a GPU with shader-f16, and throws elsewhere saying so). */
  activations(precision?: 'f32' | 'f16'): 'f32' | 'f16' {
    return this.inner.activations(precision) as 'f32' | 'f16';
  }

  /** Builds a model with `precision` activations (undefined: the engine's), the engine's own
   * setting unchanged afterwards. */
  withActivations<T>(precision: 'f32' | 'f16' | null | undefined, build: () => T): T {
    if (!precision) return build();
    const before = this.activations();
    this.activations(precision);
    try {
      return build();
    } finally {
      this.activations(before);
    }
  }

  /** Training images per second of a spec at `batch` on this backend (synthetic data). */
  measureTraining(specJson: string, batch: number, steps: number): Promise<number> {
    return this.inner.measureTraining(specJson, batch, steps);
  }

  /** Frees the wasm-side engine (and its GPU device). */
  dispose(): void {
    this.inner.free();
  }
}

/** Validates a spec and summarises it; throws an Error listing every problem, one per line. */
export async function summarize(specJson: string, batch: number): Promise<Summary> {
  await loadWasm();
  return wasmSummarize(specJson, batch) as Summary;
}

/** Will training fit in `budgetBytes` (and the device's buffer limits, when given)? */
export async function fitCheck(
  specJson: string,
  batch: number,
  budgetBytes: number,
  limits: DeviceLimits | null,
): Promise<FitCheck> {
  await loadWasm();
  return wasmFitCheck(
    specJson,
    batch,
    budgetBytes,
    limits?.maxBufferSize ?? 0,
    limits?.maxStorageBufferBindingSize ?? 0,
  ) as FitCheck;
}

export async function presetSpec(name: string): Promise<string> {
  await loadWasm();
  return wasmPresetSpec(name);
}

export async function presetNames(): Promise<string[]> {
  await loadWasm();
  return wasmPresetNames();
}
