/**
 * `RecurrentLstmSeq` and `RecurrentLstmSeqGrad`: the whole forward, and the whole backward, of an
 * LSTM sequence as one kernel each — on webgpu one dispatch for all T steps (webgpu-seq.ts), where
 * the per-step kernels (kernel.ts) take T.
 *
 * Forward contract, for every variant (attrs `coupled`, `peephole`, as kernel.ts): `xp` [T, B, GH]
 * the input projection (true pre-activations, blocks i, f, c, o; coupled f, c, o), `U` [H, GH],
 * `state0` [1, B, 2H] = h0 | c0, `mask` [T, B, 1] with `masked`, `peephole` [3, H] with
 * `peephole`; `training`. Output: the records [T, B, R] the per-step kernels write, gathered:
 * inference R = 2H, h | c after each step (after the mask); training R = 3H + GH, h | c | ĉn | the
 * gates.
 *
 * Backward contract: `records` [T, B, 3H + GH] (the training records), `state0`, `dH` [T, B, H],
 * `UT` [GH, H] = Uᵀ, `carry0` [1, B, GH + 2H] = 0 | dcLast | 0, `mask`, `peephole`. Output: the
 * backward records [T, B, GH + 2H] = dz | dc | keep of every step k (`RecurrentLstmCellGrad`'s
 * output for step k), in step order.
 *
 * The composites run the per-step kernels' own composites step by step: oracle and fallback.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backwardSteps, forwardSteps } from '../cell-sequence.js';
import { hasSeqKernel, runSeqBackward, runSeqForward, type SeqGradInputs, type SeqInputs } from '../seq-kernel.js';
import { lstmCellComposite, lstmCellGradComposite, type LstmVariant } from './kernel.js';

export const LSTM_SEQ = 'RecurrentLstmSeq';
export const LSTM_SEQ_GRAD = 'RecurrentLstmSeqGrad';

/** Floats of workgroup memory the webgpu kernels give each batch row: forward h twice (steps k and k + 1) and c; backward dz twice (steps k + 1 and k). */
export const SEQ_FLOATS_PER_ROW = (H: number) => 3 * H;
export const SEQ_GRAD_FLOATS_PER_ROW = (H: number) => 8 * H;

/** The plain LSTM; the kernels take every variant (kernel.ts), and `peephole` [3, H] (rows i, f, o; i unused when coupled) with peepholes. */
export const PLAIN: LstmVariant = { coupled: false, peephole: false };
type WithPeephole<I> = I & { peephole?: tf.Tensor2D };

/** Whether the active backend runs the one-dispatch forward for H units (one batch row at least must fit). */
export function hasLstmSeqKernel(H: number): boolean {
  return hasSeqKernel(LSTM_SEQ, SEQ_FLOATS_PER_ROW(H));
}

/** The records [T, B, R] of a forward pass: the kernel where it runs, else step by step. */
export function runLstmSeq(inputs: WithPeephole<SeqInputs>, training = false, variant = PLAIN): tf.Tensor3D {
  const { xp, U, state0, mask, peephole } = inputs;
  if (hasLstmSeqKernel(U.shape[0])) return runSeqForward(LSTM_SEQ, { xp, U, state0, mask, peephole }, { ...variant, masked: mask !== undefined, training }, 2 * U.shape[0]);
  return lstmSeqComposite(inputs, training, variant);
}

export function lstmSeqComposite({ xp, U, state0, mask, peephole }: WithPeephole<SeqInputs>, training = false, variant = PLAIN): tf.Tensor3D {
  return tf.tidy(() => {
    const attrs = { ...variant, masked: mask !== undefined, training };
    return forwardSteps(xp.shape[0], state0, (state, k) => lstmCellComposite({ xp, U, state, mask, peephole }, { ...attrs, step: k })).records;
  });
}

/** Whether the active backend runs the one-dispatch backward for H units (one batch row at least must fit). */
export function hasLstmSeqGradKernel(H: number): boolean {
  return hasSeqKernel(LSTM_SEQ_GRAD, SEQ_GRAD_FLOATS_PER_ROW(H));
}

/** The backward records [T, B, GH + 2H] of a sequence: the kernel where it runs, else step by step. */
export function runLstmSeqGrad(inputs: WithPeephole<SeqGradInputs>, variant = PLAIN): tf.Tensor3D {
  const { records, state0, dH, UT, carry0, mask, peephole } = inputs;
  if (hasLstmSeqGradKernel(UT.shape[1])) return runSeqBackward(LSTM_SEQ_GRAD, { records, state0, dH, UT, carry0, mask, peephole }, { ...variant, masked: mask !== undefined }, 2 * UT.shape[1]);
  return lstmSeqGradComposite(inputs, variant);
}

export function lstmSeqGradComposite({ records, state0, dH, UT, carry0, mask, peephole }: WithPeephole<SeqGradInputs>, variant = PLAIN): tf.Tensor3D {
  return tf.tidy(() => {
    const attrs = { ...variant, masked: mask !== undefined };
    return backwardSteps(records.shape[0], carry0, (carry, k) => lstmCellGradComposite({ records, state0, dH, UT, carry, mask, peephole }, { ...attrs, step: k })).C;
  });
}
