// Data-parallel training across workers, for a CPU model in the engine worker (docs/design.md,
// "Every core"): the fit's trainer is the leader and computes shard 0 of each batch; N − 1
// replica workers (api/replica.ts), each with a wasm instance of its own, compute the other
// shards on their copy of the training data from the leader's weights; the leader sums the
// gradients in shard order, weighted by shard size, takes the optimizer step and hands the new
// weights to the next step. Gradients and weights travel as transferred Float32Arrays, so
// this needs no SharedArrayBuffer and works in any page, cross-origin isolated or not.

import type { Trainer } from '../../pkg/convplay.js';
import type { ChunkReport } from '../chunks';
import type { Data } from './data';
import { load } from './held';

export type ToReplica =
  | {
      type: 'setup';
      spec: string;
      batch: number;
      augment: { shift: number; rotateDeg: number; scale: number };
      images: Uint8Array | Float32Array;
      labels: Uint8Array;
    }
  | { type: 'step'; weights: Float32Array; indices: Uint32Array; seed: number; shard: number }
  | { type: 'predict'; weights: Float32Array; images: Uint8Array | Float32Array; labels: Uint8Array }
  | { type: 'release' };

export type FromReplica =
  | { type: 'ready' }
  | { type: 'released' }
  | { type: 'grads'; grads: Float32Array; lossSum: number; correct: number; instances: number }
  | { type: 'predictions'; predictions: Uint8Array }
  | { type: 'error'; message: string };

type Grads = Extract<FromReplica, { type: 'grads' }>;

/** Shard `s` of `n` positions split `k` ways (crate/src/train/shard.rs `shard_range`). */
export function shardRange(n: number, k: number, s: number): [number, number] {
  return [Math.floor((n * s) / k), Math.floor((n * (s + 1)) / k)];
}

/** The most threads one engine takes: each is a wasm instance with the model and the data. */
export const MAX_THREADS = 64;

/** The thread count asked for, checked; by default the cores the browser reports, at most 8. */
export function threadsOf(asked: number | undefined): number {
  if (asked === undefined) return Math.max(1, Math.min(8, globalThis.navigator?.hardwareConcurrency || 1));
  if (!Number.isInteger(asked) || asked < 1 || asked > MAX_THREADS)
    throw new Error(`threads ${asked} must be a whole number from 1 to ${MAX_THREADS}, e.g. 1 for one thread`);
  return asked;
}

/** Training work per shard below which one thread is faster (the messages cost more). */
const MIN_SHARD_FLOPS = 20e6;

/** Whether a batch of `batch` of a model of `flops` (forward, per instance) pays to split `threads` ways. */
export function pays(threads: number, flops: number, batch: number): boolean {
  return threads > 1 && batch >= threads && (3 * flops * batch) / threads >= MIN_SHARD_FLOPS;
}

/** A replica worker: one request at a time, answered by its next message. */
class Replica {
  private readonly worker = new Worker(new URL('./replica.ts', import.meta.url), { type: 'module' });
  private waiting: { resolve: (m: FromReplica) => void; reject: (e: Error) => void } | null = null;
  broken = false;
  private last: Promise<unknown> = Promise.resolve();

  constructor() {
    this.worker.onmessage = (e: MessageEvent<FromReplica>) => {
      const w = this.waiting;
      this.waiting = null;
      if (e.data.type === 'error') {
        this.broken = true;
        w?.reject(new Error(`a training thread failed: ${e.data.message}`));
      } else w?.resolve(e.data);
    };
    this.worker.onerror = (e) => {
      e.preventDefault();
      this.broken = true;
      this.waiting?.reject(new Error(`a training thread stopped: ${e.message || 'its worker failed'}`));
      this.waiting = null;
    };
  }

  /** Sends `m` once the previous request is answered (so a reply always meets its request,
   * even when a fit borrows the replica while the last one's release is in flight). */
  ask(m: ToReplica, transfer: Transferable[] = []): Promise<FromReplica> {
    const turn = this.last.then(() => {
      if (this.broken) throw new Error('a training thread stopped earlier; start the fit again');
      return new Promise<FromReplica>((resolve, reject) => {
        this.waiting = { resolve, reject };
        this.worker.postMessage(m, transfer);
      });
    });
    this.last = turn.catch(() => {});
    return turn;
  }

  terminate(): void {
    this.worker.terminate();
  }
}

/** Replica workers kept between fits (starting one loads a wasm instance); each fit borrows some. */
const idle: Replica[] = [];

/** The replicas of one fit, set up with its spec and training data. */
export class Replicas {
  private constructor(private readonly replicas: Replica[]) {}

  /** Borrows `count` replicas and hands each the model's spec (at the shard's batch), the
   * augmentation and the training data. */
  static async start(count: number, setup: Omit<Extract<ToReplica, { type: 'setup' }>, 'type'>): Promise<Replicas> {
    const replicas = Array.from({ length: count }, () => idle.pop() ?? new Replica());
    const r = new Replicas(replicas);
    try {
      await Promise.all(replicas.map((x) => x.ask({ type: 'setup', ...setup })));
    } catch (e) {
      r.release();
      throw e;
    }
    return r;
  }

  get threads(): number {
    return this.replicas.length + 1;
  }

  /** Shard `s + 1`'s gradients from replica `s` (null for an empty shard). */
  step(s: number, weights: Float32Array, indices: Uint32Array, seed: number): Promise<Grads | null> {
    if (indices.length === 0) return Promise.resolve(null);
    return this.replicas[s]
      .ask({ type: 'step', weights, indices, seed, shard: s + 1 })
      .then((m) => (m.type === 'grads' ? m : Promise.reject(new Error(`a training thread answered ${m.type}`))));
  }

  /** The predicted class of every instance of `d` (inference: BN's moving statistics, no
   * dropout), each worker predicting one slice with the leader's weights; per instance the
   * same as the leader alone. */
  async predictions(trainer: Trainer, d: Data): Promise<Uint8Array> {
    const n = d.labels.length;
    const k = this.threads;
    const weights = await trainer.weights();
    const slice = (s: number) => {
      const [a, b] = shardRange(n, k, s);
      return { images: d.images.slice(a * d.per, b * d.per), labels: d.labels.slice(a, b) };
    };
    const theirs = this.replicas.map((x, s) =>
      x
        .ask({ type: 'predict', weights, ...slice(s + 1) })
        .then((m) =>
          m.type === 'predictions' ? m.predictions : Promise.reject(new Error(`a thread answered ${m.type}`)),
        ),
    );
    const first = slice(0);
    load(trainer, 'eval', first.images, first.labels);
    await trainer.evaluate();
    const parts = [trainer.lastPredictions(), ...(await Promise.all(theirs))];
    const out = new Uint8Array(n);
    parts.forEach((p, s) => out.set(p, shardRange(n, k, s)[0]));
    return out;
  }

  /** Frees the replicas' models and data and returns them to the pool (broken ones end). */
  release(): void {
    for (const x of this.replicas) {
      if (x.broken) x.terminate();
      else {
        void x.ask({ type: 'release' }).catch(() => {});
        idle.push(x);
      }
    }
    this.replicas.length = 0;
  }
}

/** One epoch's chunks of sharded steps, with the running totals: `EpochChunks` (chunks.ts)
 * for a trainer whose batches are split across `Replicas`. Call `startEpoch` first. */
export class ShardedChunks {
  private lossSum = 0;
  private correct = 0;
  private seen = 0;
  private weights: Float32Array | null = null;
  done = 0;

  constructor(
    private readonly trainer: Trainer,
    private readonly replicas: Replicas,
  ) {}

  /** One sharded step; false when the epoch is done. */
  private async step(): Promise<boolean> {
    const { indices, seed } = this.trainer.nextBatch() as { indices: number[]; seed: number };
    if (indices.length === 0) return false;
    const k = this.replicas.threads;
    const part = (s: number) => Uint32Array.from(indices.slice(...shardRange(indices.length, k, s)));
    this.weights ??= await this.trainer.weights();
    const w = this.weights;
    const theirs = Array.from({ length: k - 1 }, (_, s) => this.replicas.step(s, w, part(s + 1), seed));
    const first = part(0);
    const own = first.length > 0 ? ((await this.trainer.shardGradients(first, seed, 0)) as Grads) : null;
    const shards = [own, ...(await Promise.all(theirs))].filter((g): g is Grads => g !== null);
    const len = this.trainer.gradientLength;
    const all = new Float32Array(len * shards.length);
    shards.forEach((g, i) => all.set(g.grads, i * len));
    this.trainer.applyGradients(
      all,
      Uint32Array.from(shards, (g) => g.instances),
    );
    this.weights = await this.trainer.weights();
    for (const g of shards) {
      this.lossSum += g.lossSum;
      this.correct += g.correct;
      this.seen += g.instances;
    }
    return true;
  }

  /** Steps for about 200 ms (at most 64), as `EpochChunks.next` reports them. */
  async next(): Promise<ChunkReport> {
    const c0 = performance.now();
    this.weights = null; // read afresh: a call between chunks may have changed them
    const [before, loss0, correct0, seen0] = [this.done, this.lossSum, this.correct, this.seen];
    while (performance.now() - c0 < 200 && this.done - before < 64 && (await this.step()))
      this.done = this.trainer.batchesDone;
    const ms = performance.now() - c0;
    const n = this.seen - seen0;
    return {
      done: this.done,
      steps: this.done - before,
      loss: (this.lossSum - loss0) / Math.max(1, n),
      accuracy: (this.correct - correct0) / Math.max(1, n),
      imagesPerSec: (n / ms) * 1000,
    };
  }

  get totals(): { loss: number; accuracy: number } {
    return { loss: this.lossSum / Math.max(1, this.seen), accuracy: this.correct / Math.max(1, this.seen) };
  }
}
