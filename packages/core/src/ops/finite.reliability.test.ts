/**
 * NaN and ±Inf in the ops' inputs and weights. Where reading values is free (cpu and wasm:
 * `backendCapabilities().hostMemory`) each op rejects them before any kernel runs, naming the
 * argument, the value, its position and the fix, and leaving no tensor behind. On GPU backends
 * the ops do not read back (that would be a GPU→CPU sync per call): the NaN reaches the output,
 * where the Trainer's guard reports it by parameter name.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { backendCapabilities } from '../backend/index.js';
import { describeBackends, expectInputError, expectNoLeaks } from '../testing/index.js';
import { ops } from './index.js';

const [B, T, I, H] = [2, 3, 4, 5];
const INPUT_FIX = 'the input must be finite: replace missing values (e.g. tf.where(tf.isNaN(x), tf.zerosLike(x), x)) and mask those steps instead';
const WEIGHT_FIX = 'the weights diverged or were loaded damaged: reload good weights, and lower the learning rate or clip gradients';

/** A tensor of `shape` filled with 0.1, with `value` at flat index `at`. */
function poisoned(shape: number[], at = -1, value = Number.NaN): tf.Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.1);
  if (at >= 0) data[at] = value;
  return tf.tensor(data, shape);
}

describeBackends('ops: NaN and Inf', () => {
  const host = () => backendCapabilities().hostMemory;

  it('rejected where host reads are free, naming the argument, value and position', async () => {
    if (!host()) return;
    const keep: tf.Tensor[] = [];
    const t = (shape: number[], at?: number, value?: number) => {
      const x = poisoned(shape, at, value);
      keep.push(x);
      return x;
    };
    const x = t([B, T, I]);
    const k4 = t([I, 4 * H]);
    const u4 = t([H, 4 * H]);
    const k3 = t([I, 3 * H]);
    const u3 = t([H, 3 * H]);
    const u1 = t([H, H]);
    const h = t([B, H]);
    const p = t([H]);
    // Flat index 13 of [2, 3, 4] is [1, 0, 1]; 22 of [5, 20] is [1, 2]; 7 of [2, 5] is [1, 2]; 16 of [2, 15] is [1, 1]; 19 of [4, 5] is [3, 4].
    const [badX, badU, badC0, badP, badBias, badH0, badK] = [t([B, T, I], 13), t([H, 4 * H], 22, Infinity), t([B, H], 7, -Infinity), t([H], 4), t([2, 3 * H], 16), t([B, H], 0), t([I, H], 19, Infinity)];
    await expectInputError(() => ops.lstm(badX as tf.Tensor3D, { kernel: k4, recurrentKernel: u4 } as never), `lstm: x holds NaN at [1, 0, 1]; ${INPUT_FIX}`);
    await expectInputError(() => ops.lstm(x as tf.Tensor3D, { kernel: k4, recurrentKernel: badU } as never), `lstm: recurrentKernel holds Infinity at [1, 2]; ${WEIGHT_FIX}`);
    await expectInputError(() => ops.lstm(x as tf.Tensor3D, { kernel: k4, recurrentKernel: u4 } as never, { c0: badC0 as tf.Tensor2D }), `lstm: c0 holds -Infinity at [1, 2]; ${INPUT_FIX}`);
    await expectInputError(() => ops.lstm(x as tf.Tensor3D, { kernel: k4, recurrentKernel: u4, peephole: { i: p, f: badP, o: p } } as never), `lstm: peephole.f holds NaN at [4]; ${WEIGHT_FIX}`);
    await expectInputError(() => ops.gru(x as tf.Tensor3D, { kernel: k3, recurrentKernel: u3, bias: badBias } as never, { resetAfter: true }), `gru: bias holds NaN at [1, 1]; ${WEIGHT_FIX}`);
    await expectInputError(() => ops.gru(x as tf.Tensor3D, { kernel: k3, recurrentKernel: u3 } as never, { h0: badH0 as tf.Tensor2D }), `gru: h0 holds NaN at [0, 0]; ${INPUT_FIX}`);
    await expectInputError(() => ops.simpleRnn(x as tf.Tensor3D, { kernel: badK, recurrentKernel: u1 } as never), `simpleRnn: kernel holds Infinity at [3, 4]; ${WEIGHT_FIX}`);
    // Finite inputs pass (and again, from the cache of checked buffers).
    const k1 = t([I, H]);
    for (let i = 0; i < 2; i++) {
      await expectNoLeaks(() => tf.dispose(Object.values(ops.simpleRnn(x as tf.Tensor3D, { kernel: k1, recurrentKernel: u1 } as never, { h0: h as tf.Tensor2D }))));
    }
    tf.dispose(keep);
  });

  it('a variable assigned a NaN after a clean call is caught on the next call (its data changed)', async () => {
    if (!host()) return;
    const x = poisoned([B, T, I]) as tf.Tensor3D;
    const kernel = tf.variable(poisoned([I, H]));
    const recurrentKernel = poisoned([H, H]) as tf.Tensor2D;
    tf.dispose(Object.values(ops.simpleRnn(x, { kernel: kernel as tf.Tensor2D, recurrentKernel })));
    tf.tidy(() => kernel.assign(poisoned([I, H], 0)));
    await expectInputError(() => ops.simpleRnn(x, { kernel: kernel as tf.Tensor2D, recurrentKernel }), `simpleRnn: kernel holds NaN at [0, 0]; ${WEIGHT_FIX}`);
    tf.dispose([x, kernel, recurrentKernel]);
  });

  it('not read back on GPU backends: the NaN reaches the output instead', async () => {
    if (host()) return;
    await expectNoLeaks(async () => {
      const x = poisoned([B, T, I], 0) as tf.Tensor3D;
      const k = poisoned([I, H]) as tf.Tensor2D;
      const u = poisoned([H, H]) as tf.Tensor2D;
      const r = ops.simpleRnn(x, { kernel: k, recurrentKernel: u });
      expect(Number.isNaN((await r.h.data())[0]!)).toBe(true);
      tf.dispose([x, k, u, r.sequence, r.h]);
    });
  });
});
