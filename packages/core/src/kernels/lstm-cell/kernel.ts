/**
 * `RecurrentLstmCell` and `RecurrentLstmCellGrad`: one LSTM time step, forward or backward, as
 * one kernel each — the recurrent matMul, the gate nonlinearities, the state update and the mask
 * in a single dispatch on the GPU backends that register them.
 *
 * Why the matMul is inside: on a GPU a step costs its launches, not its arithmetic. A cell kernel
 * that took the matMul's result would still need h as its own [B, H] tensor for the next matMul,
 * so the state (h and c) would be two outputs — two programs — or a packed tensor plus a slice:
 * three launches per step. With h·U computed by the cell's threads (thread (b, j) forms the G gate
 * pre-activations of unit j from row b of h, reading U's columns j, H + j, …), a step is one
 * launch forward and one backward, and all state lives in one "record" per step that the next
 * step and the backward read by offset.
 *
 * ## Contract (backend-neutral; every implementation must agree with the composite below)
 *
 * Shapes: B batch, H units, G gates (4, or 3 when `coupled`), GH = G·H, T steps (processing
 * order: `reverse` is the caller's flip of the time axis, the kernels only see step indices).
 *
 * Forward `RecurrentLstmCell`, attrs {@link LstmCellAttrs}:
 * - `xp` [T, B, GH]: the input projection x·W + b of every step (true pre-activations, blocks
 *   i, f, c, o; coupled f, c, o). Step `step` is read in place.
 * - `U` [H, GH]: the recurrent kernel.
 * - `state` [1, B, S]: the previous record (S ≥ 2H, its first 2H columns are h | c), or the initial
 *   [1, B, 2H] = h0 | c0.
 * - `mask` [T, B, 1] (only with `masked`): 1 keeps the step, 0 carries the state over.
 * - `peephole` [3, H] (only with `peephole`): rows p_i, p_f, p_o (p_i unused when coupled).
 * - output: the record [1, B, R]. Inference (`training` false): R = 2H, `h | c` (carried, i.e.
 *   after the mask). Training: R = 3H + GH, `h | c | ĉn | acts` with ĉn the cell state computed at
 *   the step before the mask chose it, and acts the true gate values (i, f, ĉ, o; coupled f, ĉ, o).
 *
 * Backward `RecurrentLstmCellGrad`, attrs {@link LstmCellGradAttrs}, for step k = `step`:
 * - `records` [T, B, R]: the training records of all steps; `state0` [1, B, 2H]: h0 | c0.
 * - `dH` [T, B, H]: the loss gradient of the output at each step.
 * - `UT` [GH, H]: Uᵀ, formed once per sequence (each thread then reads a contiguous row of it);
 *   `mask`, `peephole` as forward.
 * - `carry` [1, B, GH + 2H]: the previous backward record (that of step k + 1): `dz | dc | keep`,
 *   for k = T − 1 it is `0 | dcLast | 0`.
 * - output: the record [1, B, GH + 2H] of step k:
 *   `dz_k` = ∂E/∂(pre-activations) (the gate gradients; feed dW, dU, db, dx),
 *   `dc` = ∂E/∂c_{k−1}, and `keep` = (1 − m_k) ⊙ dhTot_k, the part of ∂E/∂h_{k−1} carried over
 *   the mask. Then ∂E/∂h_{k−1} = dz_k·Uᵀ + keep, which is what the next call forms itself:
 *   dhTot_k = dH[k] + dz_{k+1}·Uᵀ + keep_{k+1}.
 *
 * The composites below implement the same contract with plain tfjs ops: the oracle the kernels
 * are tested against, and the fallback of {@link runLstmCell} where no kernel is registered.
 * (`ops.lstm` on backends without the kernels — cpu, tensorflow — keeps its own per-step composite
 * loop. The kernels are registered on wasm, webgl and webgpu.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkPaired, cols, hasKernels, runCellKernel, stepOf, type StepAttrs, type StepGradInputs, type StepInputs } from '../cell-kernel.js';

export const LSTM_CELL = 'RecurrentLstmCell';
export const LSTM_CELL_GRAD = 'RecurrentLstmCellGrad';

export interface LstmCellAttrs extends StepAttrs {
  coupled: boolean;
  peephole: boolean;
  // `training`: write the training record (h | c | ĉn | acts) rather than h | c.
}

export type LstmCellGradAttrs = Omit<LstmCellAttrs, 'training'>;

/** An LSTM variant: coupled gates (i = 1 − f), peepholes. */
export type LstmVariant = Pick<LstmCellAttrs, 'coupled' | 'peephole'>;

export interface LstmCellInputs extends StepInputs {
  peephole?: tf.Tensor2D;
}

export interface LstmCellGradInputs extends StepGradInputs {
  state0: tf.Tensor3D;
  peephole?: tf.Tensor2D;
}

/** Record widths: forward (inference or training) and backward. */
export function recordWidth(H: number, gates: number, training: boolean): number {
  return training ? 3 * H + gates * H : 2 * H;
}
export function carryWidth(H: number, gates: number): number {
  return gates * H + 2 * H;
}

/** Whether the active backend has both fused kernels. */
export function hasLstmCellKernels(): boolean {
  return hasKernels(LSTM_CELL, LSTM_CELL_GRAD);
}

function checkOptional(attrs: LstmCellGradAttrs, inputs: { mask?: tf.Tensor; peephole?: tf.Tensor }, op: string): void {
  checkPaired(op, 'masked', attrs.masked, 'mask', inputs.mask);
  checkPaired(op, 'peephole', attrs.peephole, 'the peephole tensor', inputs.peephole);
}

/** One forward step: the kernel where registered, else the composite. */
export function runLstmCell(inputs: LstmCellInputs, attrs: LstmCellAttrs): tf.Tensor3D {
  checkOptional(attrs, inputs, LSTM_CELL);
  return runCellKernel(LSTM_CELL, inputs, attrs, lstmCellComposite);
}

/** One backward step: the kernel where registered, else the composite. */
export function runLstmCellGrad(inputs: LstmCellGradInputs, attrs: LstmCellGradAttrs): tf.Tensor3D {
  checkOptional(attrs, inputs, LSTM_CELL_GRAD);
  return runCellKernel(LSTM_CELL_GRAD, inputs, attrs, lstmCellGradComposite);
}

const peepRow = (p: tf.Tensor2D | undefined, r: number) => (p === undefined ? undefined : tf.reshape(tf.slice(p, [r, 0], [1, p.shape[1]]), [p.shape[1]]));

/** The forward contract in plain tfjs ops. */
export function lstmCellComposite(inputs: LstmCellInputs, attrs: LstmCellAttrs): tf.Tensor3D {
  return tf.tidy(() => {
    const { xp, U, state, mask, peephole } = inputs;
    const [H, GH] = U.shape;
    const B = state.shape[1];
    const st = tf.reshape(state, [B, state.shape[2]]) as tf.Tensor2D;
    const hp = cols(st, 0, H);
    const cp = cols(st, H, H);
    const z = tf.add(stepOf(xp, attrs.step), tf.matMul(hp, U)) as tf.Tensor2D;
    const a = (g: number) => cols(z, g * H, H);
    const [pi, pf, po] = [0, 1, 2].map((r) => peepRow(peephole, r));
    const peepAdd = (x: tf.Tensor, p: tf.Tensor | undefined, c: tf.Tensor) => (p === undefined ? x : tf.add(x, tf.mul(p, c)));
    const f = tf.sigmoid(peepAdd(a(attrs.coupled ? 0 : 1), pf, cp));
    const i = attrs.coupled ? tf.sub(1, f) : tf.sigmoid(peepAdd(a(0), pi, cp));
    const cand = tf.tanh(a(attrs.coupled ? 1 : 2));
    const cn = tf.add(tf.mul(f, cp), tf.mul(i, cand));
    const o = tf.sigmoid(peepAdd(a(GH / H - 1), po, cn));
    const hn = tf.mul(o, tf.tanh(cn));
    let h = hn;
    let c = cn;
    if (mask !== undefined) {
      const m = stepOf(mask, attrs.step);
      h = tf.add(hp, tf.mul(m, tf.sub(hn, hp)));
      c = tf.add(cp, tf.mul(m, tf.sub(cn, cp)));
    }
    const acts = attrs.coupled ? [f, cand, o] : [i, f, cand, o];
    const record = attrs.training ? tf.concat([h, c, cn, ...acts], 1) : tf.concat([h, c], 1);
    return tf.expandDims(record, 0) as tf.Tensor3D;
  });
}

/** The backward contract in plain tfjs ops (the equations of ops/lstm.ts' BPTT, one step). */
export function lstmCellGradComposite(inputs: LstmCellGradInputs, attrs: LstmCellGradAttrs): tf.Tensor3D {
  return tf.tidy(() => {
    const { records, state0, dH, UT, carry, mask, peephole } = inputs;
    const [GH, H] = UT.shape;
    const k = attrs.step;
    const B = records.shape[1];
    const rec = stepOf(records, k);
    const cPrev = k === 0 ? cols(tf.reshape(state0, [B, 2 * H]) as tf.Tensor2D, H, H) : cols(stepOf(records, k - 1), H, H);
    const cr = tf.reshape(carry, [B, GH + 2 * H]) as tf.Tensor2D;
    const dhTot = tf.addN([stepOf(dH, k), tf.matMul(cols(cr, 0, GH), UT), cols(cr, GH + H, H)]);
    const dcCarry = cols(cr, GH, H);
    const m = mask === undefined ? undefined : stepOf(mask, k);
    const dhN = m ? tf.mul(m, dhTot) : dhTot;
    const dcIn = m ? tf.mul(m, dcCarry) : dcCarry;
    const cn = cols(rec, 2 * H, H);
    const act = (g: number) => cols(rec, 3 * H + g * H, H);
    const [i, f, cand, o] = attrs.coupled ? [undefined, act(0), act(1), act(2)] : [act(0), act(1), act(2), act(3)];
    const [pi, pf, po] = [0, 1, 2].map((r) => peepRow(peephole, r));
    const dSig = (g: tf.Tensor) => tf.mul(g, tf.sub(1, g));
    const tc = tf.tanh(cn);
    const dzo = tf.mul(dhN, tf.mul(tc, dSig(o!)));
    let dcN = tf.add(dcIn, tf.mul(dhN, tf.mul(o!, tf.sub(1, tf.square(tc)))));
    if (po !== undefined) dcN = tf.add(dcN, tf.mul(dzo, po));
    const dCand = tf.sub(1, tf.square(cand!));
    const dzf = attrs.coupled ? tf.mul(dcN, tf.mul(tf.sub(cPrev, cand!), dSig(f!))) : tf.mul(dcN, tf.mul(cPrev, dSig(f!)));
    const dzc = tf.mul(dcN, tf.mul(attrs.coupled ? tf.sub(1, f!) : i!, dCand));
    const dzi = attrs.coupled ? undefined : tf.mul(dcN, tf.mul(cand!, dSig(i!)));
    let dcPrev = tf.mul(dcN, f!);
    if (pf !== undefined) dcPrev = tf.add(dcPrev, tf.mul(dzf, pf));
    if (pi !== undefined && dzi !== undefined && !attrs.coupled) dcPrev = tf.add(dcPrev, tf.mul(dzi, pi));
    let keep = tf.zerosLike(dhTot);
    if (m) {
      const notM = tf.sub(1, m);
      dcPrev = tf.add(dcPrev, tf.mul(notM, dcCarry));
      keep = tf.mul(notM, dhTot);
    }
    const dz = attrs.coupled ? [dzf, dzc, dzo] : [dzi!, dzf, dzc, dzo];
    return tf.expandDims(tf.concat([...dz, dcPrev, keep], 1), 0) as tf.Tensor3D;
  });
}
