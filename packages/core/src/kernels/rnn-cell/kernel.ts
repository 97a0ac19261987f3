/**
 * `RecurrentRnnCell` and `RecurrentRnnCellGrad`: one simple-RNN time step, forward or backward,
 * as one kernel each (the recurrent matMul inside, as lstm-cell/kernel.ts explains).
 *
 * ## Contract (backend-neutral; every implementation must agree with the composite below)
 *
 * h_t = φ(xp_t + h_{t−1}·U), φ = tanh or ReLU; masked: h_t = h + m ⊙ (φ(…) − h).
 *
 * Forward `RecurrentRnnCell`, attrs {@link RnnCellAttrs}:
 * - `xp` [T, B, H]: x·W + b of every step, step `step` read in place; `U` [H, H];
 * - `state` [1, B, S]: the previous record (its first H columns are h) or h0 as [1, B, H];
 * - `mask` [T, B, 1] (only with `masked`);
 * - output: the record [1, B, R]: `h` (R = H), or in training `h | hn` (R = 2H), hn = φ(…)
 *   before the mask.
 *
 * Backward `RecurrentRnnCellGrad`, attrs {@link RnnCellGradAttrs}, step k = `step`:
 * - `records` [T, B, 2H]; `dH` [T, B, H]; `UT` [H, H] = Uᵀ; `mask` as forward;
 * - `carry` [1, B, 2H]: the backward record of step k + 1, `da | keep` (for k = T − 1: zeros);
 * - output: `da_k | keep_k` with dhTot = dH[k] + da_{k+1}·Uᵀ + keep_{k+1},
 *   da_k = m ⊙ dhTot ⊙ φ'(hn) (∂E/∂ of the pre-activation) and keep_k = (1 − m) ⊙ dhTot.
 *   ∂E/∂h0 = da_0·Uᵀ + keep_0.
 *
 * The composites are the test oracle and the fallback of {@link runRnnCell} where no kernel is
 * registered (ops.simpleRnn keeps its own composite loop there).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkPaired, cols, hasKernels, masked, prevH, runCellKernel, stepOf, type StepAttrs, type StepGradInputs, type StepInputs } from '../cell-kernel.js';

export const RNN_CELL = 'RecurrentRnnCell';
export const RNN_CELL_GRAD = 'RecurrentRnnCellGrad';

export type RnnActivation = 'tanh' | 'relu';

export interface RnnCellAttrs extends StepAttrs {
  activation: RnnActivation;
}

export type RnnCellGradAttrs = Omit<RnnCellAttrs, 'training'>;

export type RnnCellInputs = StepInputs;

export type RnnCellGradInputs = StepGradInputs;

/** Whether the active backend has both fused kernels. */
export function hasRnnCellKernels(): boolean {
  return hasKernels(RNN_CELL, RNN_CELL_GRAD);
}

function checkMaskInput(attrs: RnnCellGradAttrs, mask: tf.Tensor | undefined, op: string): void {
  checkPaired(op, 'masked', attrs.masked, 'mask', mask);
}

/** One forward step: the kernel where registered, else the composite. */
export function runRnnCell(inputs: RnnCellInputs, attrs: RnnCellAttrs): tf.Tensor3D {
  checkMaskInput(attrs, inputs.mask, RNN_CELL);
  return runCellKernel(RNN_CELL, inputs, attrs, rnnCellComposite);
}

/** One backward step: the kernel where registered, else the composite. */
export function runRnnCellGrad(inputs: RnnCellGradInputs, attrs: RnnCellGradAttrs): tf.Tensor3D {
  checkMaskInput(attrs, inputs.mask, RNN_CELL_GRAD);
  return runCellKernel(RNN_CELL_GRAD, inputs, attrs, rnnCellGradComposite);
}

/** The forward contract in plain tfjs ops. */
export function rnnCellComposite(inputs: RnnCellInputs, attrs: RnnCellAttrs): tf.Tensor3D {
  return tf.tidy(() => {
    const { xp, U, state, mask } = inputs;
    const hp = prevH(state, U.shape[0]);
    const a = tf.add(stepOf(xp, attrs.step), tf.matMul(hp, U));
    const hn = attrs.activation === 'relu' ? tf.relu(a) : tf.tanh(a);
    const h = masked(hp, hn, mask, attrs.step);
    return tf.expandDims(attrs.training ? tf.concat([h, hn], 1) : h, 0) as tf.Tensor3D;
  });
}

/** The backward contract in plain tfjs ops. */
export function rnnCellGradComposite(inputs: RnnCellGradInputs, attrs: RnnCellGradAttrs): tf.Tensor3D {
  return tf.tidy(() => {
    const { records, dH, UT, carry, mask } = inputs;
    const H = UT.shape[0];
    const B = records.shape[1];
    const k = attrs.step;
    const cr = tf.reshape(carry, [B, 2 * H]) as tf.Tensor2D;
    const dhTot = tf.addN([stepOf(dH, k), tf.matMul(cols(cr, 0, H), UT), cols(cr, H, H)]);
    const hn = cols(stepOf(records, k), H, H);
    const dPhi = attrs.activation === 'relu' ? tf.cast(tf.greater(hn, 0), 'float32') : tf.sub(1, tf.square(hn));
    const m = mask === undefined ? undefined : stepOf(mask, k);
    const da = tf.mul(m ? tf.mul(m, dhTot) : dhTot, dPhi);
    const keep = m ? tf.mul(tf.sub(1, m), dhTot) : tf.zerosLike(dhTot);
    return tf.expandDims(tf.concat([da, keep], 1), 0) as tf.Tensor3D;
  });
}
