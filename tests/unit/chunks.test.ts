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
  it('with `ahead`, reports each chunk after recording the next, and the last one alone', async () => {
    // A trainer of a 7-batch epoch whose report covers the batches before the call.
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const calls: string[] = [];
    const recorded: number[] = [];
    let done = 0;
    let unreported = 0;
    const train = (count: number) => {
      const more = Math.min(count, 7 - done);
      done += more;
      now += more * 300;
      recorded.push(more);
      return more;
    };
    const trainer = {
      trainBatches(count: number) {
        calls.push('train');
        unreported += train(count);
        return done;
      },
      trainAndReport(count: number) {
        calls.push('report, then train');
        const n = unreported * 64;
        unreported = train(count);
        return Promise.resolve([0.5, 0.9, n, done]);
      },
    } as unknown as Trainer;
    const chunks = new EpochChunks(trainer, 500, true);
    const reports = [];
    while (chunks.done < 7) reports.push(await chunks.next());
    // Recorded once up front, then every report records the next chunk before it is read.
    expect(calls[0]).toBe('train');
    expect(calls.slice(1).every((c) => c === 'report, then train')).toBe(true);
    expect(calls.length).toBe(reports.length + 1);
    // Each report covers the chunk recorded by the call before it; the last call records nothing.
    expect(reports.map((r) => r.steps)).toEqual(recorded.slice(0, reports.length));
    expect(recorded.at(-1)).toBe(0);
    expect(reports.at(-1)?.done).toBe(7);
    expect(reports.map((r) => r.done)).toEqual(reports.map((_, i) => recorded.slice(0, i + 1).reduce((a, b) => a + b)));
    expect(Math.max(...recorded)).toBeGreaterThan(1);
    expect(chunks.totals).toEqual({ loss: 0.5, accuracy: 0.9 });
  });
});
