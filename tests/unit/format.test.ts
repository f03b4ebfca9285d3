// Number formatting shared by the views (www/src/format.ts), on hand-made values and on a
// summary the Rust engine really produced (the boundary fixtures).
import { describe, expect, it } from 'vitest';
import { bytes, int, mb, shape } from '../../www/src/format';
import { fitCheck, summary } from '../../www/src/generated/boundary-fixtures';

describe('int', () => {
  it('rounds to the nearest whole number and groups thousands', () => {
    expect(int(0)).toBe('0');
    expect(int(999.4)).toBe('999');
    expect(int(999.5)).toBe('1,000');
    expect(int(1234567.49)).toBe('1,234,567');
    expect(int(-1234.6)).toBe('-1,235');
    expect(int(2 ** 40)).toBe('1,099,511,627,776');
  });
});

describe('shape', () => {
  it('joins dimensions with a multiplication sign', () => {
    expect(shape([28, 28, 1])).toBe('28×28×1');
    expect(shape([10])).toBe('10');
    expect(shape([])).toBe('');
  });
});

describe('bytes and mb', () => {
  const b = { bytes: 2_020_392, mb: 2.020392, mib: 2_020_392 / 2 ** 20 };

  it('shows bytes, MB (10^6) and MiB (2^20) rounded to two decimals', () => {
    expect(bytes(b)).toBe('2,020,392 bytes = 2.02 MB = 1.93 MiB');
    expect(mb(b)).toBe('2.02 MB');
    expect(bytes({ bytes: 0, mb: 0, mib: 0 })).toBe('0 bytes = 0.00 MB = 0.00 MiB');
    expect(mb({ bytes: 1_995_000, mb: 1.995001, mib: 1.9 })).toBe('2.00 MB');
  });

  it("agrees with the engine's own figures", () => {
    for (const value of [summary.inference.params, summary.training.engineAdam, fitCheck.estimate]) {
      expect(value.mb).toBeCloseTo(value.bytes / 1e6, 12);
      expect(value.mib).toBeCloseTo(value.bytes / 2 ** 20, 12);
      expect(bytes(value)).toBe(
        `${value.bytes.toLocaleString('en')} bytes = ${(value.bytes / 1e6).toFixed(2)} MB = ${(value.bytes / 2 ** 20).toFixed(2)} MiB`,
      );
    }
    // LeNet-5 for MNIST has 61,706 parameters: 246,824 bytes as f32.
    expect(summary.params).toBe(61_706);
    expect(bytes(summary.inference.params)).toBe('246,824 bytes = 0.25 MB = 0.24 MiB');
  });
});
