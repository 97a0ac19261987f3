/**
 * What the sequence loops over the fused cell kernels share (lstm-cell, gru-cell, rnn-cell
 * `sequence.ts`): the input projection of all steps as one matMul, the forward loop that feeds
 * each step's record to the next, and the backward loop that feeds each step's carry to the one
 * before; each loop gathers its per-step outputs at the end with one `RecurrentGatherSteps`
 * (gather-steps/kernel.ts: a concat, where webgl has a direct kernel). Also the unpacking
 * of the ops' customGrad arguments into those loops' inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { affine } from '../ops/internal/math.js';
import { maskSteps, toSteps } from '../ops/internal/time.js';
import { gatherSteps } from './gather-steps/kernel.js';

/** x·W + b of every step: X [T, B, I] → [T, B, width]. */
export function projectSteps(X: tf.Tensor3D, W: tf.Tensor, b: tf.Tensor, width: number): tf.Tensor3D {
  const [T, B] = X.shape;
  return tf.reshape(affine(tf.reshape(X, [T * B, -1]), W, b), [T, B, width]) as tf.Tensor3D;
}

/** k = 0 … T−1, each step given the previous record (`state0` first): all records [T, B, R] and the last [1, B, R]. */
export function forwardSteps(T: number, state0: tf.Tensor3D, step: (state: tf.Tensor3D, k: number) => tf.Tensor3D): { records: tf.Tensor3D; last: tf.Tensor3D } {
  let state = state0;
  const recs: tf.Tensor3D[] = [];
  for (let k = 0; k < T; k++) {
    state = step(state, k);
    recs.push(state);
  }
  return { records: T === 1 ? state : gatherSteps(recs), last: state };
}

/**
 * k = T−1 … 0, each step given the carry of step k + 1 (`carry0` first): all carries [T, B, W] in
 * step order (or only their columns [from, from + width) when `columns` is given), and step 0's
 * whole carry as [B, W] (what ∂E/∂h0 is formed from).
 */
export function backwardSteps(T: number, carry0: tf.Tensor3D, step: (carry: tf.Tensor3D, k: number) => tf.Tensor3D, columns?: { from: number; width: number }): { C: tf.Tensor3D; first: tf.Tensor2D } {
  let carry = carry0;
  const carries: tf.Tensor3D[] = new Array(T);
  for (let k = T - 1; k >= 0; k--) {
    carry = step(carry, k);
    carries[k] = carry;
  }
  const [, B, W] = carry.shape;
  const C = columns ? gatherSteps(carries, columns.from, columns.width) : T === 1 ? carry : gatherSteps(carries);
  return { C, first: tf.reshape(carry, [B, W]) as tf.Tensor2D };
}

/**
 * What {@link backwardSteps} returns, from the backward records of every step [T, B, W] that a
 * one-dispatch backward (seq-kernel.ts) wrote at once.
 */
export function fromSeqBackward(all: tf.Tensor3D, columns?: { from: number; width: number }): { C: tf.Tensor3D; first: tf.Tensor2D } {
  const [T, B, W] = all.shape;
  return {
    C: columns ? tf.slice(all, [0, 0, columns.from], [T, B, columns.width]) : all,
    first: tf.reshape(tf.slice(all, [0, 0, 0], [1, B, W]), [B, W]) as tf.Tensor2D,
  };
}

/**
 * An op's customGrad arguments `[x, ...params, save]` as the loops take them: x as time-major
 * steps X [T, B, I] and the mask as M [T, B, 1], both in processing order (flipped for `reverse`).
 */
export function fusedArgs<P extends tf.Tensor[]>(plan: { reverse: boolean; mask: tf.Tensor2D | undefined }, args: unknown[]) {
  const save = args[args.length - 1] as (tensors: tf.Tensor[]) => void;
  const [x, ...params] = args.slice(0, -1) as [tf.Tensor3D, ...tf.Tensor[]];
  const X = toSteps(x, plan.reverse);
  const M = plan.mask === undefined ? undefined : maskSteps(plan.mask, plan.reverse);
  return { save, X, M, params: params as P };
}
