/** Checks the seeded generators are deterministic, in range and have the intended moments. */
import { describe, expect, it } from 'vitest';
import { mulberry32, randomMask, randomMat } from './random.js';

describe('mulberry32', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const c = mulberry32(124);
    const sa = Array.from({ length: 8 }, a);
    expect(Array.from({ length: 8 }, b)).toEqual(sa);
    expect(Array.from({ length: 8 }, c)).not.toEqual(sa);
  });

  it('stays in [0, 1) with mean ≈ 1/2', () => {
    const rng = mulberry32(9);
    const n = 20000;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let k = 0; k < n; k++) {
      const u = rng();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // Standard error of the mean: √(1/12 / n) ≈ 0.002, so 0.01 is five of them.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
  });
});

describe('randomMat', () => {
  it('has the requested shape and N(0, scale²) moments', () => {
    const m = randomMat([100, 200], mulberry32(10), 0.5);
    expect(m.shape).toEqual([100, 200]);
    const n = m.data.length;
    const mean = m.data.reduce((a, v) => a + v, 0) / n;
    const variance = m.data.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
    // Standard errors with n = 20000: mean 0.5/√n ≈ 0.0035, variance 0.25·√(2/n) ≈ 0.0025.
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 0.25)).toBeLessThan(0.015);
  });
});

describe('randomMask', () => {
  it('holds only 0 and 1, with about the requested share of ones', () => {
    const m = randomMask(100, 100, mulberry32(11), 0.7);
    expect(m.shape).toEqual([100, 100]);
    expect(m.data.every((v) => v === 0 || v === 1)).toBe(true);
    const share = m.data.reduce((a, v) => a + v, 0) / m.data.length;
    expect(Math.abs(share - 0.7)).toBeLessThan(0.03);
  });
});
