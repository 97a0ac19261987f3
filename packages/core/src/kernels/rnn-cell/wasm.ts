/**
 * `RecurrentRnnCell` and `RecurrentRnnCellGrad` on wasm — see kernel.ts for the contract.
 *
 * Forward: h·U on XNNPACK (the registered BatchMatMul), then one SIMD pass over the rows
 * (scripts/simd/rnn.mjs, `rnn_fwd_{tanh,relu}_*`) that adds the step's input projection in place,
 * applies φ (tanh as 2σ(2x) − 1, σ by an exp polynomial; ReLU as max(·, 0)) and the mask, and
 * writes the record. Backward: da_{k+1}·Uᵀ on XNNPACK, then one pass (`rnn_bwd_*`) for da and
 * keep. Both passes read and write the tensors in the wasm heap by byte offset.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { stepSizes } from '../cell-kernel.js';
import { withScratch } from '../wasm/scratch.js';
import { simdCells, variant } from '../wasm/simd/module.js';
import { RNN_CELL, RNN_CELL_GRAD, type RnnCellAttrs, type RnnCellGradAttrs } from './kernel.js';

/** The pass for `name` (one per activation), or an error naming the activations there are. */
function passOf(backend: unknown, name: string, activation: string): (...args: number[]) => void {
  const pass = simdCells(backend)[name];
  if (pass === undefined) throw new Error(`RecurrentRnnCell on wasm: expected activation 'tanh' or 'relu', found '${activation}'; use one of those (kernel.ts)`);
  return pass;
}

export const rnnCellWasm: tf.KernelConfig = {
  kernelName: RNN_CELL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => withScratch(backend, (s) => {
    const a = attrs as unknown as RnnCellAttrs;
    const { H, B, S } = stepSizes(inputs);
    const R = a.training ? 2 * H : H;
    const { xp, U, state, mask } = inputs as Record<string, tf.TensorInfo>;
    const pass = passOf(backend, `rnn_fwd_${a.activation}_${variant(a.training)}`, a.activation);
    const Z = s.matMul(s.firstColumns(state!, H), U!); // [B, H]: h·U
    const out = s.output([1, B, R]);
    pass(s.ptr(Z), s.stepAt(xp!, a.step), s.ptr(state!), S, ...s.maskAt(a.masked ? mask : undefined, a.step), s.ptr(out), R, B, H);
    return out;
  }),
};

export const rnnCellGradWasm: tf.KernelConfig = {
  kernelName: RNN_CELL_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => withScratch(backend, (s) => {
    const a = attrs as unknown as RnnCellGradAttrs;
    const { H, B, S: R } = stepSizes(inputs);
    const k = a.step;
    const { records, dH, UT, carry, mask } = inputs as Record<string, tf.TensorInfo>;
    const pass = passOf(backend, `rnn_bwd_${a.activation}`, a.activation);
    const DHU = s.matMul(s.firstColumns(carry!, H), UT!); // [B, H]: da_{k+1}·Uᵀ
    const out = s.output([1, B, 2 * H]);
    pass(s.stepAt(records!, k), R, s.stepAt(dH!, k), s.ptr(DHU), s.ptr(carry!), ...s.maskAt(a.masked ? mask : undefined, k), s.ptr(out), B, H);
    return out;
  }),
};
