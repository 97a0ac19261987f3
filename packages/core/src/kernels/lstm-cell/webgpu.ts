/**
 * `RecurrentLstmCell` and `RecurrentLstmCellGrad` on webgpu: one WGSL compute dispatch per step
 * each — see kernel.ts for the contract.
 *
 * Forward: a thread takes unit j of 4 batch rows; the G pre-activations of unit j are
 * xp[step, b, g·H + j] + Σ_n h[b, n]·U[n, g·H + j] (a vec4 accumulator per row, one pass over n,
 * each U read serving the 4 rows), then the gates, c, h and the mask, written to the record.
 * Backward: a thread takes 4 units × 4 rows; dhTot[b, j] = dH + Σ_n dz_{k+1}[b, n]·Uᵀ[n, j] + keep,
 * then the gate gradients of unit j, dc_{k−1} and keep. Everything a thread writes depends only on
 * its own (b, j) and the previous step's record, so the step needs no second pass and no barrier.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { backwardMain, backwardThreads, cellFn, forwardMain, gateVec, HELPERS, prevState, program, ROWS, runStep } from '../gpu/webgpu-program.js';
import { stepSizes } from '../cell-kernel.js';
import { carryWidth, LSTM_CELL, LSTM_CELL_GRAD, recordWidth, type LstmCellAttrs, type LstmCellGradAttrs, type LstmVariant } from './kernel.js';

/** The gates written into a training record after h | c | ĉn, in order. */
export const lstmActs = ({ coupled }: LstmVariant) => (coupled ? ['f', 'cand', 'o'] : ['i', 'f', 'cand', 'o']);

/** dz's fields of the backward record, in order (then dcPrev and keep). */
export const lstmDz = ({ coupled }: LstmVariant) => (coupled ? ['dzf', 'dzc', 'dzo'] : ['dzi', 'dzf', 'dzc', 'dzo']);

/**
 * WGSL, also for the one-dispatch kernel (webgpu-seq.ts): from `acc` (unit j's pre-activations,
 * lanes i, f, ĉ, o; coupled f, ĉ, o) and `cp`, defines i, f, cand, cn, o and hn (before the mask).
 */
export function lstmGatesWgsl({ coupled, peephole }: LstmVariant): string {
  const peep = (r: number, c: string) => (peephole ? ` + peephole[${r} * H + j] * ${c}` : '');
  return `${coupled
    ? `let f = rcSigmoid(acc.x${peep(1, 'cp')});
    let i = 1.0 - f;
    let cand = rcTanh(acc.y);`
    : `let i = rcSigmoid(acc.x${peep(0, 'cp')});
    let f = rcSigmoid(acc.y${peep(1, 'cp')});
    let cand = rcTanh(acc.z);`}
    let cn = f * cp + i * cand;
    let o = rcSigmoid(acc.${coupled ? 'z' : 'w'}${peep(2, 'cn')});
    let hn = o * rcTanh(cn);`;
}

/**
 * WGSL, also for the one-dispatch kernel: from the training record at `r0`, `cPrev`, `dhTot`,
 * `dcCarry` and the mask `m`, defines the gate gradients {@link lstmDz} and dcPrev.
 */
export function lstmGateGradsWgsl(v: LstmVariant): string {
  const p = (r: number) => `peephole[${r} * H + j]`;
  return `let cn = records[r0 + 2 * H + j];
    ${lstmActs(v).map((g, n) => `let ${g} = records[r0 + ${3 + n} * H + j];`).join('\n    ')}
    let dhN = m * dhTot;
    let tc = rcTanh(cn);
    let dzo = dhN * tc * o * (1.0 - o);
    let dcN = m * dcCarry + dhN * o * (1.0 - tc * tc)${v.peephole ? ` + dzo * ${p(2)}` : ''};
    let dCand = 1.0 - cand * cand;
    ${v.coupled
      ? `let dzf = dcN * (cPrev - cand) * f * (1.0 - f);
    let dzc = dcN * (1.0 - f) * dCand;
    let dcPrev = dcN * f${v.peephole ? ` + dzf * ${p(1)}` : ''} + (1.0 - m) * dcCarry;`
      : `let dzi = dcN * cand * i * (1.0 - i);
    let dzf = dcN * cPrev * f * (1.0 - f);
    let dzc = dcN * i * dCand;
    let dcPrev = dcN * f${v.peephole ? ` + dzi * ${p(0)} + dzf * ${p(1)}` : ''} + (1.0 - m) * dcCarry;`}`;
}

function forwardCode(a: LstmCellAttrs): string {
  const G = a.coupled ? 3 : 4;
  return `${HELPERS}
  ${forwardMain(`${G} * H`, (x) => gateVec('xp', x, G, 4), gateVec('U', `n * ${G} * H + j`, G, 4))}
  ${cellFn('acc : vec4<f32>', `
    let s0 = b * uniforms.inWidth;
    let hp = state[s0 + j];
    let cp = state[s0 + H + j];
    ${lstmGatesWgsl(a)}
    ${a.masked ? `let m = mask[k * B + b];
    let h = hp + m * (hn - hp);
    let c = cp + m * (cn - cp);` : `let h = hn;
    let c = cn;`}
    let r0 = b * uniforms.outWidth;
    result[r0 + j] = h;
    result[r0 + H + j] = c;
    ${a.training ? `result[r0 + 2 * H + j] = cn;
    ${lstmActs(a).map((v, g) => `result[r0 + ${3 + g} * H + j] = ${v};`).join('\n    ')}` : ''}`)}`;
}

function backwardCode(a: LstmCellGradAttrs): string {
  const G = a.coupled ? 3 : 4;
  return `${HELPERS}
  ${prevState('2 * uniforms.units')}
  ${backwardMain(`${G} * H`)}
  ${cellFn('dhU : f32', `
    let GH = ${G} * H;
    let CW = uniforms.outWidth;
    let q0 = b * CW;
    let dhTot = dhU + dH[(k * B + b) * H + j] + carry[q0 + GH + H + j];
    let dcCarry = carry[q0 + GH + j];
    let cPrev = rcPrev(b, H + j);
    let r0 = (k * B + b) * uniforms.inWidth;
    let m = ${a.masked ? 'mask[k * B + b]' : '1.0'};
    ${lstmGateGradsWgsl(a)}
    ${lstmDz(a).map((v, g) => `result[q0 + ${g} * H + j] = ${v};`).join('\n    ')}
    result[q0 + GH + j] = dcPrev;
    result[q0 + GH + H + j] = (1.0 - m) * dhTot;`)}`;
}

const flags = (a: LstmCellGradAttrs) => `${a.coupled ? 'C' : ''}${a.peephole ? 'P' : ''}${a.masked ? 'M' : ''}`;

export const lstmCellWebGPU: tf.KernelConfig = {
  kernelName: LSTM_CELL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as LstmCellAttrs;
    const { H, GH, B } = stepSizes(inputs);
    const R = recordWidth(H, GH / H, a.training);
    const names = ['xp', 'U', 'state', ...(a.masked ? ['mask'] : []), ...(a.peephole ? ['peephole'] : [])];
    const p = program(`recurrentLstmCell${flags(a)}${a.training ? 'T' : ''}`, names, [1, B, R], Math.ceil(B / ROWS) * H, forwardCode(a));
    return runStep(backend, p, inputs, a.step);
  },
};

export const lstmCellGradWebGPU: tf.KernelConfig = {
  kernelName: LSTM_CELL_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as LstmCellGradAttrs;
    const { H, GH, B } = stepSizes(inputs);
    const CW = carryWidth(H, GH / H);
    const names = ['records', 'state0', 'dH', 'UT', 'carry', ...(a.masked ? ['mask'] : []), ...(a.peephole ? ['peephole'] : [])];
    const p = program(`recurrentLstmCellGrad${flags(a)}`, names, [1, B, CW], backwardThreads(B, H), backwardCode(a));
    return runStep(backend, p, inputs, a.step);
  },
};
