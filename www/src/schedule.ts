// Learning-rate schedules, computed on the host between chunks of batches.
import type { TrainSettings } from './train-protocol';

/** Learning rate at `step` of `total` (the same rules as the Rust schedules). */
export function lrAt(s: Pick<TrainSettings, 'lr' | 'schedule'>, step: number, total: number, perEpoch: number): number {
  const frac = Math.min(1, step / Math.max(1, total));
  const cosine = (from: number, to: number, t: number) => to + 0.5 * (from - to) * (1 + Math.cos(Math.PI * t));
  switch (s.schedule) {
    case 'step':
      return s.lr * Math.pow(0.5, Math.floor(step / Math.max(1, perEpoch)));
    case 'cosine':
      return cosine(s.lr, 0, frac);
    case 'onecycle': {
      const start = s.lr / 25;
      return frac < 0.3 ? start + ((s.lr - start) * frac) / 0.3 : cosine(s.lr, start / 1e4, (frac - 0.3) / 0.7);
    }
    default:
      return s.lr;
  }
}
