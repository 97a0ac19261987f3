/**
 * Test helper for the fused cell kernels' tests (lstm-cell, gru-cell, rnn-cell): a step kernel
 * against its composite, forward over a few steps and backward per step, with the leak check
 * around both. Each test supplies its own inputs and the two functions to compare.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** A mask [T = 3, B = 5, 1] with steps kept and skipped in every row and every step. */
export const stepMask = () => tf.tensor3d([1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0], [3, 5, 1]);

type Forward = (state: tf.Tensor3D, training: boolean, step: number) => tf.Tensor3D;

/**
 * Steps 0 … T−1 from `state0`, inference then training, the kernel from its own previous record
 * and the composite from its own: every record within `rtol` of the composite's. Returns the
 * composite's training records (the backward's input), which the caller disposes.
 */
export async function expectForwardAgrees(T: number, state0: tf.Tensor3D, kernel: Forward, composite: Forward, rtol: number): Promise<tf.Tensor3D[]> {
  const recs: tf.Tensor3D[] = [];
  for (const training of [false, true]) {
    let [sk, sc] = [state0, state0];
    for (let step = 0; step < T; step++) {
      const got = kernel(sk, training, step);
      const want = composite(sc, training, step);
      expect(Array.from(await got.data()), `step ${step} (training: ${training})`).toHaveRelativeError(Array.from(await want.data()), rtol);
      if (training) recs.push(want);
      if (step > 0) tf.dispose(training ? [sk] : [sk, sc]);
      [sk, sc] = [got, want];
    }
    tf.dispose(training ? [sk] : [sk, sc]);
  }
  return recs;
}

/**
 * Steps 0 … T−1 backward, each from the same `carry`: the kernel's output within `rtol` of the
 * composite's. `inputs(UT)` builds a step's inputs around Uᵀ, formed here (and disposed) per step.
 */
export async function expectBackwardAgrees<I>(T: number, U: tf.Tensor2D, inputs: (UT: tf.Tensor2D) => I, kernel: (inputs: I, step: number) => tf.Tensor3D, composite: (inputs: I, step: number) => tf.Tensor3D, rtol: number): Promise<void> {
  for (let step = 0; step < T; step++) {
    const UT = tf.transpose(U) as tf.Tensor2D;
    const got = kernel(inputs(UT), step);
    const want = composite(inputs(UT), step);
    expect(Array.from(await got.data()), `step ${step}`).toHaveRelativeError(Array.from(await want.data()), rtol);
    tf.dispose([got, want, UT]);
  }
}
