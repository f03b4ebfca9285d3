// Running a comparison through the public API: every arm in turn on one engine (so each has the whole
// machine and the times compare), on the same MNIST images held in the engine's worker, with the same
// seed, batch, epochs and learning rate. The precision experiment trains its one model, then saves it
// as f32, f16 and int8, loads each file back and evaluates it.

import type { ConvPlay, FitEpoch, FitProgress, FitRun, HeldData, Model } from '../../api/index';
import { STORAGES, armSpec, type Arm, type Budget, type Storage } from './experiments';
import type { MnistData } from '../train/run';

/** One row of the table: an arm (or, for the precision experiment, one storage of the trained model). */
export interface ArmResult {
  label: string;
  status: 'waiting' | 'training' | 'evaluating' | 'done' | 'stopped' | 'error';
  storage: Storage | null;
  params: number | null;
  /** Multiply-adds of one image's forward pass. */
  macs: number | null;
  /** Test accuracy after the last epoch (or of the reloaded file). */
  accuracy: number | null;
  /** Seconds of training, test evaluations left out. */
  seconds: number | null;
  /** Seconds the reloaded file took to evaluate the test images (precision rows only). */
  evalSeconds: number | null;
  /** Bytes of the model's weights file (f32 unless `storage` says otherwise). */
  bytes: number | null;
  /** Why it failed, or what a stop left. */
  note: string;
}

export function emptyRow(label: string, storage: Storage | null = null): ArmResult {
  return {
    label,
    status: 'waiting',
    storage,
    params: null,
    macs: null,
    accuracy: null,
    seconds: null,
    evalSeconds: null,
    bytes: null,
    note: '',
  };
}

export interface CompareHooks {
  /** Row `index` changed. */
  row: (index: number, row: ArmResult) => void;
  /** Arm `arm`'s training loss at `images` training images seen. */
  loss: (arm: number, images: number, loss: number) => void;
  /** Arm `arm`'s test accuracy after the epoch that ended at `images` images seen. */
  accuracy: (arm: number, images: number, accuracy: number) => void;
  /** A fit started: the handle that stops it. */
  started: (run: FitRun) => void;
  status: (text: string) => void;
}

export interface CompareSettings {
  arms: Arm[];
  precision: boolean;
  budget: Budget;
  /** Models on the CPU beside the engine's GPU. */
  cpu: boolean;
}

/** Whether the user asked to stop: the arms not started yet are left out. */
export type Stopped = () => boolean;

/** Trains one arm; resolves with its row so far and the trained model (the caller disposes it). */
async function trainArm(
  engine: ConvPlay,
  i: number,
  arm: Arm,
  s: CompareSettings,
  data: { train: HeldData; test: HeldData },
  hooks: CompareHooks,
  signal: AbortSignal,
): Promise<{ row: ArmResult; model: Model; stopped: boolean }> {
  const { budget } = s;
  const spec = await armSpec(arm, (name) => engine.presetSpec(name));
  const summary = await engine.summary(spec, budget.batch);
  const row: ArmResult = {
    ...emptyRow(arm.label, s.precision ? 'f32' : null),
    status: 'training',
    params: summary.params,
    macs: summary.macs,
  };
  hooks.row(i, row);
  const model = await engine.model({ spec }, { batch: budget.batch, seed: budget.seed, cpu: s.cpu });
  if (model.info.classes !== 10) {
    void model.dispose().catch(() => {});
    throw new Error(
      `MNIST has 10 classes, but ${arm.label} ends in ${model.info.classes}; end it with {"type": "dense", "units": 10, "activation": "softmax"}`,
    );
  }
  const seen = (p: { epoch: number; step: number; totalSteps: number }) =>
    Math.round((p.step / p.totalSteps) * budget.epochs * data.train.count);
  const run = model.fit(data.train, {
    epochs: budget.epochs,
    lr: budget.lr,
    optimizer: 'adam',
    schedule: 'constant',
    seed: budget.seed,
    test: data.test,
    onProgress: (p: FitProgress) => {
      hooks.loss(i, seen(p), p.loss);
      hooks.status(
        `${arm.label}: epoch ${p.epoch} of ${budget.epochs}, step ${p.step.toLocaleString('en')} of ${p.totalSteps.toLocaleString('en')}, ${Math.round(p.imagesPerSec).toLocaleString('en')} img/s`,
      );
    },
    onEpoch: (e: FitEpoch) => {
      if (e.testAccuracy !== null) hooks.accuracy(i, e.epoch * data.train.count, e.testAccuracy);
    },
    signal,
  });
  hooks.started(run);
  try {
    const result = await run;
    const last = result.epochs.at(-1);
    row.seconds = result.epochs.reduce((t, e) => t + e.seconds, 0);
    row.accuracy = last?.testAccuracy ?? null;
    row.bytes = (await model.save()).length;
    row.status = result.stopped ? 'stopped' : 'done';
    if (result.stopped)
      row.note = `stopped after ${result.epochs.length} of ${budget.epochs} epoch${budget.epochs > 1 ? 's' : ''}`;
    hooks.row(i, row);
    return { row, model, stopped: result.stopped };
  } catch (e) {
    void model.dispose().catch(() => {});
    throw e;
  }
}

/** The precision rows after the training: the model saved as each storage, loaded back, evaluated. */
async function storages(
  engine: ConvPlay,
  trained: { row: ArmResult; model: Model },
  s: CompareSettings,
  test: HeldData,
  hooks: CompareHooks,
  stopped: Stopped,
): Promise<void> {
  for (const [k, storage] of STORAGES.entries()) {
    if (stopped()) return;
    const row: ArmResult = { ...trained.row, storage, status: 'evaluating', accuracy: null, note: '' };
    hooks.row(k, row);
    hooks.status(`${trained.row.label}: saving as ${storage}, loading it back and evaluating it`);
    const bytes = await trained.model.save({ format: storage });
    const copy = await engine.model({ weights: bytes }, { batch: Math.min(100, s.budget.batch), cpu: s.cpu });
    try {
      const t0 = performance.now();
      row.accuracy = (await copy.evaluate(test)).accuracy;
      row.evalSeconds = (performance.now() - t0) / 1000;
      row.bytes = bytes.length;
      row.status = trained.row.status === 'stopped' ? 'stopped' : 'done';
      hooks.row(k, row);
    } finally {
      void copy.dispose().catch(() => {});
    }
  }
}

/** Runs a comparison to the end (or to a stop); rows and curves arrive through `hooks`. A failing arm
 * gets its message in its row and the others still run. */
export async function runComparison(
  data: MnistData,
  s: CompareSettings,
  hooks: CompareHooks,
  stopped: Stopped,
  signal: AbortSignal,
): Promise<void> {
  const engine = data.engine;
  hooks.status(
    `loading ${s.budget.images.toLocaleString('en')} training and ${s.budget.testImages.toLocaleString('en')} test digits…`,
  );
  const [train, test] = await Promise.all([data.get('train', s.budget.images), data.get('test', s.budget.testImages)]);
  const arms = s.precision ? s.arms.slice(0, 1) : s.arms;
  for (const [i, arm] of arms.entries()) {
    if (stopped() || signal.aborted) break;
    let trained: Awaited<ReturnType<typeof trainArm>> | null = null;
    try {
      trained = await trainArm(engine, i, arm, s, { train, test }, hooks, signal);
      if (s.precision) await storages(engine, trained, s, test, hooks, stopped);
    } catch (e) {
      if ((e as Error).name === 'AbortError' || signal.aborted) throw e;
      hooks.row(i, { ...emptyRow(arm.label), status: 'error', note: (e as Error).message });
    } finally {
      if (trained) void trained.model.dispose().catch(() => {});
    }
  }
}
