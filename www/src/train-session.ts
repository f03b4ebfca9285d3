// A training session of <convplay-train>, run inside the shared engine worker (api/worker.ts)
// on that worker's engine: it loads MNIST, then runs batches in chunks, posting progress after
// each chunk and the validation/test accuracy after each epoch; pause, resume and stop arrive
// between chunks. Several sessions (several trainers on one page) share the worker's engine.

import { ConvPlayEngine } from './engine';
import { Trainer } from '../pkg/convplay.js';
import { fetchBytes } from './mnist';
import { EpochChunks } from './chunks';
import { readIdxImages, readIdxLabels } from '../pkg/convplay.js';
import type { FromWorker, Mistake, ToWorker, TrainSettings } from './train-protocol';
import type { InsideData } from './types';

/** The worker's engine for a backend choice ("cpu": its CPU engine; else its main one). */
export type EngineFor = (backend: TrainSettings['backend']) => Promise<ConvPlayEngine>;

async function split(base: string, name: 'train' | 't10k', count: number): Promise<[Uint8Array, Uint8Array]> {
  const images = readIdxImages(await fetchBytes(`${base}${name}-images-idx3-ubyte.gz`));
  const labels = readIdxLabels(await fetchBytes(`${base}${name}-labels-idx1-ubyte.gz`));
  const n = Math.min(count, images.count);
  const pixels = new Uint8Array(n * 784);
  for (let i = 0; i < n; i++) pixels.set(images.image(i), i * 784);
  images.free();
  return [pixels, labels.subarray(0, n)];
}

export class TrainSession {
  private paused = false;
  /** The digit the page looks inside the network with (a test digit until the page sends one). */
  private inspectInput: Uint8Array | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly engineFor: EngineFor,
    private readonly post: (m: FromWorker) => void,
  ) {}

  handle(m: ToWorker): void {
    const fail = (err: unknown) =>
      this.post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    if (m.type === 'start') {
      this.paused = false;
      this.stopped = false;
      this.run(m.settings).catch(fail);
    } else if (m.type === 'evaluate-file') {
      this.evaluateFile(m.bytes, m.backend, m.testImages, m.dataUrl).catch(fail);
    } else if (m.type === 'pause') {
      this.paused = true;
    } else if (m.type === 'resume') {
      this.paused = false;
      this.wake?.();
    } else if (m.type === 'inspect-input') {
      this.inspectInput = m.pixels;
    } else if (m.type === 'stop') {
      this.stopped = true;
      this.wake?.();
    }
  }

  private async run(s: TrainSettings): Promise<void> {
    const engine = await this.engineFor(s.backend);
    let input: unknown = null;
    try {
      const parsed = JSON.parse(s.spec) as { input?: unknown; input_shape?: unknown };
      input = parsed.input ?? parsed.input_shape;
    } catch {
      // Not JSON: the Trainer below says what is wrong with it.
    }
    if (Array.isArray(input) && !['28,28,1', '784'].includes(input.join(','))) {
      throw new Error(
        `MNIST digits are 28×28×1 (784 values), but this model's input is [${input.join(', ')}]; set "input": [28, 28, 1] in its spec`,
      );
    }
    const trainer = new Trainer(engine.raw, s.spec, s.batch, s.seed);
    try {
      await this.train(s, engine, trainer);
    } finally {
      trainer.free();
    }
  }

  private async train(s: TrainSettings, engine: ConvPlayEngine, trainer: Trainer): Promise<void> {
    const post = this.post;
    if (trainer.classes !== 10) {
      throw new Error(
        `MNIST has 10 classes, but this model ends in ${trainer.classes}; end it with {"type": "dense", "units": 10, "activation": "softmax"}`,
      );
    }
    trainer.setOptimizer(s.optimizer, undefined);
    trainer.setAugment(s.augment.shift, s.augment.rotateDeg, s.augment.scale);
    const [allX, allY] = await split(s.dataUrl, 'train', s.trainImages);
    const nVal = Math.floor(allY.length * s.validationSplit);
    const nTrain = allY.length - nVal;
    if (nTrain < 1)
      throw new Error(
        `no training images left after a validation split of ${s.validationSplit}; use more images or a smaller split`,
      );
    trainer.setTrainData(allX.subarray(0, nTrain * 784), allY.subarray(0, nTrain));
    const [testX, testY] = await split(s.dataUrl, 't10k', s.testImages);
    post({
      type: 'ready',
      info: engine.info,
      params: trainer.paramCount,
      trainImages: nTrain,
      valImages: nVal,
      testImages: testY.length,
    });
    this.inspectInput ??= testX.slice(0, 784);
    let lastLook = 0;
    // A look inside at a modest rate: about every 2 s of training, and after each epoch.
    const look = async (step: number, force: boolean) => {
      if (!this.inspectInput || (!force && performance.now() - lastLook < 2000)) return;
      const input = this.inspectInput;
      const data = (await trainer.inspect(Float32Array.from(input, (v) => v / 255))) as InsideData;
      post({ type: 'inside', data, input, step });
      lastLook = performance.now();
    };

    const perEpoch = Math.ceil(nTrain / s.batch);
    const total = perEpoch * s.epochs;
    trainer.setSchedule(s.schedule, s.lr, total, perEpoch);
    let step = 0;
    for (let epoch = 1; epoch <= s.epochs && !this.stopped; epoch++) {
      const t0 = performance.now();
      trainer.startEpoch(s.seed + epoch);
      const chunks = new EpochChunks(trainer);
      while (chunks.done < perEpoch && !this.stopped) {
        // Let pause/stop messages in: an await on a settled promise would not.
        await new Promise((r) => setTimeout(r, 0));
        if (this.paused) {
          post({ type: 'paused' });
          await new Promise<void>((r) => (this.wake = r));
          this.wake = null;
          continue;
        }
        const lr = trainer.lr;
        const r = await chunks.next();
        step += r.steps;
        post({
          type: 'progress',
          epoch,
          step,
          totalSteps: total,
          loss: r.loss,
          accuracy: r.accuracy,
          imagesPerSec: r.imagesPerSec,
          lr,
        });
        await look(step, false);
      }
      if (this.stopped) break;
      let valAccuracy: number | null = null;
      if (nVal > 0) {
        trainer.setEvalData(allX.subarray(nTrain * 784), allY.subarray(nTrain));
        valAccuracy = await trainer.evaluate();
      }
      trainer.setEvalData(testX, testY);
      const testAccuracy = await trainer.evaluate();
      const { confusion, mistakes } = tally(trainer, testX, testY);
      await look(step, true);
      post({
        type: 'epoch',
        epoch,
        ...chunks.totals,
        valAccuracy,
        testAccuracy,
        seconds: (performance.now() - t0) / 1000,
        confusion,
        mistakes,
      });
    }
    const weights = await trainer.save();
    post({ type: 'done', stopped: this.stopped, weights });
  }

  private async evaluateFile(
    bytes: Uint8Array,
    backend: TrainSettings['backend'],
    testImages: number,
    dataUrl: string,
  ): Promise<void> {
    const engine = await this.engineFor(backend);
    const trainer = Trainer.fromWeights(engine.raw, bytes, 100);
    try {
      const [testX, testY] = await split(dataUrl, 't10k', testImages);
      trainer.setEvalData(testX, testY);
      const testAccuracy = await trainer.evaluate();
      const { confusion, mistakes } = tally(trainer, testX, testY);
      const name = (JSON.parse(trainer.specJson) as { name?: string }).name ?? 'model';
      this.post({
        type: 'evaluated',
        name,
        params: trainer.paramCount,
        testAccuracy,
        testImages: testY.length,
        confusion,
        mistakes,
      });
    } finally {
      trainer.free();
    }
  }
}

/** Confusion matrix and the first misclassified digits of the last evaluation. */
function tally(trainer: Trainer, testX: Uint8Array, testY: Uint8Array): { confusion: number[][]; mistakes: Mistake[] } {
  const predicted = trainer.lastPredictions();
  const classes = trainer.classes;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const mistakes: Mistake[] = [];
  predicted.forEach((p, i) => {
    confusion[testY[i]][p] += 1;
    if (p !== testY[i] && mistakes.length < 30)
      mistakes.push({ index: i, pixels: testX.slice(i * 784, (i + 1) * 784), label: testY[i], predicted: p });
  });
  return { confusion, mistakes };
}
