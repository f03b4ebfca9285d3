// Training in chunks of batches, for the engine worker's training loop (api/fit.ts):
// each chunk is sized to take about `targetMs` (growing at most twofold at a time, so a
// curve starts with detail), and its metrics are read back once. On a GPU that readback
// waits for the device to finish, which then idles until the next chunk is recorded and
// submitted (tens of milliseconds on an emulated GPU in the page): there chunks of about a
// second keep the gap to a few percent of the time; on the CPU 200 ms gives a finer curve.

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

  constructor(
    private readonly trainer: Trainer,
    private readonly targetMs = 200,
  ) {}

  /** Runs the next chunk, each batch at its rate from the trainer's schedule (`setSchedule`). */
  async next(): Promise<ChunkReport> {
    const c0 = performance.now();
    const before = this.done;
    this.done = this.trainer.trainBatches(this.chunk);
    const [loss, accuracy, n] = await this.trainer.takeMetrics();
    const ms = performance.now() - c0;
    this.chunk = Math.max(1, Math.min(64, 2 * this.chunk, Math.round((this.chunk * this.targetMs) / Math.max(1, ms))));
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
