// The one training loop, in the engine worker: epochs of chunks of batches (chunks.ts), with
// validation, a test evaluation per epoch, looks inside the model while it trains, and pause,
// resume, stop and abort acting between chunks. `model.fit` of the API runs it, and so does
// every training element of the page.

import { Trainer, segmentIou } from '../../pkg/convplay.js';
import { EpochChunks } from '../chunks';
import { summarize } from '../engine';
import { Replicas, ShardedChunks, pays } from './replicas';
import { describe, load, perInstance, type HeldModel } from './held';
import type { Data } from './data';
import type {
  Evaluation,
  FitControl,
  FitEvent,
  FitOptionsWire,
  FitResult,
  Mistake,
  ModelInfo,
  SegmentIou,
} from './protocol';
import type { InsideData } from '../types';

export class AbortError extends Error {
  name = 'AbortError';
}

/** The state a running fit reads between chunks, set by control messages. */
export class Control {
  paused = false;
  stopped = false;
  aborted: string | null = null;
  look: Uint8Array | Float32Array | null = null;
  private wake: (() => void) | null = null;

  apply(c: FitControl): void {
    if (c.action === 'pause') this.paused = true;
    else if (c.action === 'resume') this.paused = false;
    else if (c.action === 'stop') this.stopped = true;
    else if (c.action === 'abort') this.aborted ??= '';
    else this.look = c.input;
    if (c.action !== 'pause') this.wake?.();
  }

  abort(reason: string): void {
    this.aborted ??= reason;
    this.wake?.();
  }

  /** Waits until resumed, stopped or aborted. */
  waitWhilePaused(): Promise<void> {
    return new Promise<void>((r) => (this.wake = r)).then(() => {
      this.wake = null;
    });
  }
}

/** Checks that `d` holds whole instances for the model; returns how many. */
function checkFits(info: ModelInfo, d: Data, what: string): number {
  const per = perInstance(info);
  const lp = info.positions;
  const n = d.labels.length / lp;
  if (d.labels.length === 0 || !Number.isInteger(n) || d.images.length !== n * per) {
    const shape = d.shape ? ` (${d.shape.join('×')} each)` : '';
    const labels = lp > 1 ? `a map of ${lp} labels (one per output position) and ${per} values` : `${per} values`;
    throw new Error(
      `${what}: ${d.images.length} values for ${d.labels.length} labels${shape}, but ${info.name} takes ${labels} per instance ([${info.input.join(', ')}]); pass data that belongs to this model`,
    );
  }
  return n;
}

/** Accuracy, predictions, confusion matrix and the first `mistakes` misclassified instances. */
export async function evaluateOn(
  trainer: Trainer,
  info: ModelInfo,
  d: Data,
  mistakes: number,
  what: string,
  split: Replicas | null = null,
): Promise<Evaluation> {
  checkFits(info, d, what);
  let accuracy: number;
  let predictions: Uint8Array;
  const maps = info.positions > 1;
  if (split && !maps && d.labels.length >= split.threads) {
    // Each worker predicts a slice; accuracy as the Rust side computes it (f32).
    predictions = await split.predictions(trainer, d);
    accuracy = Math.fround(predictions.filter((p, i) => p === d.labels[i]).length / d.labels.length);
  } else {
    load(trainer, 'eval', d.images, d.labels);
    accuracy = await trainer.evaluate();
    predictions = trainer.lastPredictions();
  }
  const classes = trainer.classes;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const wrong: Mistake[] = [];
  const per = perInstance(info);
  predictions.forEach((p, i) => {
    const label = d.labels[i];
    confusion[label][p] += 1;
    if (!maps && p !== label && wrong.length < mistakes)
      wrong.push({ index: i, label, predicted: p, input: d.images.slice(i * per, (i + 1) * per) });
  });
  // A segmentation model: the confusion counts positions, and IoU per class (crate/src/train/iou.rs).
  const iou = maps ? (segmentIou(predictions, d.labels, classes) as SegmentIou) : null;
  return { accuracy, predictions, confusion, mistakes: wrong, iou };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

/** Trains `m` on `d` as `o` says, posting events; resolves with the epochs done. */
export async function fit(
  m: HeldModel,
  d: Data,
  o: FitOptionsWire,
  control: Control,
  post: (e: FitEvent) => void,
  test: Data | null,
  threads = 1,
): Promise<FitResult> {
  const count = checkFits(m.info, d, 'fit');
  if (test) checkFits(m.info, test, 'fit: the test data');
  const per = perInstance(m.info);
  if (o.look?.input && o.look.input.length !== per)
    throw new Error(`fit: the look input has ${o.look.input.length} values; ${m.info.name} takes ${per}`);
  const batch = o.batch;
  if (batch && batch !== m.info.batch) {
    // Rebuilt for the new batch size with the weights it has, on the engine it was created on,
    // keeping its activations' precision.
    const bytes = await m.trainer.save();
    const trainer = m.engine.withActivations(m.info.activations, () => Trainer.fromWeights(m.engine.raw, bytes, batch));
    m.trainer.free();
    m.trainer = trainer;
    m.info = describe(trainer, m.info.id, batch, m.engine);
  }
  const { trainer, info } = m;
  trainer.setOptimizer(o.optimizer, o.weightDecay);
  trainer.setAugment(o.augment.shift, o.augment.rotateDeg, o.augment.scale);
  // Labels per instance: one, or a label map for a model that ends in a map.
  const lp = info.positions;
  const nVal = Math.floor(count * o.validationSplit);
  const nTrain = count - nVal;
  if (nTrain < 1)
    throw new Error(
      `no training images left after a validation split of ${o.validationSplit}; use more images or a smaller split`,
    );
  const train = { images: d.images.subarray(0, nTrain * per), labels: d.labels.subarray(0, nTrain * lp) };
  load(trainer, 'train', train.images, train.labels);
  const val: Data = { ...d, images: d.images.subarray(nTrain * per), labels: d.labels.subarray(nTrain * lp) };
  const perEpoch = Math.ceil(nTrain / info.batch);
  const total = perEpoch * o.epochs;
  trainer.setSchedule(o.schedule, o.lr, total, perEpoch);

  control.look ??= o.look?.input ?? null;
  let lastLook = 0;
  // A look inside at a modest rate: about every `everyMs` of training, and after each epoch.
  const look = async (step: number, force: boolean) => {
    const input = control.look;
    if (!o.look || !input || (!force && performance.now() - lastLook < o.look.everyMs)) return;
    const x = input instanceof Float32Array ? input : Float32Array.from(input, (v) => v / 255);
    const data = (await trainer.inspect(x)) as InsideData;
    post({ kind: 'look', look: { data, input, step } });
    lastLook = performance.now();
  };
  const checkAbort = (step: number) => {
    if (control.aborted !== null)
      throw new AbortError(
        control.aborted || `fit aborted at step ${step} of ${total}; the model keeps the weights it had reached`,
      );
  };

  // On the CPU, each batch split across `threads` workers when the model's work pays for it.
  const split =
    info.backend === 'cpu' && lp === 1 && pays(threads, (await summarize(info.spec, info.batch)).flops, info.batch)
      ? await Replicas.start(threads - 1, {
          spec: info.spec,
          batch: Math.ceil(info.batch / threads),
          augment: o.augment,
          // Copies of the slices: posting a view would copy its whole buffer (all of MNIST).
          images: train.images.slice(),
          labels: train.labels.slice(),
        })
      : null;
  try {
    const epochs = [];
    let step = 0;
    // The weights to keep, when asked: at each epoch's end and on pausing (a crash loses nothing more).
    const checkpoint = async (reason: 'epoch' | 'pause') => {
      if (!o.checkpoint) return;
      const weights = await trainer.save();
      post({ kind: 'checkpoint', checkpoint: { epoch: epochs.length, step, totalSteps: total, reason, weights } });
    };
    for (let epoch = 1; epoch <= o.epochs && !control.stopped; epoch++) {
      const t0 = performance.now();
      trainer.startEpoch(o.seed + epoch);
      // On a GPU each report is read while the next chunk runs, and chunks last about half a
      // second (chunks.ts).
      const gpu = info.backend !== 'cpu';
      const chunks = split ? new ShardedChunks(trainer, split) : new EpochChunks(trainer, gpu ? 1000 : 200, gpu);
      while (chunks.done < perEpoch && !control.stopped) {
        // Let control messages in: an await on a settled promise would not.
        await tick();
        checkAbort(step);
        if (control.paused) {
          await checkpoint('pause');
          post({ kind: 'paused' });
          await control.waitWhilePaused();
          continue;
        }
        const lr = trainer.lr;
        const r = await chunks.next();
        step += r.steps;
        post({
          kind: 'progress',
          progress: {
            epoch,
            step,
            totalSteps: total,
            loss: r.loss,
            accuracy: r.accuracy,
            imagesPerSec: r.imagesPerSec,
            lr,
            threads: split?.threads ?? 1,
          },
        });
        await look(step, false);
      }
      checkAbort(step);
      if (control.stopped) break;
      const valAccuracy =
        nVal > 0 ? (await evaluateOn(trainer, info, val, 0, 'fit: validation', split)).accuracy : null;
      const evaluation = test ? await evaluateOn(trainer, info, test, o.mistakes, 'fit: the test data', split) : null;
      await look(step, true);
      const row = {
        epoch,
        ...chunks.totals,
        valAccuracy,
        testAccuracy: evaluation?.accuracy ?? null,
        test: evaluation,
        seconds: (performance.now() - t0) / 1000,
      };
      epochs.push(row);
      post({ kind: 'epoch', epoch: row });
      await checkpoint('epoch');
    }
    return { epochs, stopped: control.stopped };
  } finally {
    split?.release();
  }
}
