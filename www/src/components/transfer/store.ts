// What <convplay-transfer> keeps in this browser's IndexedDB (through idb-keyval) between
// visits: the classes with their photos as JPEGs (saved a moment after the last change), and
// the last new model as int8 safetensors with its labels.

import { get, set, del } from 'idb-keyval';
import { MAX_CLASSES, MIN_CLASSES, className, makeSample, type Sample, type TaughtClass } from './photos';

const SET_KEY = 'convplay:teach-set';
const MODEL_KEY = 'convplay:taught-model';
/** How long after the last change the classes are written. */
const SAVE_DELAY_MS = 300;

/** The classes and their photos as kept in IndexedDB. */
interface SavedSet {
  classes: { name: string; samples: { source: string; jpeg: Blob }[] }[];
}

/** The kept new model. */
export interface KeptModel {
  labels: string[];
  testAccuracy: number | null;
  savedAt: string;
  weights: Uint8Array;
}

/** The kept classes and photos: `save` after each change, `restore` on a visit, `clear` to forget. */
export class PhotoStore {
  private timer: number | null = null;

  /** Writes `classes` a moment from now (a later call replaces an earlier one still waiting);
   * `onError` hears why it could not be written. */
  save(classes: TaughtClass[], onError: (message: string) => void): void {
    this.cancel();
    this.timer = window.setTimeout(() => {
      this.timer = null;
      const saved: SavedSet = {
        classes: classes.map((c) => ({
          name: c.name,
          samples: c.samples.map((s) => ({ source: s.source, jpeg: s.jpeg })),
        })),
      };
      set(SET_KEY, saved).catch((e: unknown) =>
        onError(`the photos could not be kept in this browser: ${(e as Error).message}`),
      );
    }, SAVE_DELAY_MS);
  }

  /** Drops a save still waiting. */
  cancel(): void {
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
  }

  /** The classes and photos of the last visit (at least two classes; photos the browser can no
   * longer decode are left out), or null when none were kept. */
  async restore(): Promise<{ classes: TaughtClass[]; count: number } | null> {
    const saved = await get<SavedSet>(SET_KEY).catch(() => undefined);
    if (!saved?.classes?.length) return null;
    const classes: TaughtClass[] = [];
    let count = 0;
    for (const c of saved.classes.slice(0, MAX_CLASSES)) {
      const samples: Sample[] = [];
      for (const s of c.samples) {
        try {
          samples.push(await makeSample(await createImageBitmap(s.jpeg), s.source, s.jpeg));
        } catch {
          // A photo the browser can no longer decode is left out.
        }
      }
      count += samples.length;
      classes.push({ name: c.name, samples });
    }
    while (classes.length < MIN_CLASSES) classes.push({ name: className(classes.length), samples: [] });
    return { classes, count };
  }

  /** Forgets the kept classes and photos (and drops a save still waiting). */
  async clear(): Promise<void> {
    this.cancel();
    await del(SET_KEY).catch(() => {});
  }
}

/** The kept new model, or undefined. */
export function keptModel(): Promise<KeptModel | undefined> {
  return get<KeptModel>(MODEL_KEY);
}

export function keepModel(model: KeptModel): Promise<void> {
  return set(MODEL_KEY, model);
}

export function forgetModel(): Promise<void> {
  return del(MODEL_KEY);
}
