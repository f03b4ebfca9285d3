// Training in chunks of batches, for the engine worker's training loop (api/fit.ts):
// each chunk is sized to take about `targetMs` (growing at most twofold at a time, so a
// curve starts with detail), and its metrics are read back once. On a GPU, reading them
// back waits for the device to finish; left at that, the device would then idle until the
// next chunk is recorded and submitted (tens of milliseconds on an emulated GPU in the
// page). With `ahead`, each report is taken by `trainAndReport`, which records the next
// chunk before it waits, so the device is never left without work between chunks.

import type { Trainer } from '../pkg/convplay.js';

export interface ChunkReport {
  /** Batches of the epoch done so far. */
  done: number;
  /** Batches this chunk ran. */
  steps: number;
  loss: number;
  accuracy: number;
  imagesPerSec: number;
}

/** One epoch's chunks and their running totals. Call `startEpoch` on the trainer first. */
export class EpochChunks {
  private chunk = 1;
  private lossSum = 0;
  private correct = 0;
  private seen = 0;
  done = 0;

  /** With `ahead`: the chunk recorded and not yet reported (its end, size and start time). */
  private pending: { done: number; size: number; since: number } | null = null;

  constructor(
    private readonly trainer: Trainer,
    private readonly targetMs = 200,
    private readonly ahead = false,
  ) {}

  /** Runs the next chunk, each batch at its rate from the trainer's schedule (`setSchedule`),
   * and reports it; with `ahead`, reports the chunk recorded last time and records the next. */
  async next(): Promise<ChunkReport> {
    return this.ahead ? this.nextAhead() : this.nextDrained();
  }

  private async nextAhead(): Promise<ChunkReport> {
    this.pending ??= { done: this.trainer.trainBatches(this.chunk), size: this.chunk, since: performance.now() };
    const p = this.pending;
    const before = this.done;
    const [loss, accuracy, n, done] = await this.trainer.trainAndReport(this.chunk);
    const now = performance.now();
    const ms = now - p.since;
    this.pending = done > p.done ? { done, size: this.chunk, since: now } : null;
    this.resize(p.size, ms);
    this.done = p.done;
    return this.add(before, loss, accuracy, n, ms);
  }

  private async nextDrained(): Promise<ChunkReport> {
    const c0 = performance.now();
    const before = this.done;
    this.done = this.trainer.trainBatches(this.chunk);
    const [loss, accuracy, n] = await this.trainer.takeMetrics();
    const ms = performance.now() - c0;
    this.resize(this.chunk, ms);
    return this.add(before, loss, accuracy, n, ms);
  }

  /** The next chunk's size from the last one's (`size` batches in `ms`). */
  private resize(size: number, ms: number) {
    this.chunk = Math.max(1, Math.min(64, 2 * this.chunk, Math.round((size * this.targetMs) / Math.max(1, ms))));
  }

  private add(before: number, loss: number, accuracy: number, n: number, ms: number): ChunkReport {
    this.lossSum += loss * n;
    this.correct += accuracy * n;
    this.seen += n;
    return { done: this.done, steps: this.done - before, loss, accuracy, imagesPerSec: (n / ms) * 1000 };
  }

  /** Mean loss and accuracy over the epoch so far. */
  get totals(): { loss: number; accuracy: number } {
    return { loss: this.lossSum / Math.max(1, this.seen), accuracy: this.correct / Math.max(1, this.seen) };
  }
}
