/**
 * Every backend this process offers computes a matMul against a hand-computed value and a
 * `tf.customGrad` function whose gradient matches tfjs autodiff of the same function.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends, expectNoLeaks, tolerances } from '../testing/index.js';
import { backendCapabilities, probeBackend, useBackend } from './index.js';

describeBackends('backend door', (backend) => {
  it('is the active backend and reports itself available', async () => {
    expect(tf.getBackend()).toBe(backend);
    // The backend's own report (availableBackends() would also probe wasm, which the browser
    // project does not serve; the Node suite checks the full list).
    const report = await probeBackend(backend);
    expect(report?.available).toBe(true);
    expect(report?.floatPrecision).toBe(32);
    if (backend === 'webgl') expect(report?.webglVersion).toBe(2);
    expect(backendCapabilities().name).toBe(backend);
  });

  it('computes a matMul', async () => {
    // [[1,2],[3,4]]·[[5,6],[7,8]] = [[1·5+2·7, 1·6+2·8], [3·5+4·7, 3·6+4·8]] = [[19,22],[43,50]]
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    const b = tf.tensor2d([[5, 6], [7, 8]]);
    const c = tf.matMul(a, b);
    expect(await c.data()).toBeAllClose([19, 22, 43, 50], { rtol: 0, atol: 1e-6 });
    tf.dispose([a, b, c]);
  });

  it('computes a larger matMul against float64', async () => {
    const m = 37, k = 53, n = 29;
    const av = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37));
    const bv = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.11));
    const ref = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += av[i * k + p]! * bv[p * n + j]!;
        ref[i * n + j] = s;
      }
    const c = tf.tidy(() => tf.matMul(tf.tensor2d(av, [m, k]), tf.tensor2d(bv, [k, n])));
    expect(await c.data()).toHaveRelativeError(ref, tolerances(backend).forward);
    c.dispose();
  });

  it('runs a tf.customGrad whose gradient matches autodiff', async () => {
    // f(x) = sum(sigmoid(x)·x); df/dx = σ(x) + x·σ(x)(1 − σ(x)), written by hand in the custom gradient.
    const custom = tf.customGrad((x, save) => {
      const s = tf.sigmoid(x as tf.Tensor);
      save([x as tf.Tensor, s]);
      return {
        value: tf.sum(tf.mul(s, x as tf.Tensor)),
        gradFunc: (dy, saved) => {
          const [xs, ss] = saved as [tf.Tensor, tf.Tensor];
          return [tf.mul(dy, tf.add(ss, tf.mul(xs, tf.mul(ss, tf.sub(1, ss)))))];
        },
      };
    });
    const x = tf.tensor1d([-2, -0.5, 0, 0.5, 3]);
    await expectNoLeaks(async () => {
      const ours = tf.grad((v: tf.Tensor) => custom(v) as tf.Tensor)(x);
      const auto = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.sigmoid(v), v)))(x);
      const [o, a] = await Promise.all([ours.data(), auto.data()]);
      // hand check at x = 0: σ(0) + 0 = 0.5
      expect(o[2]).toBeCloseTo(0.5, 6);
      expect(o).toBeAllClose(a, { rtol: 1e-5, atol: 1e-6 });
      tf.dispose([ours, auto]);
    });
    x.dispose();
  });

  it('reaches the same backend again through useBackend', async () => {
    const report = await useBackend(backend);
    expect(report.name).toBe(backend);
    expect(tf.getBackend()).toBe(backend);
  });
});
