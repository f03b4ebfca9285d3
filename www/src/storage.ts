// The last trained model, kept in IndexedDB so that a reload keeps it.
import { get, set } from 'idb-keyval';

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

/** Offers bytes as a file download. */
export function download(bytes: Uint8Array, filename: string): void {
  const url = URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
