// What the page keeps in IndexedDB: a checkpoint in another layout under the checkpoint's key
// (an older build's, or damaged) is dropped and nothing is offered; a good one comes back whole.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const db = new Map<string, unknown>();
vi.mock('idb-keyval', () => ({
  get: (key: string) => Promise.resolve(db.get(key)),
  set: (key: string, value: unknown) => Promise.resolve(void db.set(key, value)),
  del: (key: string) => Promise.resolve(void db.delete(key)),
}));

const { clearCheckpoint, loadCheckpoint, saveCheckpoint } = await import('../../www/src/storage');
type Checkpoint = Parameters<typeof saveCheckpoint>[0];

const KEY = 'convplay:checkpoint';
const good: Checkpoint = {
  name: 'seed-001',
  epoch: 2,
  reason: 'epoch',
  step: 20,
  totalSteps: 30,
  epochs: [],
  testImages: 100,
  savedAt: '2026-12-04T12:00:00.000Z',
  weights: new Uint8Array([1, 2, 3]),
};

describe('the training checkpoint in IndexedDB', () => {
  beforeEach(() => db.clear());

  it('is offered back as it was saved', async () => {
    await saveCheckpoint(good);
    expect(await loadCheckpoint()).toEqual(good);
    await clearCheckpoint();
    expect(db.has(KEY)).toBe(false);
  });

  it('is nothing when none was kept', async () => {
    expect(await loadCheckpoint()).toBeUndefined();
  });

  for (const [what, value] of [
    ['weights as a plain array (another layout)', { ...good, weights: [1, 2, 3] }],
    ['no epoch count', { ...good, epoch: undefined }],
    ['epochs that are not a list', { ...good, epochs: 'two' }],
    ['a string', 'checkpoint'],
    ['null', null],
  ] as const) {
    it(`in another layout (${what}) is dropped, not offered`, async () => {
      db.set(KEY, value);
      expect(await loadCheckpoint()).toBeUndefined();
      expect(db.has(KEY)).toBe(false);
    });
  }
});
