// The "auto" backend choice from measured (here: given) training speeds, and the per-layer
// totals of a GPU profile.
import { describe, expect, it } from 'vitest';
import { decideBackend, layerTimes, type StepProfile } from '../../www/src/api/profile';

describe('decideBackend', () => {
  it('trains on the CPU when it is faster, and says by how much', () => {
    const d = decideBackend({ gpu: 10, cpu: 400 });
    expect(d.backend).toBe('cpu');
    expect(d.note).toBe('CPU: 40× faster than this GPU here');
  });
  it('trains on the GPU when it is faster', () => {
    const d = decideBackend({ gpu: 900, cpu: 300 });
    expect(d.backend).toBe('gpu');
    expect(d.note).toBe('WebGPU: 3.0× faster than the CPU here');
  });
  it('keeps the GPU on a tie and refuses a failed measurement as a winner', () => {
    expect(decideBackend({ gpu: 5, cpu: 5 }).backend).toBe('gpu');
    expect(decideBackend({ gpu: NaN, cpu: 5 }).backend).toBe('cpu');
    expect(decideBackend({ gpu: 5, cpu: 0 }).backend).toBe('gpu');
  });
});

describe('layerTimes', () => {
  it('adds each layer up, its optimiser steps included', () => {
    const p = {
      gpuMs: 10,
      kernels: [
        { layer: 'conv2d_1', phase: 'forward', kernel: 'gemm/gemm mode 0', workgroups: 4, ms: 3 },
        { layer: 'conv2d_1', phase: 'backward', kernel: 'gemm/gemm mode 2', workgroups: 64, ms: 5 },
        { layer: 'loss', phase: 'loss', kernel: 'loss/softmax_xent', workgroups: 1, ms: null },
        { layer: 'conv2d_1/kernel', phase: 'optimizer', kernel: 'optim/step', workgroups: 1, ms: 2 },
      ],
    } as StepProfile;
    expect(layerTimes(p)).toEqual([
      { layer: 'conv2d_1', ms: 10, share: 1 },
      { layer: 'loss', ms: 0, share: 0 },
    ]);
  });
});
