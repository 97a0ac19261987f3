/**
 * Checks the central finite-difference helper against analytic gradients, including one taken
 * by hand through a reference recurrence step, so gradient tests built on it rest on something.
 */
import { describe, expect, it } from 'vitest';
import { centralDifferenceGradient, finiteDiffAll, finiteDiffInput } from './finite-diff.js';
import { dot, fromNested, mat, referenceLstm, referenceSimpleRnn, type Mat } from './reference.js';
import { mulberry32, randomMat } from './random.js';

describe('centralDifferenceGradient', () => {
  it('matches ∇(a²b) = (2ab, a²) = (12, 9) at (3, 2)', () => {
    const g = centralDifferenceGradient((t) => (t[0] ?? 0) ** 2 * (t[1] ?? 0), Float64Array.of(3, 2));
    expect(Math.abs((g[0] ?? 0) - 12)).toBeLessThan(1e-8);
    expect(Math.abs((g[1] ?? 0) - 9)).toBeLessThan(1e-8);
  });

  it('matches the analytic gradient of f(θ) = Σ_k sin(θ_k)·θ_{k+1} + exp(θ_0)', () => {
    // ∂f/∂θ_k = cos(θ_k)·θ_{k+1} [k < n-1] + sin(θ_{k-1}) [k > 0] + exp(θ_0) [k = 0]
    const f = (t: Float64Array): number => {
      let s = Math.exp(t[0] ?? 0);
      for (let k = 0; k + 1 < t.length; k++) s += Math.sin(t[k] ?? 0) * (t[k + 1] ?? 0);
      return s;
    };
    const theta = randomMat([12], mulberry32(3)).data;
    const want = theta.map((v, k) => {
      let d = k === 0 ? Math.exp(v) : 0;
      if (k + 1 < theta.length) d += Math.cos(v) * (theta[k + 1] ?? 0);
      if (k > 0) d += Math.sin(theta[k - 1] ?? 0);
      return d;
    });
    const got = centralDifferenceGradient(f, theta);
    got.forEach((v, k) => expect(Math.abs(v - (want[k] ?? 0)), `component ${k}`).toBeLessThan(1e-8));
  });

  it('leaves the point unchanged and rejects a bad step', () => {
    const theta = Float64Array.of(1, 2, 3);
    centralDifferenceGradient((t) => t.reduce((a, b) => a + b * b, 0), theta);
    expect(Array.from(theta)).toEqual([1, 2, 3]);
    expect(() => centralDifferenceGradient(() => 0, theta, { eps: 0 })).toThrow(
      'centralDifferenceGradient: eps must be a positive finite number, got 0',
    );
  });
});

describe('finiteDiffInput', () => {
  it('recovers d/dθ of one tanh RNN step: dh/dW = x(1 - h²), dh/db = 1 - h², dh/dh0 = U(1 - h²)', () => {
    // h = tanh(x W + h0 U + b) with x = 0.8, W = 0.5, h0 = -0.3, U = 1.1, b = 0.2:
    // a = 0.4 - 0.33 + 0.2 = 0.27, 1 - h² = 1 - tanh(0.27)² = 0.9306087...
    const inputs = {
      x: fromNested([[[0.8]]]),
      kernel: fromNested([[0.5]]),
      recurrentKernel: fromNested([[1.1]]),
      bias: fromNested([0.2]),
      h0: fromNested([[-0.3]]),
    };
    const loss = (m: typeof inputs): number =>
      referenceSimpleRnn(m.x, { kernel: m.kernel, recurrentKernel: m.recurrentKernel, bias: m.bias }, { h0: m.h0 })
        .h.data[0] ?? 0;
    const dTanh = 1 - Math.tanh(0.27) ** 2;
    const grads = finiteDiffAll(inputs, loss);
    expect(grads.kernel.shape).toEqual([1, 1]);
    expect(grads.x.shape).toEqual([1, 1, 1]);
    const close = (m: Mat, want: number): void =>
      expect(Math.abs((m.data[0] ?? 0) - want)).toBeLessThan(1e-9);
    close(grads.kernel, 0.8 * dTanh);
    close(grads.x, 0.5 * dTanh);
    close(grads.bias, dTanh);
    close(grads.h0, 1.1 * dTanh);
    close(grads.recurrentKernel, -0.3 * dTanh);
  });

  it('recovers ∂c_1/∂c_0 = f for one plain LSTM step (Σ c as the loss)', () => {
    // Weights of the hand-computed LSTM in reference.test.ts, x = 1, h0 = 0.2, c0 = -0.4:
    // f = σ(-0.3 + 0.2·0.4 + 0.3) = σ(0.08) = 0.5199893401555818, and c_1 = f c_0 + i ĉ with
    // i, ĉ independent of c_0 (no peepholes).
    const params = {
      kernel: fromNested([[0.5, -0.3, 0.8, 0.2]]),
      recurrentKernel: fromNested([[0.1, 0.4, -0.6, 0.7]]),
      bias: fromNested([0.05, 0.3, -0.1, 0.2]),
    };
    const inputs = { c0: fromNested([[-0.4]]) };
    const loss = (m: typeof inputs): number =>
      referenceLstm(fromNested([[[1]]]), params, { h0: fromNested([[0.2]]), c0: m.c0 }).c.data[0] ?? 0;
    const g = finiteDiffInput(inputs, 'c0', loss);
    expect(Math.abs((g.data[0] ?? 0) - 0.5199893401555818)).toBeLessThan(1e-9);
  });

  it('gives the weighting back for a linear loss: ∇_x Σ x ⊙ W = W, in the shape of x', () => {
    const rng = mulberry32(5);
    const weights = randomMat([2, 3, 4], rng);
    const inputs = { x: randomMat([2, 3, 4], rng), other: mat([1], [1]) };
    const g = finiteDiffInput(inputs, 'x', (m) => dot(m.x, weights));
    expect(g.shape).toEqual([2, 3, 4]);
    g.data.forEach((v, k) => expect(Math.abs(v - (weights.data[k] ?? 0))).toBeLessThan(1e-9));
  });
});
