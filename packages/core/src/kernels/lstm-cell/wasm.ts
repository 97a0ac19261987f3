/**
 * `RecurrentLstmCell` and `RecurrentLstmCellGrad` on wasm — see kernel.ts for the contract.
 *
 * Forward: h·U on XNNPACK (the registered BatchMatMul), then one SIMD pass over the rows
 * (scripts/simd/lstm.mjs, `lstm_fwd_*`) that adds the step's input projection in place, applies
 * the peepholes, the gate nonlinearities (σ by an exp polynomial; tanh as 2σ(2x) − 1) and the mask,
 * and writes the record. Backward: dz_{k+1}·Uᵀ on XNNPACK, then one SIMD pass (`lstm_bwd_*`) for
 * the gate gradients, dc and keep. Both passes read and write the tensors in the wasm heap.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { stepSizes } from '../cell-kernel.js';
import { withScratch } from '../wasm/scratch.js';
import { simdCells } from '../wasm/simd/module.js';
import { carryWidth, LSTM_CELL, LSTM_CELL_GRAD, recordWidth, type LstmCellAttrs, type LstmCellGradAttrs } from './kernel.js';

const bit = (flag: boolean) => (flag ? '1' : '0');

export const lstmCellWasm: tf.KernelConfig = {
  kernelName: LSTM_CELL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => withScratch(backend, (s) => {
    const a = attrs as unknown as LstmCellAttrs;
    const { H, GH, B, S } = stepSizes(inputs);
    const R = recordWidth(H, GH / H, a.training);
    const k = a.step;
    const { xp, U, state, mask, peephole } = inputs as Record<string, tf.TensorInfo>;
    const pass = simdCells(backend)[`lstm_fwd_${bit(a.coupled)}${bit(a.peephole)}${bit(a.training)}`]!;
    const Z = s.matMul(s.copyColumns(state!, 0, B, S, 0, H), U!); // [B, GH]: h·U
    const out = s.output([1, B, R]);
    pass(
      s.ptr(Z), s.ptr(xp!) + 4 * k * B * GH, s.ptr(state!), S,
      a.peephole ? s.ptr(peephole!) : 0, a.masked ? s.ptr(mask!) + 4 * k * B : 0, a.masked ? 1 : 0,
      s.ptr(out), R, B, H,
    );
    return out;
  }),
};

export const lstmCellGradWasm: tf.KernelConfig = {
  kernelName: LSTM_CELL_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => withScratch(backend, (s) => {
    const a = attrs as unknown as LstmCellGradAttrs;
    const { H, GH, B, S: R } = stepSizes(inputs);
    const CW = carryWidth(H, GH / H);
    const k = a.step;
    const { records, state0, dH, UT, carry, mask, peephole } = inputs as Record<string, tf.TensorInfo>;
    const pass = simdCells(backend)[`lstm_bwd_${bit(a.coupled)}${bit(a.peephole)}`]!;
    const DHU = s.matMul(s.copyColumns(carry!, 0, B, CW, 0, GH), UT!); // [B, H]: dz_{k+1}·Uᵀ
    const out = s.output([1, B, CW]);
    const rec = s.ptr(records!) + 4 * k * B * R;
    // c_{k−1}: column H of h0 | c0 at the first step, else of the previous record
    const [cp, CS] = k === 0 ? [s.ptr(state0!) + 4 * H, 2 * H] : [rec - 4 * B * R + 4 * H, R];
    pass(
      rec, R, cp, CS, s.ptr(dH!) + 4 * k * B * H, s.ptr(DHU), s.ptr(carry!), CW,
      a.peephole ? s.ptr(peephole!) : 0, a.masked ? s.ptr(mask!) + 4 * k * B : 0, a.masked ? 1 : 0,
      s.ptr(out), B, H,
    );
    return out;
  }),
};
