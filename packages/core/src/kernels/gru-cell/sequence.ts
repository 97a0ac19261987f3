/**
 * The reset-after GRU sequence loop over the fused cell kernels (kernel.ts): one launch per step
 * forward and one per step backward, the step records gathered after each loop with one `gatherSteps` (gather-steps/kernel.ts).
 * ops.gru takes this path where the active backend registers the kernels of its reset form.
 * Inputs are time-major, in processing order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { blockConstants, gradsAgainst, shiftIn, transposeOnce } from '../../ops/internal/math.js';
import { backwardSteps, forwardSteps, fromSeqBackward, projectSteps } from '../cell-sequence.js';
import { runGruCell, runGruCellGrad, runGruRbCell, runGruRbCellGrad } from './kernel.js';
import { hasGruRbSeqGradKernel, hasGruRbSeqKernel, hasGruSeqGradKernel, hasGruSeqKernel, runGruRbSeq, runGruRbSeqGrad, runGruSeq, runGruSeqGrad } from './seq-kernel.js';

/**
 * The widest H for which the reset-after forward takes the one-dispatch kernel (seq-kernel.ts)
 * where a backend has it (webgpu). Measured on Dawn/llvmpipe, 14:17 UTC, one process, per-step
 * kernels ÷ one dispatch, medians of 6 alternated pairs, inference (a whole gradient): B 8 × T 16
 * at H 16, 64: 1.86× (1.02×), 0.99× (1.14×); B 8 × T 64 at H 32, 128: 1.74× (1.23×), 0.74×
 * (1.01×); B 32 × T 64 at H 64, 128, 256: 1.50× (1.03×), 0.86× (1.08×), 1.06× (1.00×).
 */
export const GRU_SEQ_WINS_UP_TO = 64;

/**
 * The same for the reset-after backward (RecurrentGruSeqGrad). Measured at 14:33 UTC, a whole
 * gradient (the forward one dispatch in both up to H 64), per-step ÷ one-dispatch backward,
 * medians of 8 alternated pairs: B 8 × T 16 at H 16, 64: 1.23×, 1.09×; B 8 × T 64 at H 32, 128:
 * 1.15×, 0.92×; B 32 × T 64 at H 64, 128, 256: 1.00×, 1.02×, 1.02×.
 */
export const GRU_SEQ_GRAD_WINS_UP_TO = 64;

/**
 * The same for reset-before (RecurrentGruRbSeq). Measured as above at 14:32 UTC: B 8 × T 16 at
 * H 16, 64: 1.56× (1.11×), 1.72× (1.02×); B 8 × T 64 at H 32, 128: 2.80× (1.13×), 1.36× (1.15×);
 * B 32 × T 64 at H 64, 128, 256: 1.43× (1.29×), 0.84× (1.03×), 0.96× (1.05×).
 */
export const GRU_RB_SEQ_WINS_UP_TO = 64;

/**
 * The same for the reset-before backward (RecurrentGruRbSeqGrad). Measured at 14:45 UTC, a whole
 * gradient, per-step ÷ one-dispatch backward, medians of 8 alternated pairs: B 8 × T 16 at H 16,
 * 64: 1.24×, 1.14×; B 8 × T 64 at H 32, 128: 1.98×, 1.19×; B 32 × T 64 at H 64, 128, 256: 1.16×,
 * 1.08×, 0.95×.
 */
export const GRU_RB_SEQ_GRAD_WINS_UP_TO = 128;

export interface GruCellPlan {
  B: number;
  T: number;
  H: number;
}

/** `b` is the reset-after bias [2, 3H] (input row, recurrent row). */
export function gruFusedForward(
  plan: GruCellPlan, X: tf.Tensor3D, W: tf.Tensor, U: tf.Tensor, b: tf.Tensor, h0: tf.Tensor, M: tf.Tensor3D | undefined, training: boolean,
): { records: tf.Tensor3D; hs: tf.Tensor3D; state0: tf.Tensor3D } {
  const { B, T, H } = plan;
  const [bx, bRec] = tf.unstack(b);
  // z and r take both biases; b_hh rides along as a fourth block (kernel.ts).
  const bIn = tf.concat([tf.add(bx!, tf.mul(bRec!, blockConstants([1, 1, 0], H))), tf.slice(bRec!, [2 * H], [H])]);
  const Wx = tf.concat([W, tf.zeros([W.shape[0]!, H])], 1);
  const XP = projectSteps(X, Wx, bIn, 4 * H);
  const attrs = { masked: M !== undefined, training };
  const state0 = tf.expandDims(h0, 0) as tf.Tensor3D;
  const records = T > 1 && H <= GRU_SEQ_WINS_UP_TO && hasGruSeqKernel(H)
    ? runGruSeq({ xp: XP, U: U as tf.Tensor2D, state0, mask: M }, training)
    : forwardSteps(T, state0, (state, k) => runGruCell({ xp: XP, U: U as tf.Tensor2D, state, mask: M }, { ...attrs, step: k })).records;
  return { records, state0, hs: training ? tf.slice(records, [0, 0, 0], [T, B, H]) : records };
}

export interface GruFusedSaved {
  X: tf.Tensor3D;
  W: tf.Tensor;
  U: tf.Tensor;
  records: tf.Tensor3D;
  state0: tf.Tensor3D;
  M: tf.Tensor3D | undefined;
}

/** BPTT over the records, one kernel per step (k = T−1 … 0), then the weight gradients as single matMuls. */
export function gruFusedBackward(plan: GruCellPlan, s: GruFusedSaved, dH: tf.Tensor3D) {
  const { B, T, H } = plan;
  const attrs = { masked: s.M !== undefined };
  const UT = transposeOnce(s.U);
  // C [T, B, 5H]
  const carry0 = tf.zeros([1, B, 5 * H]) as tf.Tensor3D;
  const { C, first } = T > 1 && H <= GRU_SEQ_GRAD_WINS_UP_TO && hasGruSeqGradKernel(H)
    ? fromSeqBackward(runGruSeqGrad({ records: s.records, state0: s.state0, dH, UT, carry0, mask: s.M }))
    : backwardSteps(T, carry0, (carry, k) => runGruCellGrad({ records: s.records, state0: s.state0, dH, UT, carry, mask: s.M }, { ...attrs, step: k }));
  const dh0 = tf.add(tf.matMul(tf.slice(first, [0, 0], [B, 3 * H]), UT), tf.slice(first, [0, 3 * H], [B, H]));
  const flat = (t: tf.Tensor) => tf.reshape(t, [T * B, -1]) as tf.Tensor2D;
  const dRec = flat(tf.slice(C, [0, 0, 0], [T, B, 3 * H])); // ∂E/∂(h·U + b_h)
  const dA = flat(tf.concat([tf.slice(C, [0, 0, 0], [T, B, 2 * H]), tf.slice(C, [0, 0, 4 * H], [T, B, H])], 2)); // ∂E/∂(x·W + b_x)
  const hPrev = shiftIn(tf.reshape(s.state0, [B, H]), tf.slice(s.records, [0, 0, 0], [T, B, H]));
  const [gA, gRec] = [gradsAgainst(dA), gradsAgainst(dRec)];
  const dU = gRec.weight(flat(hPrev));
  const db = tf.stack([gA.bias(), gRec.bias()]);
  const dW = gA.weight(flat(s.X));
  const dX = tf.reshape(tf.matMul(dA, transposeOnce(s.W)), [T, B, -1]) as tf.Tensor3D;
  return { dX, dW, dU, db, dh0 };
}

/** Reset-before over its kernels (kernel.ts): `b` is the bias [3H]. */
export function gruRbFusedForward(
  plan: GruCellPlan, X: tf.Tensor3D, W: tf.Tensor, U: tf.Tensor, b: tf.Tensor, h0: tf.Tensor, M: tf.Tensor3D | undefined, training: boolean,
): { records: tf.Tensor3D; hs: tf.Tensor3D; state0: tf.Tensor3D } {
  const { B, T, H } = plan;
  const XP = projectSteps(X, W, b, 3 * H);
  const attrs = { masked: M !== undefined, training };
  const state0 = tf.expandDims(h0, 0) as tf.Tensor3D;
  const records = T > 1 && H <= GRU_RB_SEQ_WINS_UP_TO && hasGruRbSeqKernel(H)
    ? runGruRbSeq({ xp: XP, U: U as tf.Tensor2D, state0, mask: M }, training)
    : forwardSteps(T, state0, (state, k) => runGruRbCell({ xp: XP, U: U as tf.Tensor2D, state, mask: M }, { ...attrs, step: k })).records;
  return { records, state0, hs: training ? tf.slice(records, [0, 0, 0], [T, B, H]) : records };
}

export function gruRbFusedBackward(plan: GruCellPlan, s: GruFusedSaved, dH: tf.Tensor3D) {
  const { B, T, H } = plan;
  const attrs = { masked: s.M !== undefined };
  const UT = transposeOnce(s.U);
  // C [T, B, 4H]
  const carry0 = tf.zeros([1, B, 4 * H]) as tf.Tensor3D;
  const { C, first } = T > 1 && H <= GRU_RB_SEQ_GRAD_WINS_UP_TO && hasGruRbSeqGradKernel(H)
    ? fromSeqBackward(runGruRbSeqGrad({ records: s.records, state0: s.state0, dH, UT, carry0, mask: s.M }))
    : backwardSteps(T, carry0, (carry, k) => runGruRbCellGrad({ records: s.records, state0: s.state0, dH, UT, carry, mask: s.M }, { ...attrs, step: k }));
  const dh0 = tf.add(tf.matMul(tf.slice(first, [0, 0], [B, 2 * H]), tf.slice(UT, [0, 0], [2 * H, H])), tf.slice(first, [0, 2 * H], [B, H]));
  const flat = (t: tf.Tensor) => tf.reshape(t, [T * B, -1]) as tf.Tensor2D;
  const dzr = flat(tf.slice(C, [0, 0, 0], [T, B, 2 * H]));
  const dah = flat(tf.slice(C, [0, 0, 3 * H], [T, B, H]));
  const dA = tf.concat([dzr, dah], 1); // ∂E/∂(x·W + b)
  const hPrev = shiftIn(tf.reshape(s.state0, [B, H]), tf.slice(s.records, [0, 0, 0], [T, B, H]));
  const r = tf.slice(s.records, [0, 0, 2 * H], [T, B, H]);
  const gA = gradsAgainst(dA);
  const dU = tf.concat([gA.weight(flat(hPrev), [0, 2 * H]), gA.weight(flat(tf.mul(r, hPrev)), [2 * H, H])], 1);
  const db = gA.bias();
  const dW = gA.weight(flat(s.X));
  const dX = tf.reshape(tf.matMul(dA, transposeOnce(s.W)), [T, B, -1]) as tf.Tensor3D;
  return { dX, dW, dU, db, dh0 };
}
