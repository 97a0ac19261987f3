/**
 * `RecurrentLstmSeq`: the whole forward of an LSTM inference pass as one kernel — on webgpu one
 * dispatch for all T steps (webgpu-seq.ts), where the per-step kernels (kernel.ts) take T.
 *
 * Contract (the plain LSTM: not coupled, no peepholes): `xp` [T, B, 4H] the input projection (true
 * pre-activations, blocks i, f, c, o), `U` [H, 4H], `state0` [1, B, 2H] = h0 | c0, `mask` [T, B, 1]
 * with `masked`; `training`. Output: the records [T, B, R] the per-step kernels write, gathered:
 * inference R = 2H, h | c after each step (after the mask); training R = 7H, h | c | ĉn | i, f,
 * ĉ, o. The composite runs those kernels' own composite step by step: oracle and fallback.
 */
import * as tf from '@tensorflow/tfjs-core';
import { forwardSteps } from '../cell-sequence.js';
import { hasKernels } from '../cell-kernel.js';
import { lstmCellComposite } from './kernel.js';

export const LSTM_SEQ = 'RecurrentLstmSeq';

export interface LstmSeqInputs {
  xp: tf.Tensor3D;
  U: tf.Tensor2D;
  state0: tf.Tensor3D;
  mask?: tf.Tensor3D;
}

/** Floats of workgroup memory the webgpu kernel gives each batch row: h twice (steps k and k + 1) and c. */
export const SEQ_FLOATS_PER_ROW = (H: number) => 3 * H;

/** The webgpu limit every adapter offers (maxComputeWorkgroupStorageSize ≥ 16 KiB). */
export const SEQ_WORKGROUP_FLOATS = 4096;

/** Whether the active backend runs the one-dispatch forward for H units (one batch row at least must fit). */
export function hasLstmSeqKernel(H: number): boolean {
  return SEQ_FLOATS_PER_ROW(H) <= SEQ_WORKGROUP_FLOATS && hasKernels(LSTM_SEQ);
}

/** The records [T, B, R] of a forward pass: the kernel where it runs, else step by step. */
export function runLstmSeq(inputs: LstmSeqInputs, training = false): tf.Tensor3D {
  const { xp, U, state0, mask } = inputs;
  if (hasLstmSeqKernel(U.shape[0])) {
    const named = { xp, U, state0, ...(mask ? { mask } : {}) } as tf.NamedTensorMap;
    return tf.engine().runKernel(LSTM_SEQ, named, { masked: mask !== undefined, training } as unknown as tf.NamedAttrMap) as tf.Tensor3D;
  }
  return lstmSeqComposite(inputs, training);
}

export function lstmSeqComposite({ xp, U, state0, mask }: LstmSeqInputs, training = false): tf.Tensor3D {
  return tf.tidy(() => {
    const attrs = { coupled: false, peephole: false, masked: mask !== undefined, training };
    return forwardSteps(xp.shape[0], state0, (state, k) => lstmCellComposite({ xp, U, state, mask }, { ...attrs, step: k })).records;
  });
}
