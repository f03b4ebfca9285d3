// Step 6 of <convplay-transfer> behind the page: fine-tuning. The top part of the base — from
// the cached cut to the pool, with the blocks below the chosen one frozen and every batch norm
// in inference mode — plus the trained head becomes a model of its own (topSpec), filled from
// the base and the head by name, and trains on the cached cut outputs at a low learning rate.

import type { ConvPlay, FitEpoch, FitProgress, Model } from '../../api/index';
import { topSpec, type HeadOptions, type Plan, type SpecJson } from '../../transfer';
import { outcome, trainVal, type Outcome, type Sets } from './features';
import { TRAIN_BATCH } from './head';

export interface FineSettings {
  head: HeadOptions;
  /** The top-level index of the lowest block that trains (one of the plan's points). */
  from: number;
  epochs: number;
  lr: number;
  seed: number;
  cpu: boolean;
}

export interface FineResult {
  before: Outcome;
  after: Outcome;
  valBefore: number | null;
  valAfter: number | null;
  epochs: FitEpoch[];
}

/** Builds the top part from `base` and `head`, scores it, fine-tunes it and scores it again.
 * The caller owns the returned model. */
export async function fineTune(
  engine: ConvPlay,
  base: { model: Model; spec: SpecJson; plan: Plan },
  head: Model,
  sets: Sets,
  o: FineSettings,
  on: { epoch: (e: FitEpoch) => void; progress: (p: FitProgress) => void },
): Promise<{ model: Model; result: FineResult }> {
  const top = topSpec(base.spec, base.model.info.layerNames, base.plan, o.from, o.head);
  const model = await engine.model({ spec: top }, { batch: TRAIN_BATCH, seed: o.seed, cpu: o.cpu });
  try {
    // The top starts from the base's blocks and the head just trained.
    await model.copyWeightsFrom(base.model);
    await model.copyWeightsFrom(head);
    const before = await outcome(model, sets, 'cut', 'test');
    const valBefore = sets.val.labels.length ? (await outcome(model, sets, 'cut', 'val')).accuracy : null;
    const data = trainVal(sets, 'cut');
    const fit = await model.fit(
      { images: data.images, labels: data.labels },
      {
        epochs: o.epochs,
        lr: o.lr,
        optimizer: 'adam',
        validationSplit: data.split,
        seed: o.seed + 1,
        onEpoch: on.epoch,
        onProgress: on.progress,
      },
    );
    const after = await outcome(model, sets, 'cut', 'test');
    const valAfter = fit.epochs[fit.epochs.length - 1]?.valAccuracy ?? null;
    return { model, result: { before, after, valBefore, valAfter, epochs: fit.epochs } };
  } catch (e) {
    await model.dispose().catch(() => {});
    throw e;
  }
}

/** The line of status an epoch of fine-tuning shows. */
export function fineEpochStatus(e: FitEpoch, epochs: number): string {
  return `fine-tuning: epoch ${e.epoch} / ${epochs}, loss ${e.loss.toFixed(3)}${e.valAccuracy === null ? '' : `, validation ${(100 * e.valAccuracy).toFixed(1)}%`}`;
}

/** The line of status a step of fine-tuning shows. */
export function fineProgressStatus(p: FitProgress): string {
  return `fine-tuning: epoch ${p.epoch}, step ${p.step} / ${p.totalSteps} (${p.imagesPerSec.toFixed(0)} img/s)`;
}
