/**
 * `RecurrentRnnSeq` and `RecurrentRnnSeqGrad`: the whole forward, and the whole backward, of a
 * simple-RNN sequence as one kernel each (seq-kernel.ts) — on webgpu one dispatch for all T steps
 * (webgpu-seq.ts), where the per-step kernels (kernel.ts) take T.
 *
 * Forward: `xp` [T, B, H], `U` [H, H], `state0` [1, B, H] = h0, `mask` [T, B, 1] with `masked`;
 * attrs `activation`, `training`. Output: the records [T, B, R] the per-step kernels write,
 * gathered: `h` (R = H), or in training `h | hn` (R = 2H).
 *
 * Backward: `records` [T, B, 2H], `dH` [T, B, H], `UT` [H, H] = Uᵀ, `carry0` [1, B, 2H] (zeros by
 * the ops), `mask`; attrs `activation`, `masked`. Output: the backward records `da | keep`
 * [T, B, 2H] of every step (`RecurrentRnnCellGrad`'s), in step order.
 *
 * The composites run the per-step composites step by step: oracle and fallback.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backwardSteps, forwardSteps } from '../cell-sequence.js';
import { hasSeqKernel, runSeqBackward, runSeqForward, type SeqGradInputs, type SeqInputs } from '../seq-kernel.js';
import { rnnCellComposite, rnnCellGradComposite, type RnnActivation } from './kernel.js';

export const RNN_SEQ = 'RecurrentRnnSeq';
export const RNN_SEQ_GRAD = 'RecurrentRnnSeqGrad';

/** Floats of workgroup memory per batch row on webgpu: h twice (steps k and k + 1); backward da twice. */
export const RNN_SEQ_FLOATS_PER_ROW = (H: number) => 2 * H;
export const RNN_SEQ_GRAD_FLOATS_PER_ROW = (H: number) => 2 * H;

export function hasRnnSeqKernel(H: number): boolean {
  return hasSeqKernel(RNN_SEQ, RNN_SEQ_FLOATS_PER_ROW(H));
}

/** The records [T, B, R] of a forward pass: the kernel where it runs, else step by step. */
export function runRnnSeq(inputs: SeqInputs, activation: RnnActivation, training = false): tf.Tensor3D {
  const { xp, U, state0, mask } = inputs;
  if (hasRnnSeqKernel(U.shape[0])) return runSeqForward(RNN_SEQ, { xp, U, state0, mask }, { activation, masked: mask !== undefined, training }, U.shape[0]);
  return rnnSeqComposite(inputs, activation, training);
}

export function rnnSeqComposite({ xp, U, state0, mask }: SeqInputs, activation: RnnActivation, training = false): tf.Tensor3D {
  return tf.tidy(() => {
    const attrs = { activation, masked: mask !== undefined, training };
    return forwardSteps(xp.shape[0], state0, (state, k) => rnnCellComposite({ xp, U, state, mask }, { ...attrs, step: k })).records;
  });
}

export function hasRnnSeqGradKernel(H: number): boolean {
  return hasSeqKernel(RNN_SEQ_GRAD, RNN_SEQ_GRAD_FLOATS_PER_ROW(H));
}

/** The backward records [T, B, 2H] of a sequence: the kernel where it runs, else step by step. */
export function runRnnSeqGrad(inputs: Omit<SeqGradInputs, 'state0'>, activation: RnnActivation): tf.Tensor3D {
  const { records, dH, UT, carry0, mask } = inputs;
  if (hasRnnSeqGradKernel(UT.shape[1])) return runSeqBackward(RNN_SEQ_GRAD, { records, dH, UT, carry0, mask }, { activation, masked: mask !== undefined }, UT.shape[1]);
  return rnnSeqGradComposite(inputs, activation);
}

export function rnnSeqGradComposite({ records, dH, UT, carry0, mask }: Omit<SeqGradInputs, 'state0'>, activation: RnnActivation): tf.Tensor3D {
  return tf.tidy(() => {
    const attrs = { activation, masked: mask !== undefined };
    return backwardSteps(records.shape[0], carry0, (carry, k) => rnnCellGradComposite({ records, dH, UT, carry, mask }, { ...attrs, step: k })).C;
  });
}
