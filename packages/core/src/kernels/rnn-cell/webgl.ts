/**
 * `RecurrentRnnCell` and `RecurrentRnnCellGrad` on webgl: two packed GLSL programs per step each
 * (the packed matMul, then the elementwise cell; see lstm-cell/webgl.ts for why two) — see
 * kernel.ts for the contract.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { backwardMatMul, cellProgram, forwardMatMul, HELPERS, MASK, recordAt, runStep } from '../gpu/webgl-program.js';
import { stepSizes } from '../cell-kernel.js';
import { RNN_CELL, RNN_CELL_GRAD, type RnnCellAttrs, type RnnCellGradAttrs } from './kernel.js';

function forwardCell(a: RnnCellAttrs, B: number, H: number, R: number): string {
  return cellProgram(`${HELPERS}
  float rcValue(int b, int col) {
    int j = col - (col / ${H}) * ${H};
    float z = rcPick(getZ(b, j), b, j);
    float hn = ${a.activation === 'relu' ? 'max(z, 0.0)' : 'rcTanh(z)'};
    if (col >= ${H}) return hn;
    ${a.masked ? `float hp = rcPick(getState(0, b, j), b, j);
    float m = ${MASK};
    return hp + m * (hn - hp);` : 'return hn;'}
  }`, B, R, H);
}

function backwardCell(a: RnnCellGradAttrs, B: number, H: number): string {
  return cellProgram(`${HELPERS}
  float rcValue(int b, int col) {
    int j = col - (col / ${H}) * ${H};
    float dhTot = rcPick(getDhTot(b, j), b, j);
    float m = ${a.masked ? MASK : '1.0'};
    if (col >= ${H}) return (1.0 - m) * dhTot;
    float hn = ${recordAt(H)};
    float dPhi = ${a.activation === 'relu' ? 'rcPositive(hn)' : '1.0 - hn * hn'};
    return m * dhTot * dPhi;
  }`, B, 2 * H, H);
}

export const rnnCellWebGL: tf.KernelConfig = {
  kernelName: RNN_CELL,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as RnnCellAttrs;
    const { U, state } = inputs;
    const { H, B } = stepSizes(inputs);
    const R = a.training ? 2 * H : H;
    return runStep(backend, a.step,
      { inputs: { xp: inputs.xp, state, U }, outputShape: [B, H], userCode: forwardMatMul(H) },
      'Z', { inputs: { state, mask: a.masked ? inputs.mask : undefined }, outputShape: [1, B, R], userCode: forwardCell(a, B, H, R) });
  },
};

export const rnnCellGradWebGL: tf.KernelConfig = {
  kernelName: RNN_CELL_GRAD,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as RnnCellGradAttrs;
    const { H, B } = stepSizes(inputs);
    return runStep(backend, a.step,
      { inputs: { DH: inputs.dH, Carry: inputs.carry, UT: inputs.UT }, outputShape: [B, H], userCode: backwardMatMul(H, H, H) },
      'DhTot', { inputs: { Records: inputs.records, mask: a.masked ? inputs.mask : undefined }, outputShape: [1, B, 2 * H], userCode: backwardCell(a, B, H) });
  },
};
