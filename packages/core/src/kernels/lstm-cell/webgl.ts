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
import { backwardMatMul, forwardMatMul, cellProgram, HELPERS, program, type WebGLBackendLike } from '../gpu/webgl-program.js';
import { carryWidth, LSTM_CELL, LSTM_CELL_GRAD, recordWidth, type LstmCellAttrs, type LstmCellGradAttrs } from './kernel.js';

function forwardCell(a: LstmCellAttrs, B: number, H: number, R: number): string {
  const z = (g: number) => `rcPick(getZ(b, ${g * H} + j), b, ${g * H} + j)`;
  const peep = (r: number, c: string) => (a.peephole ? ` + rcPick(getPeephole(${r}, j), ${r}, j) * ${c}` : '');
  const fields = a.coupled ? ['h', 'c', 'cn', 'f', 'cand', 'o'] : ['h', 'c', 'cn', 'i', 'f', 'cand', 'o'];
  const used = a.training ? fields : fields.slice(0, 2);
  return cellProgram(`${HELPERS}
  float rcValue(int b, int col) {
    int field = col / ${H};
    int j = col - field * ${H};
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
    ${a.masked ? `float m = rcPick(getMask(rcStep, b, 0), b, 0);
    h = hp + m * (h - hp);
    c = cp + m * (cn - cp);` : ''}
    ${used.map((v, k) => `if (field == ${k}) return ${v};`).join('\n    ')}
    return 0.0;
  }`, B, R, H);
}

function backwardCell(a: LstmCellGradAttrs, B: number, H: number, G: number, CW: number): string {
  const rec = (off: string) => `rcPick(getRecords(rcStep, b, ${off} + j), b, ${off} + j)`;
  const GH = G * H;
  const p = (r: number) => `rcPick(getPeephole(${r}, j), ${r}, j)`;
  return cellProgram(`${HELPERS}
  float rcValue(int b, int col) {
    int field = col / ${H};
    int j = col - field * ${H};
    float dhTot = rcPick(getDhTot(b, j), b, j);
    float dcCarry = rcPick(getCarry(0, b, ${GH} + j), b, ${GH} + j);
    float cPrev = rcStep == 0 ? rcPick(getState0(0, b, ${H} + j), b, ${H} + j)
                            : rcPick(getRecords(rcStep - 1, b, ${H} + j), b, ${H} + j);
    float cn = ${rec(`${2 * H}`)};
    ${a.coupled
      ? `float f = ${rec(`${3 * H}`)};
    float cand = ${rec(`${4 * H}`)};
    float o = ${rec(`${5 * H}`)};`
      : `float i = ${rec(`${3 * H}`)};
    float f = ${rec(`${4 * H}`)};
    float cand = ${rec(`${5 * H}`)};
    float o = ${rec(`${6 * H}`)};`}
    float m = ${a.masked ? 'rcPick(getMask(rcStep, b, 0), b, 0)' : '1.0'};
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
    const gl = backend as unknown as WebGLBackendLike;
    const U = inputs.U as tf.TensorInfo;
    const state = inputs.state as tf.TensorInfo;
    const [H, GH] = U.shape as [number, number];
    const G = GH / H;
    const B = state.shape[1]!;
    const R = recordWidth(H, G, a.training);
    const step = [[a.step]];
    const Z = gl.runWebGLProgram(program(['xp', 'state', 'U'], [B, GH], forwardMatMul(H)), [inputs.xp as tf.TensorInfo, state, U], 'float32', step);
    const names = ['Z', 'state', ...(a.masked ? ['mask'] : []), ...(a.peephole ? ['peephole'] : [])];
    const ins = [Z, state, ...(a.masked ? [inputs.mask as tf.TensorInfo] : []), ...(a.peephole ? [inputs.peephole as tf.TensorInfo] : [])];
    const out = gl.runWebGLProgram(program(names, [1, B, R], forwardCell(a, B, H, R)), ins, 'float32', step);
    gl.disposeIntermediateTensorInfo(Z);
    return out;
  },
};

export const lstmCellGradWebGL: tf.KernelConfig = {
  kernelName: LSTM_CELL_GRAD,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as LstmCellGradAttrs;
    const gl = backend as unknown as WebGLBackendLike;
    const UT = inputs.UT as tf.TensorInfo;
    const records = inputs.records as tf.TensorInfo;
    const carry = inputs.carry as tf.TensorInfo;
    const [GH, H] = UT.shape as [number, number];
    const G = GH / H;
    const B = records.shape[1]!;
    const CW = carryWidth(H, G);
    const step = [[a.step]];
    const dhTot = gl.runWebGLProgram(program(['DH', 'Carry', 'UT'], [B, H], backwardMatMul(H, GH, GH + H)), [inputs.dH as tf.TensorInfo, carry, UT], 'float32', step);
    const names = ['DhTot', 'Carry', 'Records', 'State0', ...(a.masked ? ['mask'] : []), ...(a.peephole ? ['peephole'] : [])];
    const ins = [dhTot, carry, records, inputs.state0 as tf.TensorInfo, ...(a.masked ? [inputs.mask as tf.TensorInfo] : []), ...(a.peephole ? [inputs.peephole as tf.TensorInfo] : [])];
    const out = gl.runWebGLProgram(program(names, [1, B, CW], backwardCell(a, B, H, G, CW)), ins, 'float32', step);
    gl.disposeIntermediateTensorInfo(dhTot);
    return out;
  },
};
