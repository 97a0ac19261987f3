/**
 * `RecurrentGruCell` and `RecurrentGruCellGrad`: one reset-after GRU time step (cuDNN, PyTorch,
 * Keras 2+ default), forward or backward, as one kernel each with the recurrent matMul inside (as
 * lstm-cell/kernel.ts explains).
 *
 * Reset-before (`RecurrentGruRbCell`, `RecurrentGruRbCellGrad`, below) multiplies r ⊙ h by U_h,
 * so every unit's candidate needs r of all units first: two dependent matMuls per step. Its
 * kernels are registered on webgpu, where one workgroup per batch row does both phases with a
 * barrier between them (webgpu.ts), on wasm (two matMuls inside the kernel, wasm.ts) and on webgl
 * (two programs per forward step and three per backward step, r in a program of its own,
 * webgl-rb.ts); elsewhere ops.gru runs reset-before on its composite loop.
 *
 * ## Contract (backend-neutral; every implementation must agree with the composite below)
 *
 *     z = σ(a_z), r = σ(a_r), a_{z,r} = xp_{z,r} + h U_{z,r};   hh = h U_h + b_hh
 *     ĥ = tanh(xp_h + r ⊙ hh);   h' = z ⊙ h + (1 − z) ⊙ ĥ;   masked: h + m ⊙ (h' − h)
 *
 * Forward `RecurrentGruCell`, attrs {@link GruCellAttrs}:
 * - `xp` [T, B, 4H]: blocks x·W_z + b_xz + b_hz, x·W_r + b_xr + b_hr, x·W_h + b_xh, and b_hh (the
 *   candidate's recurrent bias, repeated per step: it rides along with the input projection's
 *   matMul bias instead of being a separate small input, which webgl would re-pack every step);
 * - `U` [H, 3H];
 * - `state` [1, B, S]: the previous record (first H columns h) or h0 as [1, B, H];
 * - `mask` [T, B, 1] (only with `masked`);
 * - output: the record [1, B, R]: `h` (R = H), or in training `h | z | r | ĥ | hh` (R = 5H).
 *
 * Backward `RecurrentGruCellGrad`, attrs {@link GruCellGradAttrs}, step k = `step`:
 * - `records` [T, B, 5H]; `state0` [1, B, H] = h0; `dH` [T, B, H]; `UT` [3H, H] = Uᵀ; `mask`;
 * - `carry` [1, B, 5H]: the backward record of step k + 1 (zeros for k = T − 1):
 *   `da_z | da_r | dhh | keep | da_h`;
 * - output: that record for step k, with dhTot = dH[k] + [da_z, da_r, dhh]_{k+1}·Uᵀ + keep_{k+1},
 *   dhN = m ⊙ dhTot, da_h = dhN ⊙ (1 − z)(1 − ĥ²), dhh = da_h ⊙ r, da_r = da_h ⊙ hh ⊙ r(1 − r),
 *   da_z = dhN ⊙ (h_{k−1} − ĥ) z(1 − z), keep = dhN ⊙ z + (1 − m) ⊙ dhTot.
 *   [da_z, da_r, dhh] is ∂E/∂(h U + b_h), [da_z, da_r, da_h] is ∂E/∂(x W + b_x);
 *   ∂E/∂h0 = [da_z, da_r, dhh]_0·Uᵀ + keep_0.
 *
 * The composites are the test oracle and the fallback of {@link runGruCell} where no kernel is
 * registered (ops.gru keeps its own composite loop there).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkPaired, cols, hasKernels, masked, prevH, runCellKernel, stepOf, type StepAttrs, type StepGradInputs, type StepInputs } from '../cell-kernel.js';

export const GRU_CELL = 'RecurrentGruCell';
export const GRU_CELL_GRAD = 'RecurrentGruCellGrad';

export type GruCellAttrs = StepAttrs;

export type GruCellGradAttrs = Omit<GruCellAttrs, 'training'>;

export type GruCellInputs = StepInputs;

export interface GruCellGradInputs extends StepGradInputs {
  state0: tf.Tensor3D;
}

/** Whether the active backend has both fused kernels. */
export function hasGruCellKernels(): boolean {
  return hasKernels(GRU_CELL, GRU_CELL_GRAD);
}

function checkMaskInput(attrs: GruCellGradAttrs, mask: tf.Tensor | undefined, op: string): void {
  checkPaired(op, 'masked', attrs.masked, 'mask', mask);
}

/** One forward step: the kernel where registered, else the composite. */
export function runGruCell(inputs: GruCellInputs, attrs: GruCellAttrs): tf.Tensor3D {
  checkMaskInput(attrs, inputs.mask, GRU_CELL);
  return runCellKernel(GRU_CELL, inputs, attrs, gruCellComposite);
}

/** One backward step: the kernel where registered, else the composite. */
export function runGruCellGrad(inputs: GruCellGradInputs, attrs: GruCellGradAttrs): tf.Tensor3D {
  checkMaskInput(attrs, inputs.mask, GRU_CELL_GRAD);
  return runCellKernel(GRU_CELL_GRAD, inputs, attrs, gruCellGradComposite);
}

/** The forward contract in plain tfjs ops. */
export function gruCellComposite(inputs: GruCellInputs, attrs: GruCellAttrs): tf.Tensor3D {
  return tf.tidy(() => {
    const { xp, U, state, mask } = inputs;
    const H = U.shape[0];
    const hp = prevH(state, H);
    const x = stepOf(xp, attrs.step);
    const hU = tf.matMul(hp, U) as tf.Tensor2D;
    const z = tf.sigmoid(tf.add(cols(x, 0, H), cols(hU, 0, H)));
    const r = tf.sigmoid(tf.add(cols(x, H, H), cols(hU, H, H)));
    const hh = tf.add(cols(hU, 2 * H, H), cols(x, 3 * H, H));
    const cand = tf.tanh(tf.add(cols(x, 2 * H, H), tf.mul(r, hh)));
    const hn = tf.add(tf.mul(z, hp), tf.mul(tf.sub(1, z), cand));
    const h = masked(hp, hn, mask, attrs.step);
    return tf.expandDims(attrs.training ? tf.concat([h, z, r, cand, hh], 1) : h, 0) as tf.Tensor3D;
  });
}

/** The backward contract in plain tfjs ops. */
export function gruCellGradComposite(inputs: GruCellGradInputs, attrs: GruCellGradAttrs): tf.Tensor3D {
  return tf.tidy(() => {
    const { records, state0, dH, UT, carry, mask } = inputs;
    const H = UT.shape[1];
    const B = records.shape[1];
    const k = attrs.step;
    const cr = tf.reshape(carry, [B, 5 * H]) as tf.Tensor2D;
    const dhTot = tf.addN([stepOf(dH, k), tf.matMul(cols(cr, 0, 3 * H), UT), cols(cr, 3 * H, H)]);
    const rec = stepOf(records, k);
    const [z, r, cand, hh] = [1, 2, 3, 4].map((f) => cols(rec, f * H, H));
    const hp = k === 0 ? tf.reshape(state0, [B, H]) : cols(stepOf(records, k - 1), 0, H);
    const m = mask === undefined ? undefined : stepOf(mask, k);
    const dhN = m ? tf.mul(m, dhTot) : dhTot;
    const dSig = (g: tf.Tensor) => tf.mul(g, tf.sub(1, g));
    const dah = tf.mul(dhN, tf.mul(tf.sub(1, z!), tf.sub(1, tf.square(cand!))));
    const dhh = tf.mul(dah, r!);
    const dar = tf.mul(dah, tf.mul(hh!, dSig(r!)));
    const daz = tf.mul(dhN, tf.mul(tf.sub(hp, cand!), dSig(z!)));
    const keep = m ? tf.add(tf.mul(dhN, z!), tf.mul(tf.sub(1, m), dhTot)) : tf.mul(dhN, z!);
    return tf.expandDims(tf.concat([daz, dar, dhh, keep, dah], 1), 0) as tf.Tensor3D;
  });
}

// ── Reset-before ────────────────────────────────────────────────────────────────────────────
//
//     z = σ(xp_z + h U_z), r = σ(xp_r + h U_r), ĥ = tanh(xp_h + (r ⊙ h) U_h),
//     h' = z ⊙ h + (1 − z) ⊙ ĥ;   masked: h + m ⊙ (h' − h)
//
// Forward `RecurrentGruRbCell`, attrs GruCellAttrs: `xp` [T, B, 3H] = x·W + b (blocks z, r, h),
// `U` [H, 3H], `state` [1, B, S] (first H columns h) or h0 [1, B, H], `mask`; output the record
// `h` (R = H), or in training `h | z | r | ĥ` (R = 4H).
//
// Backward `RecurrentGruRbCellGrad`, attrs GruCellGradAttrs: `records` [T, B, 4H], `state0`
// [1, B, H], `dH`, `UT` [3H, H] = Uᵀ, `mask`, `carry` [1, B, 4H] = `da_z | da_r | e | da_h` of step
// k + 1 (zeros for k = T − 1); output that record for step k, with
//     dhTot = dH[k] + [da_z, da_r]_{k+1}·U_zrᵀ + e_{k+1},   dhN = m ⊙ dhTot,
//     da_h = dhN ⊙ (1 − z)(1 − ĥ²),   da_z = dhN ⊙ (h_{k−1} − ĥ) z(1 − z),   dq = da_h·U_hᵀ,
//     da_r = dq ⊙ h_{k−1} r(1 − r),   e = dq ⊙ r + dhN ⊙ z + (1 − m) ⊙ dhTot.
// [da_z, da_r, da_h] is ∂E/∂(x W + b); ∂E/∂h0 = [da_z, da_r]_0·U_zrᵀ + e_0.

export const GRU_RB_CELL = 'RecurrentGruRbCell';
export const GRU_RB_CELL_GRAD = 'RecurrentGruRbCellGrad';

/** The widest H the webgpu reset-before kernels hold in workgroup memory (2H floats ≤ 16 KiB). */
export const GRU_RB_MAX_UNITS = 2048;

/** Whether the active backend has both reset-before kernels for this H (on webgpu, up to {@link GRU_RB_MAX_UNITS}). */
export function hasGruRbCellKernels(H: number): boolean {
  return (H <= GRU_RB_MAX_UNITS || tf.getBackend() !== 'webgpu') && hasKernels(GRU_RB_CELL, GRU_RB_CELL_GRAD);
}

export function runGruRbCell(inputs: GruCellInputs, attrs: GruCellAttrs): tf.Tensor3D {
  checkMaskInput(attrs, inputs.mask, GRU_RB_CELL);
  return runCellKernel(GRU_RB_CELL, inputs, attrs, gruRbCellComposite, hasGruRbCellKernels(inputs.U.shape[0]));
}

export function runGruRbCellGrad(inputs: GruCellGradInputs, attrs: GruCellGradAttrs): tf.Tensor3D {
  checkMaskInput(attrs, inputs.mask, GRU_RB_CELL_GRAD);
  return runCellKernel(GRU_RB_CELL_GRAD, inputs, attrs, gruRbCellGradComposite, hasGruRbCellKernels(inputs.UT.shape[1]));
}

/** The reset-before forward contract in plain tfjs ops. */
export function gruRbCellComposite(inputs: GruCellInputs, attrs: GruCellAttrs): tf.Tensor3D {
  return tf.tidy(() => {
    const { xp, U, state, mask } = inputs;
    const H = U.shape[0];
    const hp = prevH(state, H);
    const x = stepOf(xp, attrs.step);
    const zr = tf.sigmoid(tf.add(cols(x, 0, 2 * H), tf.matMul(hp, tf.slice(U, [0, 0], [H, 2 * H])))) as tf.Tensor2D;
    const [z, r] = [cols(zr, 0, H), cols(zr, H, H)];
    const cand = tf.tanh(tf.add(cols(x, 2 * H, H), tf.matMul(tf.mul(r, hp), tf.slice(U, [0, 2 * H], [H, H]))));
    const hn = tf.add(tf.mul(z, hp), tf.mul(tf.sub(1, z), cand));
    const h = masked(hp, hn, mask, attrs.step);
    return tf.expandDims(attrs.training ? tf.concat([h, z, r, cand], 1) : h, 0) as tf.Tensor3D;
  });
}

/** The reset-before backward contract in plain tfjs ops. */
export function gruRbCellGradComposite(inputs: GruCellGradInputs, attrs: GruCellGradAttrs): tf.Tensor3D {
  return tf.tidy(() => {
    const { records, state0, dH, UT, carry, mask } = inputs;
    const H = UT.shape[1];
    const B = records.shape[1];
    const k = attrs.step;
    const cr = tf.reshape(carry, [B, 4 * H]) as tf.Tensor2D;
    const dhTot = tf.addN([stepOf(dH, k), tf.matMul(cols(cr, 0, 2 * H), tf.slice(UT, [0, 0], [2 * H, H])), cols(cr, 2 * H, H)]);
    const rec = stepOf(records, k);
    const [z, r, cand] = [1, 2, 3].map((f) => cols(rec, f * H, H));
    const hp = k === 0 ? tf.reshape(state0, [B, H]) : cols(stepOf(records, k - 1), 0, H);
    const m = mask === undefined ? undefined : stepOf(mask, k);
    const dhN = m ? tf.mul(m, dhTot) : dhTot;
    const dSig = (g: tf.Tensor) => tf.mul(g, tf.sub(1, g));
    const dah = tf.mul(dhN, tf.mul(tf.sub(1, z!), tf.sub(1, tf.square(cand!))));
    const daz = tf.mul(dhN, tf.mul(tf.sub(hp, cand!), dSig(z!)));
    const dq = tf.matMul(dah, tf.slice(UT, [2 * H, 0], [H, H]));
    const dar = tf.mul(dq, tf.mul(hp, dSig(r!)));
    let e = tf.add(tf.mul(dq, r!), tf.mul(dhN, z!));
    if (m) e = tf.add(e, tf.mul(tf.sub(1, m), dhTot));
    return tf.expandDims(tf.concat([daz, dar, e, dah], 1), 0) as tf.Tensor3D;
  });
}
