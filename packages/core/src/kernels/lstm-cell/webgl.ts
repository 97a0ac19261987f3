/**
 * `RecurrentLstmCell` and `RecurrentLstmCellGrad` on webgl: two GLSL programs per step each, all
 * on packed textures (tfjs' default layout, 2×2 values per texel), so nothing is packed or
 * unpacked on the way — see kernel.ts for the contract.
 *
 * Why two programs and not one: a fragment writes one texel, and a record's texel holds 2 units ×
 * 2 fields of one field block (h, c, ĉn, a gate…); one fragment computing its own gate sums would
 * recompute them for every field that needs them (3.5× the recurrent matMul's work in training).
 * So each step is
 * - forward: Z = xp[step] + h·U, a packed 2×2 matMul (as tfjs' MatMulPackedProgram) reading h in
 *   place from the previous record and xp[step] in place; then the cell, elementwise on Z into the
 *   record.
 * - backward: dhTot = dH[step] + dz_{k+1}·Uᵀ + keep_{k+1} (Uᵀ given), reading dz and keep in
 *   place from the carry; then the cell's backward, elementwise, into the new carry.
 * Both programs run inside the one kernel: one registered kernel and two GPU launches per step.
 * With H even the cell programs work on whole texels (vec4 arithmetic, one fetch per input block;
 * gpu/webgl-program.ts `cellProgram`), which is what brings them down to a fraction of the matMul.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { backwardMatMul, cellProgram, fieldOf, forwardMatMul, HELPERS, MASK, prevState, recordAt, runStep } from '../gpu/webgl-program.js';
import { stepSizes } from '../cell-kernel.js';
import { carryWidth, LSTM_CELL, LSTM_CELL_GRAD, recordWidth, type LstmCellAttrs, type LstmCellGradAttrs } from './kernel.js';

function forwardCell(a: LstmCellAttrs, B: number, H: number, R: number): string {
  const z = (g: number) => `rcPick(getZ(b, ${g * H} + j), b, ${g * H} + j)`;
  const peep = (r: number, c: string) => (a.peephole ? ` + rcPick(getPeephole(${r}, j), ${r}, j) * ${c}` : '');
  const fields = a.coupled ? ['h', 'c', 'cn', 'f', 'cand', 'o'] : ['h', 'c', 'cn', 'i', 'f', 'cand', 'o'];
  const used = a.training ? fields : fields.slice(0, 2);
  return cellProgram(`${HELPERS}
  float rcValue(int b, int col) {
    ${fieldOf(H)}
    float hp = rcPick(getState(0, b, j), b, j);
    float cp = rcPick(getState(0, b, ${H} + j), b, ${H} + j);
    ${a.coupled
      ? `float f = rcSigmoid(${z(0)}${peep(1, 'cp')});
    float i = 1.0 - f;
    float cand = rcTanh(${z(1)});
    float cn = f * cp + i * cand;
    float o = rcSigmoid(${z(2)}${peep(2, 'cn')});`
      : `float i = rcSigmoid(${z(0)}${peep(0, 'cp')});
    float f = rcSigmoid(${z(1)}${peep(1, 'cp')});
    float cand = rcTanh(${z(2)});
    float cn = f * cp + i * cand;
    float o = rcSigmoid(${z(3)}${peep(2, 'cn')});`}
    float h = o * rcTanh(cn);
    float c = cn;
    ${a.masked ? `float m = ${MASK};
    h = hp + m * (h - hp);
    c = cp + m * (cn - cp);` : ''}
    ${used.map((v, k) => `if (field == ${k}) return ${v};`).join('\n    ')}
    return 0.0;
  }`, B, R, H);
}

function backwardCell(a: LstmCellGradAttrs, B: number, H: number, G: number, CW: number): string {
  const GH = G * H;
  const p = (r: number) => `rcPick(getPeephole(${r}, j), ${r}, j)`;
  return cellProgram(`${HELPERS}
  float rcValue(int b, int col) {
    ${fieldOf(H)}
    float dhTot = rcPick(getDhTot(b, j), b, j);
    float dcCarry = rcPick(getCarry(0, b, ${GH} + j), b, ${GH} + j);
    float cPrev = ${prevState(`${H} + j`)};
    float cn = ${recordAt(2 * H)};
    ${a.coupled
      ? `float f = ${recordAt(3 * H)};
    float cand = ${recordAt(4 * H)};
    float o = ${recordAt(5 * H)};`
      : `float i = ${recordAt(3 * H)};
    float f = ${recordAt(4 * H)};
    float cand = ${recordAt(5 * H)};
    float o = ${recordAt(6 * H)};`}
    float m = ${a.masked ? MASK : '1.0'};
    float dhN = m * dhTot;
    float tc = rcTanh(cn);
    float dzo = dhN * tc * o * (1.0 - o);
    float dcN = m * dcCarry + dhN * o * (1.0 - tc * tc)${a.peephole ? ` + dzo * ${p(2)}` : ''};
    float dCand = 1.0 - cand * cand;
    ${a.coupled
      ? `float dzf = dcN * (cPrev - cand) * f * (1.0 - f);
    float dzc = dcN * (1.0 - f) * dCand;
    float dcPrev = dcN * f${a.peephole ? ` + dzf * ${p(1)}` : ''} + (1.0 - m) * dcCarry;
    if (field == 0) return dzf;
    if (field == 1) return dzc;
    if (field == 2) return dzo;`
      : `float dzi = dcN * cand * i * (1.0 - i);
    float dzf = dcN * cPrev * f * (1.0 - f);
    float dzc = dcN * i * dCand;
    float dcPrev = dcN * f${a.peephole ? ` + dzi * ${p(0)} + dzf * ${p(1)}` : ''} + (1.0 - m) * dcCarry;
    if (field == 0) return dzi;
    if (field == 1) return dzf;
    if (field == 2) return dzc;
    if (field == 3) return dzo;`}
    if (field == ${G}) return dcPrev;
    return (1.0 - m) * dhTot;
  }`, B, CW, H);
}

export const lstmCellWebGL: tf.KernelConfig = {
  kernelName: LSTM_CELL,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as LstmCellAttrs;
    const { U, state } = inputs;
    const { H, GH, B } = stepSizes(inputs);
    const R = recordWidth(H, GH / H, a.training);
    const optional = { mask: a.masked ? inputs.mask : undefined, peephole: a.peephole ? inputs.peephole : undefined };
    return runStep(backend, a.step,
      { inputs: { xp: inputs.xp, state, U }, outputShape: [B, GH], userCode: forwardMatMul(H) },
      'Z', { inputs: { state, ...optional }, outputShape: [1, B, R], userCode: forwardCell(a, B, H, R) });
  },
};

export const lstmCellGradWebGL: tf.KernelConfig = {
  kernelName: LSTM_CELL_GRAD,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as LstmCellGradAttrs;
    const { H, GH, B } = stepSizes(inputs);
    const G = GH / H;
    const CW = carryWidth(H, G);
    const optional = { mask: a.masked ? inputs.mask : undefined, peephole: a.peephole ? inputs.peephole : undefined };
    return runStep(backend, a.step,
      { inputs: { DH: inputs.dH, Carry: inputs.carry, UT: inputs.UT }, outputShape: [B, H], userCode: backwardMatMul(H, GH, GH + H) },
      'DhTot', { inputs: { Carry: inputs.carry, Records: inputs.records, State0: inputs.state0, ...optional }, outputShape: [1, B, CW], userCode: backwardCell(a, B, H, G, CW) });
  },
};
