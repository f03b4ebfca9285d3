// Training chunks: each sized toward its target time, growing at most twofold at a time.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EpochChunks } from '../../www/src/chunks';
import type { Trainer } from '../../www/pkg/convplay.js';

/** A trainer whose batches take `msPerBatch` of a fake clock; records each chunk's size. */
function fakeTrainer(msPerBatch: number, sizes: number[]) {
  let now = 0;
  let done = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  const trainer = {
    trainBatches(count: number) {
      sizes.push(count);
      now += count * msPerBatch;
      done += count;
      return done;
    },
    takeMetrics() {
      return Promise.resolve([0.5, 0.9, 64]);
    },
  };
  return trainer as unknown as Trainer;
}

afterEach(() => vi.restoreAllMocks());

describe('EpochChunks', () => {
  it('grows chunks toward 200 ms by default, doubling at most', async () => {
    const sizes: number[] = [];
    const chunks = new EpochChunks(fakeTrainer(10, sizes));
    for (let i = 0; i < 7; i++) await chunks.next();
    expect(sizes).toEqual([1, 2, 4, 8, 16, 20, 20]);
  });
  it('runs several slow steps per chunk when the target is a second (a GPU)', async () => {
    const sizes: number[] = [];
    const chunks = new EpochChunks(fakeTrainer(390, sizes), 1000);
    for (let i = 0; i < 4; i++) await chunks.next();
    expect(sizes).toEqual([1, 2, 3, 3]);
    const slow: number[] = [];
    const one = new EpochChunks(fakeTrainer(390, slow));
    for (let i = 0; i < 3; i++) await one.next();
    expect(slow).toEqual([1, 1, 1]);
  });
});
