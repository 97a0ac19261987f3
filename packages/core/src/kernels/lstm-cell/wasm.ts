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
import { simdPass, variant } from '../wasm/simd/module.js';
import { carryWidth, LSTM_CELL, LSTM_CELL_GRAD, recordWidth, type LstmCellAttrs, type LstmCellGradAttrs } from './kernel.js';

export const lstmCellWasm: tf.KernelConfig = {
  kernelName: LSTM_CELL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => withScratch(backend, (s) => {
    const a = attrs as unknown as LstmCellAttrs;
    const { H, GH, B, S } = stepSizes(inputs);
    const R = recordWidth(H, GH / H, a.training);
    const { xp, U, state, mask, peephole } = inputs as Record<string, tf.TensorInfo>;
    const pass = simdPass(backend, `lstm_fwd_${variant(a.coupled, a.peephole, a.training)}`);
    const Z = s.matMul(s.firstColumns(state!, H), U!); // [B, GH]: h·U
    const out = s.output([1, B, R]);
    pass(
      s.ptr(Z), s.stepAt(xp!, a.step), s.ptr(state!), S, a.peephole ? s.ptr(peephole!) : 0,
      ...s.maskAt(a.masked ? mask : undefined, a.step), s.ptr(out), R, B, H,
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
    const pass = simdPass(backend, `lstm_bwd_${variant(a.coupled, a.peephole)}`);
    const DHU = s.matMul(s.firstColumns(carry!, GH), UT!); // [B, H]: dz_{k+1}·Uᵀ
    const out = s.output([1, B, CW]);
    pass(
      s.stepAt(records!, k), R, ...s.stateBefore(records!, state0!, k, H), s.stepAt(dH!, k), s.ptr(DHU), s.ptr(carry!), CW,
      a.peephole ? s.ptr(peephole!) : 0, ...s.maskAt(a.masked ? mask : undefined, k), s.ptr(out), B, H,
    );
    return out;
  }),
};
