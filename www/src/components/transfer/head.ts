// Step 5 of <convplay-transfer> behind the page: a new head — a small model of its own on the
// base's 1,280 pooled features — trained with `fit` on the cached features (validation rides
// on fit's held-out tail), then scored on the test split.

import type { ConvPlay, FitEpoch, Model } from '../../api/index';
import { headSpec, type HeadOptions, type Plan } from '../../transfer';
import { outcome, trainVal, type Outcome, type Sets } from './features';

/** Batch size of both training steps. */
export const TRAIN_BATCH = 16;

export interface HeadSettings {
  head: HeadOptions;
  epochs: number;
  lr: number;
  seed: number;
  cpu: boolean;
}

export interface HeadResult {
  test: Outcome;
  /** Validation accuracy after the last epoch (null without a validation part). */
  val: number | null;
  epochs: FitEpoch[];
}

/** Builds and trains the head; `onEpoch` hears every epoch. The caller owns the model. */
export async function trainHead(
  engine: ConvPlay,
  plan: Plan,
  sets: Sets,
  o: HeadSettings,
  onEpoch: (e: FitEpoch) => void,
): Promise<{ model: Model; result: HeadResult }> {
  const model = await engine.model({ spec: headSpec(plan, o.head) }, { batch: TRAIN_BATCH, seed: o.seed, cpu: o.cpu });
  try {
    const data = trainVal(sets, 'pooled');
    const fit = await model.fit(
      { images: data.images, labels: data.labels },
      { epochs: o.epochs, lr: o.lr, optimizer: 'adam', validationSplit: data.split, seed: o.seed, onEpoch },
    );
    const test = await outcome(model, sets, 'pooled', 'test');
    return { model, result: { test, val: fit.epochs[fit.epochs.length - 1]?.valAccuracy ?? null, epochs: fit.epochs } };
  } catch (e) {
    await model.dispose().catch(() => {});
    throw e;
  }
}

/** The line of status an epoch of the head's training shows. */
export function headEpochStatus(e: FitEpoch, epochs: number): string {
  return `head: epoch ${e.epoch} / ${epochs}, loss ${e.loss.toFixed(3)}, training accuracy ${(100 * e.accuracy).toFixed(1)}%${e.valAccuracy === null ? '' : `, validation ${(100 * e.valAccuracy).toFixed(1)}%`}`;
}
