// <convplay-train>'s checkpoints: the weights of the run in progress written to IndexedDB at
// each epoch's end and on pausing (in order, one write at a time), read back after a crash of
// the engine or a reload to offer them, and removed when the run ends with its model kept.

import type { FitCheckpoint, FitEpoch } from '../../api/index';
import { clearCheckpoint, loadCheckpoint, saveCheckpoint, type Checkpoint, type SavedModel } from '../../storage';
import { checkpointLabel } from './results';

export class CheckpointKeeper {
  /** The writes so far, chained: a read waits for them. */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly problem: (message: string) => void) {}

  /** Keeps the run's weights (and its epochs so far, without their test evaluations). */
  keep(name: string, c: FitCheckpoint, epochs: FitEpoch[], testImages: number): void {
    const kept: Checkpoint = {
      name,
      epoch: c.epoch,
      reason: c.reason,
      step: c.step,
      totalSteps: c.totalSteps,
      epochs: epochs.map((e) => ({ ...e, test: null })),
      testImages,
      savedAt: new Date().toISOString(),
      weights: c.weights,
    };
    this.writing = this.writing
      .then(() => saveCheckpoint(kept))
      .catch((e: unknown) => this.problem(`could not keep a checkpoint in this browser: ${(e as Error).message}`));
  }

  /** The checkpoint kept, once the writes in progress have landed. */
  async offered(): Promise<Checkpoint | null> {
    await this.writing;
    return (await loadCheckpoint().catch(() => undefined)) ?? null;
  }

  /** Removes it (the run ended and its model is kept, or the user discarded it). */
  clear(): void {
    this.writing = this.writing.then(() => clearCheckpoint()).catch(() => {});
  }
}

/** What the element says when the engine stopped under its run. */
export function crashNotice(reason: string, offered: Checkpoint | null): string {
  const back = offered
    ? `your model from ${checkpointLabel(offered)} is offered back.`
    : 'no epoch had finished, so there is no checkpoint to offer: train again.';
  return `The engine stopped (${reason}). It was restarted; ${back}`;
}

/** What the element says after a reload when a run did not end. */
export function unfinishedNotice(offered: Checkpoint): string {
  return `A training run of ${offered.name} did not finish (the page was closed or the engine stopped); ${checkpointLabel(offered)} was kept.`;
}

/** What a stopped run keeps: its last finished epoch's model (the page then reads with it), or
 * when no epoch finished, nothing — the half-trained model is offered, kept only on request. */
export function afterStop(
  name: string,
  epochWeights: { epoch: number; weights: Uint8Array } | null,
  epochs: FitEpoch[],
  at: { step: number; totalSteps: number },
  weights: Uint8Array,
): { kept: SavedModel | null; halfTrained: { name: string; weights: Uint8Array } | null; note: string } {
  const savedAt = new Date().toISOString();
  if (epochWeights) {
    const e = epochWeights.epoch;
    const kept = `${name} (epoch ${e})`;
    return {
      kept: { name: kept, testAccuracy: epochs[e - 1]?.testAccuracy ?? null, savedAt, weights: epochWeights.weights },
      halfTrained: null,
      note: `Stopped in epoch ${e + 1}: the model as it was after epoch ${e} is kept (${kept}), and the drawing pad reads with it.`,
    };
  }
  if (at.step === 0)
    return {
      kept: null,
      halfTrained: null,
      note: 'Stopped before the first step: nothing was trained or kept, and the drawing pad keeps its model.',
    };
  return {
    kept: null,
    halfTrained: { name: `${name} (stopped at step ${at.step} of ${at.totalSteps})`, weights },
    note: `Stopped in epoch ${epochs.length + 1}, before any epoch finished: the half-trained model is not kept, and the drawing pad keeps its model.`,
  };
}
