/**
 * Multithreaded wasm in Node: `useBackend('wasm', { threads })` starts tfjs' threaded-SIMD build
 * with that many XNNPACK threads (tfjs itself never does in Node), reports the count that runs,
 * computes what float64 says, and goes back to one thread when asked.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from './index.js';
import { ops } from '../ops/index.js';
import { hasLstmCellKernels } from '../kernels/lstm-cell/kernel.js';

/** A product big enough for XNNPACK to split across threads, against float64. */
async function expectMatMulRight(): Promise<void> {
  const [m, k, n] = [96, 200, 80];
  const av = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37));
  const bv = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.11));
  const ref: number[] = [];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += av[i * k + p]! * bv[p * n + j]!;
      ref.push(s);
    }
  const a = tf.tensor2d(av, [m, k]);
  const b = tf.tensor2d(bv, [k, n]);
  const c = tf.matMul(a, b);
  expect(await c.data()).toBeAllClose(ref, { rtol: 1e-5, atol: 1e-4 });
  tf.dispose([a, b, c]);
}

/** ops.lstm's value and gradients at H = 6 (a SIMD vector of units and a tail of two) on the active backend. */
function lstmValueAndGrads(): number[][] {
  return tf.tidy(() => {
    const t = (shape: number[], seed: number) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => 0.5 * Math.sin(seed + i * 0.71)), shape);
    const [x, W, U, b] = [t([3, 4, 5], 1), t([5, 24], 2), t([6, 24], 3), t([24], 4)] as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const f = (x: tf.Tensor3D, W: tf.Tensor2D, U: tf.Tensor2D, b: tf.Tensor1D) => tf.sum(tf.mul(ops.lstm(x, { kernel: W, recurrentKernel: U, bias: b }).sequence, tf.range(0, 72).reshape([3, 4, 6])));
    const { value, grads } = tf.valueAndGrads(f as (...a: tf.Tensor[]) => tf.Scalar)([x, W, U, b]);
    return [value, ...grads].map((g) => Array.from(g.dataSync()));
  });
}

describe('wasm threads in Node', () => {
  afterAll(async () => {
    await useBackend('wasm'); // the defaults, for whatever runs next in this process
  });

  it('runs two XNNPACK threads when asked, and says so', async () => {
    const report = await useBackend('wasm', { threads: 2 });
    expect(tf.getBackend()).toBe('wasm');
    expect(report.wasm).toMatchObject({ threads: 2, threadsRequested: 2, kernels: 'fixed' });
    expect(report.device).toMatch(/2 threads/);
    await expectMatMulRight();
    // The fused cell kernels' SIMD passes run on the shared heap of the threaded build.
    const memory = (tf.backend() as unknown as { wasm: { wasmMemory: WebAssembly.Memory } }).wasm.wasmMemory;
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(hasLstmCellKernels()).toBe(true);
    const threaded = lstmValueAndGrads();
    await useBackend('cpu');
    const reference = lstmValueAndGrads(); // cpu: the op's own per-step composite loop
    threaded.forEach((values, i) => expect(values).toBeAllClose(reference[i]!, { rtol: 1e-4, atol: 1e-5 }));
    await useBackend('wasm', { threads: 2 });
    // A transposed product leaves Bᵀ in the fixed BatchMatMul's cache, on this backend instance.
    tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([4, 3]), false, true).dataSync());
  });

  it('goes back to one thread (the single-threaded build) and stays correct', async () => {
    // The 2-thread backend is disposed here; the cache entry it held must not be freed again later.
    expect((await useBackend('wasm', { threads: 1 })).wasm).toMatchObject({ threads: 1, kernels: 'fixed' });
    const report = await useBackend('wasm', { threads: 1, stockKernels: true });
    expect(report.wasm).toMatchObject({ threads: 1, threadsRequested: 1, kernels: 'stock' });
    await expectMatMulRight();
  });

  it('takes its defaults from RECURRENT_WASM_THREADS and RECURRENT_WASM_KERNELS; code options win', async () => {
    const env = process.env;
    env.RECURRENT_WASM_THREADS = '2';
    env.RECURRENT_WASM_KERNELS = 'stock';
    try {
      expect((await useBackend('wasm')).wasm).toMatchObject({ threads: 2, kernels: 'stock' });
      expect((await useBackend('wasm', { stockKernels: false })).wasm).toMatchObject({ threads: 2, kernels: 'fixed' });
      env.RECURRENT_WASM_KERNELS = 'fast';
      await expect(useBackend('wasm')).rejects.toThrow(/RECURRENT_WASM_KERNELS must be "stock" or "fixed", got "fast"/);
      env.RECURRENT_WASM_KERNELS = 'fixed';
      env.RECURRENT_WASM_THREADS = 'many';
      await expect(useBackend('wasm')).rejects.toThrow(/RECURRENT_WASM_THREADS must be a positive integer or 'auto', got NaN/);
    } finally {
      delete env.RECURRENT_WASM_THREADS;
      delete env.RECURRENT_WASM_KERNELS;
    }
  });

  it('refuses a thread count that is not a positive integer', async () => {
    await expect(useBackend('wasm', { threads: 0 })).rejects.toThrow(/options\.threads must be a positive integer or 'auto', got 0/);
    await expect(useBackend('wasm', { threads: 1.5 })).rejects.toThrow(/got 1\.5/);
  });
});
