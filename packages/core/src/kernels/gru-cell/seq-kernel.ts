/**
 * `RecurrentGruSeq` and `RecurrentGruRbSeq`: the whole forward of a GRU sequence, reset-after or
 * reset-before, as one kernel (seq-kernel.ts) — on webgpu one dispatch for all T steps
 * (webgpu-seq.ts), where the per-step kernels (kernel.ts) take T.
 *
 * Reset-after contract: `xp` [T, B, 4H] (kernel.ts: z, r, the candidate's input part, b_hh), `U`
 * [H, 3H], `state0` [1, B, H] = h0, `mask` [T, B, 1] with `masked`; `training`. Output: the
 * records [T, B, R] the per-step kernels write, gathered: `h` (R = H), or in training
 * `h | z | r | ĥ | hh` (R = 5H).
 *
 * Reset-before: the same with `xp` [T, B, 3H] (x·W + b) and the reset-before records: `h`, or in
 * training `h | z | r | ĥ` (R = 4H).
 *
 * `RecurrentGruSeqGrad`, the reset-after backward: `records` [T, B, 5H], `state0`, `dH` [T, B, H],
 * `UT` [3H, H] = Uᵀ, `carry0` [1, B, 5H] (zeros by the ops), `mask`. Output: the backward records
 * `da_z | da_r | dhh | keep | da_h` [T, B, 5H] of every step (`RecurrentGruCellGrad`'s), in step
 * order. `RecurrentGruRbSeqGrad`, the reset-before backward: the same with `records` [T, B, 4H] and the
 * reset-before backward records `da_z | da_r | e | da_h` [T, B, 4H].
 *
 * The composites run the per-step composites step by step: oracle and fallback.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backwardSteps, forwardSteps } from '../cell-sequence.js';
import { hasSeqKernel, runSeqBackward, runSeqForward, type SeqGradInputs, type SeqInputs } from '../seq-kernel.js';
import { gruCellComposite, gruCellGradComposite, gruRbCellComposite, gruRbCellGradComposite } from './kernel.js';

export const GRU_SEQ = 'RecurrentGruSeq';
export const GRU_RB_SEQ = 'RecurrentGruRbSeq';
export const GRU_SEQ_GRAD = 'RecurrentGruSeqGrad';
export const GRU_RB_SEQ_GRAD = 'RecurrentGruRbSeqGrad';

/** Floats of workgroup memory per batch row on webgpu: h twice (steps k and k + 1); reset-before also z and r ⊙ h. */
export const GRU_SEQ_FLOATS_PER_ROW = (H: number) => 2 * H;
export const GRU_RB_SEQ_FLOATS_PER_ROW = (H: number) => 4 * H;
/** Reset-after backward: [da_z, da_r, dhh] twice. */
export const GRU_SEQ_GRAD_FLOATS_PER_ROW = (H: number) => 6 * H;
/** Reset-before backward: [da_z, da_r] twice, da_h and dhTot. */
export const GRU_RB_SEQ_GRAD_FLOATS_PER_ROW = (H: number) => 6 * H;

export function hasGruSeqKernel(H: number): boolean {
  return hasSeqKernel(GRU_SEQ, GRU_SEQ_FLOATS_PER_ROW(H));
}

/** The records [T, B, R] of a forward pass: the kernel where it runs, else step by step. */
export function runGruSeq(inputs: SeqInputs, training = false): tf.Tensor3D {
  const { xp, U, state0, mask } = inputs;
  if (hasGruSeqKernel(U.shape[0])) return runSeqForward(GRU_SEQ, { xp, U, state0, mask }, { masked: mask !== undefined, training }, U.shape[0]);
  return gruSeqComposite(inputs, training);
}

export function gruSeqComposite({ xp, U, state0, mask }: SeqInputs, training = false): tf.Tensor3D {
  return tf.tidy(() => {
    const attrs = { masked: mask !== undefined, training };
    return forwardSteps(xp.shape[0], state0, (state, k) => gruCellComposite({ xp, U, state, mask }, { ...attrs, step: k })).records;
  });
}

export function hasGruRbSeqKernel(H: number): boolean {
  return hasSeqKernel(GRU_RB_SEQ, GRU_RB_SEQ_FLOATS_PER_ROW(H));
}

/** Reset-before: the records [T, B, R] of a forward pass, the kernel where it runs, else step by step. */
export function runGruRbSeq(inputs: SeqInputs, training = false): tf.Tensor3D {
  const { xp, U, state0, mask } = inputs;
  if (hasGruRbSeqKernel(U.shape[0])) return runSeqForward(GRU_RB_SEQ, { xp, U, state0, mask }, { masked: mask !== undefined, training }, U.shape[0]);
  return gruRbSeqComposite(inputs, training);
}

export function gruRbSeqComposite({ xp, U, state0, mask }: SeqInputs, training = false): tf.Tensor3D {
  return tf.tidy(() => {
    const attrs = { masked: mask !== undefined, training };
    return forwardSteps(xp.shape[0], state0, (state, k) => gruRbCellComposite({ xp, U, state, mask }, { ...attrs, step: k })).records;
  });
}

export function hasGruSeqGradKernel(H: number): boolean {
  return hasSeqKernel(GRU_SEQ_GRAD, GRU_SEQ_GRAD_FLOATS_PER_ROW(H));
}

/** Reset-after: the backward records [T, B, 5H] of a sequence, the kernel where it runs, else step by step. */
export function runGruSeqGrad(inputs: SeqGradInputs): tf.Tensor3D {
  const { records, state0, dH, UT, carry0, mask } = inputs;
  if (hasGruSeqGradKernel(UT.shape[1])) return runSeqBackward(GRU_SEQ_GRAD, { records, state0, dH, UT, carry0, mask }, { masked: mask !== undefined }, UT.shape[1]);
  return gruSeqGradComposite(inputs);
}

export function gruSeqGradComposite({ records, state0, dH, UT, carry0, mask }: SeqGradInputs): tf.Tensor3D {
  return tf.tidy(() => {
    const attrs = { masked: mask !== undefined };
    return backwardSteps(records.shape[0], carry0, (carry, k) => gruCellGradComposite({ records, state0, dH, UT, carry, mask }, { ...attrs, step: k })).C;
  });
}

export function hasGruRbSeqGradKernel(H: number): boolean {
  return hasSeqKernel(GRU_RB_SEQ_GRAD, GRU_RB_SEQ_GRAD_FLOATS_PER_ROW(H));
}

/** Reset-before: the backward records [T, B, 4H] of a sequence, the kernel where it runs, else step by step. */
export function runGruRbSeqGrad(inputs: SeqGradInputs): tf.Tensor3D {
  const { records, state0, dH, UT, carry0, mask } = inputs;
  if (hasGruRbSeqGradKernel(UT.shape[1])) return runSeqBackward(GRU_RB_SEQ_GRAD, { records, state0, dH, UT, carry0, mask }, { masked: mask !== undefined }, UT.shape[1]);
  return gruRbSeqGradComposite(inputs);
}

export function gruRbSeqGradComposite({ records, state0, dH, UT, carry0, mask }: SeqGradInputs): tf.Tensor3D {
  return tf.tidy(() => {
    const attrs = { masked: mask !== undefined };
    return backwardSteps(records.shape[0], carry0, (carry, k) => gruRbCellGradComposite({ records, state0, dH, UT, carry, mask }, { ...attrs, step: k })).C;
  });
}
