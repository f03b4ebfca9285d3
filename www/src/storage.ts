// The last trained model, and the checkpoint of a training run in progress, kept in IndexedDB
// so that a reload or a crash of the engine keeps them.
import { del, get, set } from 'idb-keyval';
import type { FitEpoch } from './api/index';

export interface SavedModel {
  name: string;
  testAccuracy: number | null;
  savedAt: string;
  /** A ConvPlay weights file (safetensors). */
  weights: Uint8Array;
}

const KEY = 'convplay:last-model';

export async function saveLastModel(m: SavedModel): Promise<void> {
  await set(KEY, m);
}

export async function loadLastModel(): Promise<SavedModel | undefined> {
  return get<SavedModel>(KEY);
}

/** The weights of a run in progress, written at each epoch's end and on pausing, removed when
 * the run ends (its model is then the last model): what a crash or a reload offers back. */
export interface Checkpoint {
  name: string;
  /** Epochs finished. */
  epoch: number;
  /** Why it was written: an epoch ended, or the run was paused. */
  reason: 'epoch' | 'pause';
  step: number;
  totalSteps: number;
  /** The epochs finished, as the run reported them (without their test evaluation). */
  epochs: FitEpoch[];
  /** The test images the run evaluated on (a restored checkpoint is evaluated on as many). */
  testImages: number;
  savedAt: string;
  weights: Uint8Array;
}

const CHECKPOINT = 'convplay:checkpoint';

function isCheckpoint(v: unknown): v is Checkpoint {
  const c = v as Partial<Checkpoint> | undefined;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.name === 'string' &&
    typeof c.epoch === 'number' &&
    typeof c.testImages === 'number' &&
    Array.isArray(c.epochs) &&
    c.weights instanceof Uint8Array
  );
}

export async function saveCheckpoint(c: Checkpoint): Promise<void> {
  await set(CHECKPOINT, c);
}

/** The kept checkpoint; anything else under its key (an older layout) is dropped. */
export async function loadCheckpoint(): Promise<Checkpoint | undefined> {
  const v = await get<unknown>(CHECKPOINT);
  if (v === undefined) return undefined;
  if (isCheckpoint(v)) return v;
  await del(CHECKPOINT);
  return undefined;
}

export async function clearCheckpoint(): Promise<void> {
  await del(CHECKPOINT);
}

/** Offers bytes as a file download. */
export function download(bytes: Uint8Array, filename: string): void {
  const url = URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
