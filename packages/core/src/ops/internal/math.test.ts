/**
 * gradsAgainst: the weight and bias gradients every op's backward forms, against float64 sums —
 * on each backend, and on wasm both ways (gᵀ·a transposed where matMul repacks its B operand,
 * aᵀ·g with the stock kernels).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describeBackends, tolerances } from '../../testing/index.js';
import { mulberry32 } from '../../testing/random.js';
import { backendCapabilities } from '../../backend/index.js';
import { useWasmKernels } from '../../kernels/wasm-overrides/index.js';
import { gradsAgainst } from './math.js';

function values(n: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n }, () => rng() * 2 - 1);
}

/** aᵀ·g [K, M] and the column sums of g, in float64. */
function reference(a: Float32Array, g: Float32Array, N: number, K: number, M: number): { weight: number[]; bias: number[] } {
  const weight = new Array<number>(K * M).fill(0);
  const bias = new Array<number>(M).fill(0);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      bias[m]! += g[n * M + m]!;
      for (let k = 0; k < K; k++) weight[k * M + m]! += a[n * K + k]! * g[n * M + m]!;
    }
  }
  return { weight, bias };
}

describeBackends('gradsAgainst', (backend) => {
  // N rows of T·B, K activations (I or H), M gate columns; odd sizes for the transposes' tails
  const cases: [number, number, number][] = [[1, 1, 1], [7, 5, 12], [96, 33, 130], [2048, 64, 256]];
  const run = async (N: number, K: number, M: number) => {
    const [av, gv] = [values(N * K, N + K), values(N * M, M + 1)];
    const ref = reference(av, gv, N, K, M);
    const [weight, bias] = tf.tidy(() => {
      const grads = gradsAgainst(tf.tensor2d(gv, [N, M]));
      return [grads.weight(tf.tensor2d(av, [N, K])), grads.bias()];
    });
    expect(weight.shape).toEqual([K, M]);
    expect(bias.shape).toEqual([M]);
    const { gradient } = tolerances(backend); // float32 sums of N products of values in (−1, 1)
    expect(Array.from(await weight.data())).toBeAllClose(ref.weight, { rtol: gradient, atol: gradient * Math.sqrt(N) });
    expect(Array.from(await bias.data())).toBeAllClose(ref.bias, { rtol: gradient, atol: gradient * Math.sqrt(N) });
    tf.dispose([weight, bias]);
    if (M < 3) return;
    // against columns 1 … M − 2 of g only
    const part = tf.tidy(() => gradsAgainst(tf.tensor2d(gv, [N, M])).weight(tf.tensor2d(av, [N, K]), [1, M - 2]));
    expect(part.shape).toEqual([K, M - 2]);
    const want = ref.weight.filter((_, i) => i % M >= 1 && i % M < M - 1);
    expect(Array.from(await part.data())).toBeAllClose(want, { rtol: gradient, atol: gradient * Math.sqrt(N) });
    part.dispose();
  };
  for (const [N, K, M] of cases) {
    it(`[${N}, ${K}]ᵀ · [${N}, ${M}], against a column range too, and the column sums`, () => run(N, K, M));
  }

  if (backend === 'wasm') {
    describe('on the stock kernels too', () => {
      it('takes aᵀ·g there, and gets the same', async () => {
        expect(backendCapabilities().packsMatMulOperandB).toBe(true);
        useWasmKernels('stock');
        try {
          expect(backendCapabilities().packsMatMulOperandB).toBe(false);
          for (const [N, K, M] of cases.slice(0, 3)) await run(N, K, M);
        } finally {
          useWasmKernels('fixed');
        }
      });
    });
  }
});
