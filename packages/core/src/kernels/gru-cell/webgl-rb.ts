/**
 * `RecurrentGruRbCell` and `RecurrentGruRbCellGrad` (reset-before) on webgl: two packed GLSL
 * programs per forward step, three per backward step — see kernel.ts for the contract. The
 * candidate's matMul (r ⊙ h)·U_h needs r of every unit, which one fragment program cannot wait for
 * (webgpu uses a workgroup barrier, webgpu.ts), so r comes from a program of its own:
 * - forward: (1) [z | r] [B, 2H] = σ(xp_zr[step] + h·U_zr) (U's first 2H columns, in place);
 *   (2) the cell into the record (`h`, or `h | z | r | ĥ` in training), each texel of h or ĥ
 *   forming A_h = xp_h[step] + (r ⊙ h)·U_h of its units in its own dot loop, the left operand
 *   built from (1) and the state, U_h read in place from U's columns 2H…3H. In training the h and
 *   ĥ blocks both run that loop: the candidate's product twice (a third more forward arithmetic)
 *   for one launch less per step (5 in training, 2 in inference).
 * - backward: (1) dhTot [B, H] = dH[step] + [da_z, da_r]_{k+1}·U_zrᵀ + e_{k+1} (Uᵀ's first 2H rows);
 *   (2) dq [B, H] = da_h·U_hᵀ, da_h = m·dhTot·(1 − z)(1 − ĥ²) formed in the dot loop from (1) and
 *   the record; (3) the cell, elementwise, into `da_z | da_r | e | da_h`.
 * With H odd the r, z and ĥ blocks start mid-texel (column H or 3H), so the dot loops assemble
 * their operand texel from two fetches (`rcShift`), and the cells run per element (the forward
 * cell's dot loop then once per element).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { backwardMatMul, cellProgram, dotLoop, fieldOf, forwardMatMul, HELPERS, MASK, prevState, recordAt, runChain } from '../gpu/webgl-program.js';
import { stepSizes } from '../cell-kernel.js';
import { GRU_RB_CELL, GRU_RB_CELL_GRAD, type GruCellAttrs, type GruCellGradAttrs } from './kernel.js';

/** Texel-shaped values of columns c, c + 1 (rows r, r + 1) from `get(col)`, c at `off` + n (n even). */
function pairAt(off: number, get: (col: string) => string): string {
  if (off % 2 === 0) return get(`${off} + n`);
  // off + n odd: column c is the right half of one texel, c + 1 the left half of the next.
  return `rcShift(${get(`${off} + n`)}, ${get(`${off} + n + 1`)})`;
}

const SHIFT = 'vec4 rcShift(vec4 a, vec4 b) { return vec4(a.y, b.x, a.w, b.z); }';

/**
 * `getAhDot(b, j)`: the texel of A_h = xp_h[step] + (r ⊙ h)·U_h holding rows b, units j (its even
 * top-left corner: a cell's texel, or the texel around one element). Named like an input getter
 * so that `cellProgram`'s texel rewrite treats it as one.
 */
function candidateDot(H: number): string {
  return `${SHIFT}
  vec4 rcQ(int r, int n) {
    return ${pairAt(H, (c) => `getZr(r, ${c})`)} * getState(0, r, n);
  }
  vec4 getAhDot(int b, int j) {
    int r0 = b - 2 * (b / 2);
    int c0 = j - 2 * (j / 2);
    r0 = b - r0;
    c0 = j - c0;
    vec4 acc = getXp(rcStep, r0, ${2 * H} + c0);
    ${dotLoop(H, 'rcQ(r0, n)', `getU(n, ${2 * H} + c0)`, false)}
    return acc;
  }`;
}

function forwardCell(a: GruCellAttrs, B: number, H: number, R: number): string {
  return cellProgram(`${HELPERS}${candidateDot(H)}
  float rcValue(int b, int col) {
    ${fieldOf(H)}
    if (field == 1) return rcPick(getZr(b, j), b, j);
    if (field == 2) return rcPick(getZr(b, ${H} + j), b, ${H} + j);
    float hp = rcPick(getState(0, b, j), b, j);
    float z = rcPick(getZr(b, j), b, j);
    float cand = rcTanh(rcPick(getAhDot(b, j), b, j));
    if (field == 3) return cand;
    float h = z * hp + (1.0 - z) * cand;
    ${a.masked ? `h = hp + ${MASK} * (h - hp);` : ''}
    return h;
  }`, B, R, H);
}

/** Program (2) backward: dq = da_h·U_hᵀ, da_h = m·dhTot·(1 − z)(1 − ĥ²). */
function resetMatMul(a: GruCellGradAttrs, H: number): string {
  const rec = (off: number) => pairAt(off, (c) => `getRecords(rcStep, r, ${c})`);
  return `${HELPERS}
  ${SHIFT}
  vec4 rcDah(int r, int n) {
    vec4 z = ${rec(H)};
    vec4 cand = ${rec(3 * H)};
    vec4 m = ${a.masked ? 'getMask(rcStep, r, 0).xxzz' : 'vec4(1.0)'};
    return m * getDhTot(r, n) * (1.0 - z) * (1.0 - cand * cand);
  }
  void main() {
    ivec2 rc = getOutputCoords();
    vec4 acc = vec4(0.0);
    ${dotLoop(H, 'rcDah(rc.x, n)', `getUT(${2 * H} + n, rc.y)`, false)}
    setOutput(acc);
  }`;
}

function backwardCell(a: GruCellGradAttrs, B: number, H: number): string {
  return cellProgram(`${HELPERS}
  float rcValue(int b, int col) {
    ${fieldOf(H)}
    float dhTot = rcPick(getDhTot(b, j), b, j);
    float dq = rcPick(getDq(b, j), b, j);
    float z = ${recordAt(H)};
    float r = ${recordAt(2 * H)};
    float cand = ${recordAt(3 * H)};
    float hp = ${prevState('j')};
    float m = ${a.masked ? MASK : '1.0'};
    float dhN = m * dhTot;
    if (field == 0) return dhN * (hp - cand) * z * (1.0 - z);
    if (field == 1) return dq * hp * r * (1.0 - r);
    if (field == 2) return dq * r + dhN * z + (1.0 - m) * dhTot;
    return dhN * (1.0 - z) * (1.0 - cand * cand);
  }`, B, 4 * H, H);
}

export const gruRbCellWebGL: tf.KernelConfig = {
  kernelName: GRU_RB_CELL,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as GruCellAttrs;
    const { xp, U, state } = inputs;
    const { H, B } = stepSizes(inputs);
    const R = a.training ? 4 * H : H;
    return runChain(backend, a.step, [
      { inputs: { xp, state, U }, outputShape: [B, 2 * H], userCode: `${HELPERS}${forwardMatMul(H, true, 'rcSigmoid(acc)')}`, into: 'Zr' },
      { inputs: { xp, state, U, mask: a.masked ? inputs.mask : undefined }, outputShape: [1, B, R], userCode: forwardCell(a, B, H, R) },
    ]);
  },
};

export const gruRbCellGradWebGL: tf.KernelConfig = {
  kernelName: GRU_RB_CELL_GRAD,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as GruCellGradAttrs;
    const { records } = inputs;
    const { H, B } = stepSizes(inputs);
    const mask = a.masked ? inputs.mask : undefined;
    return runChain(backend, a.step, [
      { inputs: { DH: inputs.dH, Carry: inputs.carry, UT: inputs.UT }, outputShape: [B, H], userCode: backwardMatMul(H, 2 * H, 2 * H), into: 'DhTot' },
      { inputs: { Records: records, UT: inputs.UT, mask }, outputShape: [B, H], userCode: resetMatMul(a, H), into: 'Dq' },
      { inputs: { Records: records, State0: inputs.state0, mask }, outputShape: [1, B, 4 * H], userCode: backwardCell(a, B, H) },
    ]);
  },
};
