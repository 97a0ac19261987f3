/** Clipping against hand-computed values and the lecture's pseudo-code in float64. */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends, expectNoLeaks, mulberry32, randomNormal } from '../testing/index.js';
import { clipByGlobalNorm, clipByValue, globalNorm } from './clip.js';

describeBackends('gradient clipping', () => {
  it('computes the global norm over all tensors together', async () => {
    // norm = sqrt(3² + 4²) = 5, from two tensors
    const n = globalNorm([tf.tensor1d([3]), tf.tensor1d([4])]);
    expect(await n.data()).toBeAllClose([5], { rtol: 1e-7 });
  });

  it('scales by threshold/‖g‖ when the norm reaches the threshold', async () => {
    // ‖g‖ = sqrt(3² + 4² + 0²) = 5 ≥ 2.5 → g·(2.5/5) = [1.5], [2, 0]
    const grads = { a: tf.tensor1d([3]), b: tf.tensor1d([4, 0]) };
    const r = clipByGlobalNorm(grads, 2.5);
    expect(await r.grads.a!.data()).toBeAllClose([1.5], { rtol: 1e-6 });
    expect(await r.grads.b!.data()).toBeAllClose([2, 0], { rtol: 1e-6 });
    expect(await r.norm.data()).toBeAllClose([5], { rtol: 1e-6 });
    expect((await r.clipped.data())[0]).toBe(1);
  });

  it('leaves gradients below the threshold unchanged', async () => {
    const grads = { a: tf.tensor1d([3]), b: tf.tensor1d([4, 0]) };
    const r = clipByGlobalNorm(grads, 6); // 5 < 6
    expect(await r.grads.b!.data()).toBeAllClose([4, 0], { rtol: 0, atol: 0 });
    expect((await r.clipped.data())[0]).toBe(0);
  });

  it('matches the pseudo-code on random gradients (float64 reference)', async () => {
    const rng = mulberry32(11);
    const shapes = [[3, 4], [7], [2, 2, 2]];
    const vals = shapes.map((s) => Float64Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => 3 * randomNormal(rng)));
    const norm = Math.sqrt(vals.reduce((acc, v) => acc + v.reduce((a, x) => a + x * x, 0), 0));
    for (const threshold of [norm / 3, norm * 2]) {
      const grads = Object.fromEntries(vals.map((v, i) => [`g${i}`, tf.tensor(Float32Array.from(v), shapes[i])]));
      const r = clipByGlobalNorm(grads, threshold);
      const factor = norm >= threshold ? threshold / norm : 1;
      for (const [i, v] of vals.entries()) {
        expect(await r.grads[`g${i}`]!.data()).toBeAllClose(v.map((x) => x * factor), { rtol: 1e-5, atol: 1e-6 });
      }
      const after = Math.sqrt((await globalNorm(r.grads).data())[0]! ** 2);
      expect(after).toBeCloseTo(Math.min(norm, threshold), 3);
    }
  });

  it('clips by value', async () => {
    const r = clipByValue({ a: tf.tensor1d([-3, 0.5, 2]) }, 1);
    expect(await r.a!.data()).toBeAllClose([-1, 0.5, 1], { rtol: 0, atol: 0 });
  });

  it('rejects bad thresholds and leaks nothing', async () => {
    const g = { a: tf.tensor1d([1]) };
    expect(() => clipByGlobalNorm(g, 0)).toThrow(/threshold must be a positive finite number, got 0/);
    expect(() => clipByValue(g, Number.NaN)).toThrow(/limit must be a positive finite number, got NaN/);
    await expectNoLeaks(async () => {
      const r = clipByGlobalNorm(g, 0.5);
      await r.norm.data();
      tf.dispose([r.norm, r.clipped, ...Object.values(r.grads)]);
    });
    g.a.dispose();
  });
});
