/**
 * `RecurrentRnnCell` and `RecurrentRnnCellGrad` on webgl: two packed GLSL programs per step each
 * (the packed matMul, then the elementwise cell; see lstm-cell/webgl.ts for why two) — see
 * kernel.ts for the contract.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { backwardMatMul, forwardMatMul, cellProgram, HELPERS, program, type WebGLBackendLike } from '../gpu/webgl-program.js';
import { RNN_CELL, RNN_CELL_GRAD, type RnnCellAttrs, type RnnCellGradAttrs } from './kernel.js';

function forwardCell(a: RnnCellAttrs, B: number, H: number, R: number): string {
  return cellProgram(`${HELPERS}
  float rcValue(int b, int col) {
    int j = col - (col / ${H}) * ${H};
    float z = rcPick(getZ(b, j), b, j);
    float hn = ${a.activation === 'relu' ? 'max(z, 0.0)' : 'rcTanh(z)'};
    if (col >= ${H}) return hn;
    ${a.masked ? `float hp = rcPick(getState(0, b, j), b, j);
    float m = rcPick(getMask(rcStep, b, 0), b, 0);
    return hp + m * (hn - hp);` : 'return hn;'}
  }`, B, R, H);
}

function backwardCell(a: RnnCellGradAttrs, B: number, H: number): string {
  return cellProgram(`${HELPERS}
  float rcValue(int b, int col) {
    int j = col - (col / ${H}) * ${H};
    float dhTot = rcPick(getDhTot(b, j), b, j);
    float m = ${a.masked ? 'rcPick(getMask(rcStep, b, 0), b, 0)' : '1.0'};
    if (col >= ${H}) return (1.0 - m) * dhTot;
    float hn = rcPick(getRecords(rcStep, b, ${H} + j), b, ${H} + j);
    float dPhi = ${a.activation === 'relu' ? 'rcPositive(hn)' : '1.0 - hn * hn'};
    return m * dhTot * dPhi;
  }`, B, 2 * H, H);
}

export const rnnCellWebGL: tf.KernelConfig = {
  kernelName: RNN_CELL,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as RnnCellAttrs;
    const gl = backend as unknown as WebGLBackendLike;
    const U = inputs.U as tf.TensorInfo;
    const state = inputs.state as tf.TensorInfo;
    const H = U.shape[0]!;
    const B = state.shape[1]!;
    const R = a.training ? 2 * H : H;
    const step = [[a.step]];
    const Z = gl.runWebGLProgram(program(['xp', 'state', 'U'], [B, H], forwardMatMul(H)), [inputs.xp as tf.TensorInfo, state, U], 'float32', step);
    const names = ['Z', 'state', ...(a.masked ? ['mask'] : [])];
    const ins = [Z, state, ...(a.masked ? [inputs.mask as tf.TensorInfo] : [])];
    const out = gl.runWebGLProgram(program(names, [1, B, R], forwardCell(a, B, H, R)), ins, 'float32', step);
    gl.disposeIntermediateTensorInfo(Z);
    return out;
  },
};

export const rnnCellGradWebGL: tf.KernelConfig = {
  kernelName: RNN_CELL_GRAD,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as RnnCellGradAttrs;
    const gl = backend as unknown as WebGLBackendLike;
    const H = (inputs.UT as tf.TensorInfo).shape[0]!;
    const records = inputs.records as tf.TensorInfo;
    const carry = inputs.carry as tf.TensorInfo;
    const B = records.shape[1]!;
    const step = [[a.step]];
    const dhTot = gl.runWebGLProgram(program(['DH', 'Carry', 'UT'], [B, H], backwardMatMul(H, H, H)), [inputs.dH as tf.TensorInfo, carry, inputs.UT as tf.TensorInfo], 'float32', step);
    const names = ['DhTot', 'Records', ...(a.masked ? ['mask'] : [])];
    const ins = [dhTot, records, ...(a.masked ? [inputs.mask as tf.TensorInfo] : [])];
    const out = gl.runWebGLProgram(program(names, [1, B, 2 * H], backwardCell(a, B, H)), ins, 'float32', step);
    gl.disposeIntermediateTensorInfo(dhTot);
    return out;
  },
};
