/**
 * The simple-RNN sequence loop over the fused cell kernels (kernel.ts): one launch per step
 * forward and one per step backward, the step records gathered after each loop with one `gatherSteps` (gather-steps/kernel.ts);
 * the forward at small H on webgpu: one launch for the whole sequence (seq-kernel.ts).
 * ops.simpleRnn takes this path where the active backend registers both kernels. Inputs are
 * time-major, in processing order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gradsAgainst, shiftIn, transposeOnce } from '../../ops/internal/math.js';
import { backwardSteps, forwardSteps, fromSeqBackward, projectSteps } from '../cell-sequence.js';
import { runRnnCell, runRnnCellGrad, type RnnActivation } from './kernel.js';
import { hasRnnSeqGradKernel, hasRnnSeqKernel, runRnnSeq, runRnnSeqGrad } from './seq-kernel.js';

/**
 * The widest H for which the forward takes the one-dispatch kernel (seq-kernel.ts) where a backend
 * has it (webgpu). Measured on Dawn/llvmpipe, 14:17 UTC, one process, per-step kernels ÷ one
 * dispatch, medians of 6 alternated pairs, inference (a whole gradient): B 8 × T 16 at H 16, 64:
 * 1.72× (1.11×), 1.25× (1.44×); B 8 × T 64 at H 32, 128: 2.32× (1.30×), 1.55× (0.92×);
 * B 32 × T 64 at H 64, 128, 256: 1.80× (0.99×), 1.17× (1.11×), 0.93× (1.11×).
 */
export const RNN_SEQ_WINS_UP_TO = 128;

/**
 * The same for the backward (RecurrentRnnSeqGrad). Measured at 14:33 UTC, a whole gradient (the
 * forward one dispatch in both), per-step ÷ one-dispatch backward, medians of 8 alternated pairs:
 * B 8 × T 16 at H 16, 64: 1.07×, 1.06×; B 8 × T 64 at H 32, 128: 1.77×, 1.13×; B 32 × T 64 at
 * H 64, 128, 256: 1.13×, 1.20×, 1.00×.
 */
export const RNN_SEQ_GRAD_WINS_UP_TO = 128;

export interface RnnCellPlan {
  B: number;
  T: number;
  H: number;
  activation: RnnActivation;
}

export function rnnFusedForward(
  plan: RnnCellPlan, X: tf.Tensor3D, W: tf.Tensor, U: tf.Tensor, b: tf.Tensor, h0: tf.Tensor, M: tf.Tensor3D | undefined, training: boolean,
): { records: tf.Tensor3D; hs: tf.Tensor3D } {
  const { B, T, H, activation } = plan;
  const XP = projectSteps(X, W, b, H);
  const attrs = { activation, masked: M !== undefined, training };
  const state0 = tf.expandDims(h0, 0) as tf.Tensor3D;
  const records = T > 1 && H <= RNN_SEQ_WINS_UP_TO && hasRnnSeqKernel(H)
    ? runRnnSeq({ xp: XP, U: U as tf.Tensor2D, state0, mask: M }, activation, training)
    : forwardSteps(T, state0, (state, k) => runRnnCell({ xp: XP, U: U as tf.Tensor2D, state, mask: M }, { ...attrs, step: k })).records;
  return { records, hs: training ? tf.slice(records, [0, 0, 0], [T, B, H]) : records };
}

export interface RnnFusedSaved {
  X: tf.Tensor3D;
  W: tf.Tensor;
  U: tf.Tensor;
  h0: tf.Tensor;
  records: tf.Tensor3D;
  M: tf.Tensor3D | undefined;
}

/** BPTT over the records, one kernel per step (k = T−1 … 0), then the weight gradients as single matMuls. */
export function rnnFusedBackward(plan: RnnCellPlan, s: RnnFusedSaved, dH: tf.Tensor3D) {
  const { B, T, H, activation } = plan;
  const attrs = { activation, masked: s.M !== undefined };
  const UT = transposeOnce(s.U);
  // C [T, B, 2H]
  const carry0 = tf.zeros([1, B, 2 * H]) as tf.Tensor3D;
  const { C, first } = T > 1 && H <= RNN_SEQ_GRAD_WINS_UP_TO && hasRnnSeqGradKernel(H)
    ? fromSeqBackward(runRnnSeqGrad({ records: s.records, dH, UT, carry0, mask: s.M }, activation))
    : backwardSteps(T, carry0, (carry, k) => runRnnCellGrad({ records: s.records, dH, UT, carry, mask: s.M }, { ...attrs, step: k }));
  const dh0 = tf.add(tf.matMul(tf.slice(first, [0, 0], [B, H]), UT), tf.slice(first, [0, H], [B, H]));
  const dA = tf.reshape(tf.slice(C, [0, 0, 0], [T, B, H]), [T * B, H]) as tf.Tensor2D;
  const hs = tf.slice(s.records, [0, 0, 0], [T, B, H]);
  const grads = gradsAgainst(dA);
  const dW = grads.weight(tf.reshape(s.X, [T * B, -1]) as tf.Tensor2D);
  const dU = grads.weight(tf.reshape(shiftIn(s.h0, hs), [T * B, H]) as tf.Tensor2D);
  const db = grads.bias();
  const dX = tf.reshape(tf.matMul(dA, transposeOnce(s.W)), [T, B, -1]) as tf.Tensor3D;
  return { dX, dW, dU, db, dh0 };
}
