/**
 * `RecurrentGruCell` and `RecurrentGruCellGrad` (reset-after) on webgl: two packed GLSL programs
 * per step each (the packed matMul h·U, or [da_z, da_r, dhh]·Uᵀ; then the elementwise cell; see
 * lstm-cell/webgl.ts for why two) — see kernel.ts for the contract. Reset-before: webgl-rb.ts.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { backwardMatMul, cellProgram, fieldOf, forwardMatMul, HELPERS, MASK, prevState, recordAt, runStep } from '../gpu/webgl-program.js';
import { stepSizes } from '../cell-kernel.js';
import { GRU_CELL, GRU_CELL_GRAD, type GruCellAttrs, type GruCellGradAttrs } from './kernel.js';

function forwardCell(a: GruCellAttrs, B: number, H: number, R: number): string {
  const at = (name: string, lead: string, col: string) => `rcPick(get${name}(${lead}b, ${col}), b, ${col})`;
  return cellProgram(`${HELPERS}
  float rcValue(int b, int col) {
    ${fieldOf(H)}
    float hp = ${at('State', '0, ', 'j')};
    float z = rcSigmoid(${at('Xp', 'rcStep, ', 'j')} + ${at('Z', '', 'j')});
    float r = rcSigmoid(${at('Xp', 'rcStep, ', `${H} + j`)} + ${at('Z', '', `${H} + j`)});
    float hh = ${at('Z', '', `${2 * H} + j`)} + ${at('Xp', 'rcStep, ', `${3 * H} + j`)};
    float cand = rcTanh(${at('Xp', 'rcStep, ', `${2 * H} + j`)} + r * hh);
    float h = z * hp + (1.0 - z) * cand;
    ${a.masked ? `h = hp + ${MASK} * (h - hp);` : ''}
    if (field == 0) return h;
    if (field == 1) return z;
    if (field == 2) return r;
    if (field == 3) return cand;
    return hh;
  }`, B, R, H);
}

function backwardCell(a: GruCellGradAttrs, B: number, H: number): string {
  return cellProgram(`${HELPERS}
  float rcValue(int b, int col) {
    ${fieldOf(H)}
    float dhTot = rcPick(getDhTot(b, j), b, j);
    float z = ${recordAt(H)};
    float r = ${recordAt(2 * H)};
    float cand = ${recordAt(3 * H)};
    float hh = ${recordAt(4 * H)};
    float hp = ${prevState('j')};
    float m = ${a.masked ? MASK : '1.0'};
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
    const { U, state } = inputs;
    const { H, B } = stepSizes(inputs);
    const R = a.training ? 5 * H : H;
    return runStep(backend, a.step,
      { inputs: { state, U }, outputShape: [B, 3 * H], userCode: forwardMatMul(H, false) },
      'Z', { inputs: { Xp: inputs.xp, state, mask: a.masked ? inputs.mask : undefined }, outputShape: [1, B, R], userCode: forwardCell(a, B, H, R) });
  },
};

export const gruCellGradWebGL: tf.KernelConfig = {
  kernelName: GRU_CELL_GRAD,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as GruCellGradAttrs;
    const { H, B } = stepSizes(inputs);
    return runStep(backend, a.step,
      { inputs: { DH: inputs.dH, Carry: inputs.carry, UT: inputs.UT }, outputShape: [B, H], userCode: backwardMatMul(H, 3 * H, 3 * H) },
      'DhTot', { inputs: { Records: inputs.records, State0: inputs.state0, mask: a.masked ? inputs.mask : undefined }, outputShape: [1, B, 5 * H], userCode: backwardCell(a, B, H) });
  },
};
