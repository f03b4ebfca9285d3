// Training on every core (www/src/api/replicas.ts): the thread count checked, the shards of a
// batch (the rule of crate/src/train/shard.rs), and which models pay for splitting.

import { describe, expect, it } from 'vitest';
import { pays, shardRange, threadsOf } from '../../www/src/api/replicas';
import { readUrl, writeUrl } from '../../www/src/url-state';

describe('threads', () => {
  it('takes a whole number from 1 to 64 and names anything else with the range', () => {
    expect(threadsOf(1)).toBe(1);
    expect(threadsOf(64)).toBe(64);
    for (const bad of [0, -2, 2.5, 65, NaN])
      expect(() => threadsOf(bad)).toThrow(`threads ${bad} must be a whole number from 1 to 64, e.g. 1 for one thread`);
    const d = threadsOf(undefined);
    expect(d).toBeGreaterThanOrEqual(1);
    expect(d).toBeLessThanOrEqual(8);
  });

  it('splits a batch into shards in order, sizes differing by at most one', () => {
    expect([0, 1].map((s) => shardRange(64, 2, s))).toEqual([
      [0, 32],
      [32, 64],
    ]);
    expect([0, 1, 2].map((s) => shardRange(8, 3, s))).toEqual([
      [0, 2],
      [2, 5],
      [5, 8],
    ]);
    expect([0, 1].map((s) => shardRange(1, 2, s))).toEqual([
      [0, 0],
      [0, 1],
    ]);
  });

  it('splits seed-001 at batch 64 but not a transfer head or a batch smaller than the threads', () => {
    expect(pays(2, 5e6, 64)).toBe(true);
    expect(pays(1, 5e6, 64)).toBe(false);
    expect(pays(2, 2.6e4, 32)).toBe(false);
    expect(pays(4, 5e6, 2)).toBe(false);
  });

  it('is kept in the URL', () => {
    const q = (s: string) => readUrl(new URLSearchParams(s));
    expect(q('threads=3').threads).toBe(3);
    expect(q('').threads).toBeUndefined();
    expect(q('threads=0').problems).toEqual([
      'threads=0 is not a whole number from 1 to 64 (the workers the CPU trains on)',
    ]);
    const state = q('preset=seed-001&epochs=1&batch=64&lr=0.001&optimizer=adam&schedule=constant').train;
    const full = { augment: { shift: 0, rotateDeg: 0, scale: 0 }, trainImages: 1, testImages: 1, seed: 0, ...state };
    const url = writeUrl('https://x.example/', 'cpu', null, full as Parameters<typeof writeUrl>[3], 2);
    expect(new URL(url).searchParams.get('threads')).toBe('2');
    expect(
      new URL(writeUrl('https://x.example/', 'cpu', null, full as Parameters<typeof writeUrl>[3])).searchParams.has(
        'threads',
      ),
    ).toBe(false);
  });
});
