// A replica worker of data-parallel training (api/replicas.ts starts it from the engine
// worker): its own wasm instance and CPU engine, a model of the fit's spec and the fit's
// training data. Each step brings the leader's weights and this shard's positions in the data;
// it answers with the shard's gradients and loss and accuracy sums (docs/design.md).

import { Trainer } from '../../pkg/convplay.js';
import { ConvPlayEngine } from '../engine';
import type { FromReplica, ToReplica } from './replicas';

const post = (m: FromReplica, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

let engine: Promise<ConvPlayEngine> | null = null;
let trainer: Trainer | null = null;

async function handle(m: ToReplica): Promise<void> {
  if (m.type === 'setup') {
    engine ??= ConvPlayEngine.create('cpu');
    const e = await engine;
    trainer?.free();
    trainer = null;
    const t = new Trainer(e.raw, m.spec, m.batch, 1);
    t.setAugment(m.augment.shift, m.augment.rotateDeg, m.augment.scale);
    if (m.images instanceof Float32Array) t.setTrainValues(m.images, m.labels);
    else t.setTrainData(m.images, m.labels);
    trainer = t;
    post({ type: 'ready' });
  } else if (m.type === 'step') {
    if (!trainer) throw new Error('a replica was asked for a step before its setup');
    trainer.setWeights(m.weights);
    const g = (await trainer.shardGradients(m.indices, m.seed, m.shard)) as ShardResult;
    post({ type: 'grads', ...g }, [g.grads.buffer]);
  } else if (m.type === 'predict') {
    if (!trainer) throw new Error('a replica was asked for predictions before its setup');
    trainer.setWeights(m.weights);
    if (m.images instanceof Float32Array) trainer.setEvalValues(m.images, m.labels);
    else trainer.setEvalData(m.images, m.labels);
    await trainer.evaluate();
    const predictions = trainer.lastPredictions();
    post({ type: 'predictions', predictions }, [predictions.buffer]);
  } else {
    trainer?.free();
    trainer = null;
    post({ type: 'released' });
  }
}

interface ShardResult {
  grads: Float32Array;
  lossSum: number;
  correct: number;
  instances: number;
}

self.onmessage = (e: MessageEvent<ToReplica>) => {
  handle(e.data).catch((err: unknown) => {
    // A trap leaves the instance unusable: the pool drops this worker after the error.
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  });
};
