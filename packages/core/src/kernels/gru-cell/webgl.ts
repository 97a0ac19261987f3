/**
 * `RecurrentGruCell` and `RecurrentGruCellGrad` (reset-after) on webgl: two packed GLSL programs
 * per step each (the packed matMul h·U, or [da_z, da_r, dhh]·Uᵀ; then the elementwise cell; see
 * lstm-cell/webgl.ts for why two) — see kernel.ts for the contract.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { backwardMatMul, forwardMatMul, cellProgram, HELPERS, program, type WebGLBackendLike } from '../gpu/webgl-program.js';
import { GRU_CELL, GRU_CELL_GRAD, type GruCellAttrs, type GruCellGradAttrs } from './kernel.js';

function forwardCell(a: GruCellAttrs, B: number, H: number, R: number): string {
  const at = (name: string, lead: string, col: string) => `rcPick(get${name}(${lead}b, ${col}), b, ${col})`;
  return cellProgram(`${HELPERS}
  float rcValue(int b, int col) {
    int field = col / ${H};
    int j = col - field * ${H};
    float hp = ${at('State', '0, ', 'j')};
    float z = rcSigmoid(${at('Xp', 'rcStep, ', 'j')} + ${at('Z', '', 'j')});
    float r = rcSigmoid(${at('Xp', 'rcStep, ', `${H} + j`)} + ${at('Z', '', `${H} + j`)});
    float hh = ${at('Z', '', `${2 * H} + j`)} + ${at('Xp', 'rcStep, ', `${3 * H} + j`)};
    float cand = rcTanh(${at('Xp', 'rcStep, ', `${2 * H} + j`)} + r * hh);
    float h = z * hp + (1.0 - z) * cand;
    ${a.masked ? `h = hp + rcPick(getMask(rcStep, b, 0), b, 0) * (h - hp);` : ''}
    if (field == 0) return h;
    if (field == 1) return z;
    if (field == 2) return r;
    if (field == 3) return cand;
    return hh;
  }`, B, R, H);
}

function backwardCell(a: GruCellGradAttrs, B: number, H: number): string {
  const rec = (k: string, off: string) => `rcPick(getRecords(${k}, b, ${off}j), b, ${off}j)`;
  return cellProgram(`${HELPERS}
  float rcValue(int b, int col) {
    int field = col / ${H};
    int j = col - field * ${H};
    float dhTot = rcPick(getDhTot(b, j), b, j);
    float z = ${rec('rcStep', `${H} + `)};
    float r = ${rec('rcStep', `${2 * H} + `)};
    float cand = ${rec('rcStep', `${3 * H} + `)};
    float hh = ${rec('rcStep', `${4 * H} + `)};
    float hp = rcStep == 0 ? rcPick(getState0(0, b, j), b, j) : ${rec('rcStep - 1', '')};
    float m = ${a.masked ? 'rcPick(getMask(rcStep, b, 0), b, 0)' : '1.0'};
    float dhN = m * dhTot;
    float dah = dhN * (1.0 - z) * (1.0 - cand * cand);
    if (field == 0) return dhN * (hp - cand) * z * (1.0 - z);
    if (field == 1) return dah * hh * r * (1.0 - r);
    if (field == 2) return dah * r;
    if (field == 3) return dhN * z + (1.0 - m) * dhTot;
    return dah;
  }`, B, 5 * H, H);
}

export const gruCellWebGL: tf.KernelConfig = {
  kernelName: GRU_CELL,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as GruCellAttrs;
    const gl = backend as unknown as WebGLBackendLike;
    const U = inputs.U as tf.TensorInfo;
    const state = inputs.state as tf.TensorInfo;
    const H = U.shape[0]!;
    const B = state.shape[1]!;
    const R = a.training ? 5 * H : H;
    const step = [[a.step]];
    const Z = gl.runWebGLProgram(program(['state', 'U'], [B, 3 * H], forwardMatMul(H, false)), [state, U], 'float32', step);
    const names = ['Z', 'Xp', 'state', ...(a.masked ? ['mask'] : [])];
    const ins = [Z, inputs.xp as tf.TensorInfo, state, ...(a.masked ? [inputs.mask as tf.TensorInfo] : [])];
    const out = gl.runWebGLProgram(program(names, [1, B, R], forwardCell(a, B, H, R)), ins, 'float32', step);
    gl.disposeIntermediateTensorInfo(Z);
    return out;
  },
};

export const gruCellGradWebGL: tf.KernelConfig = {
  kernelName: GRU_CELL_GRAD,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as GruCellGradAttrs;
    const gl = backend as unknown as WebGLBackendLike;
    const UT = inputs.UT as tf.TensorInfo;
    const H = UT.shape[1]!;
    const records = inputs.records as tf.TensorInfo;
    const carry = inputs.carry as tf.TensorInfo;
    const B = records.shape[1]!;
    const step = [[a.step]];
    const dhTot = gl.runWebGLProgram(program(['DH', 'Carry', 'UT'], [B, H], backwardMatMul(H, 3 * H, 3 * H)), [inputs.dH as tf.TensorInfo, carry, UT], 'float32', step);
    const names = ['DhTot', 'Records', 'State0', ...(a.masked ? ['mask'] : [])];
    const ins = [dhTot, records, inputs.state0 as tf.TensorInfo, ...(a.masked ? [inputs.mask as tf.TensorInfo] : [])];
    const out = gl.runWebGLProgram(program(names, [1, B, 5 * H], backwardCell(a, B, H)), ins, 'float32', step);
    gl.disposeIntermediateTensorInfo(dhTot);
    return out;
  },
};
