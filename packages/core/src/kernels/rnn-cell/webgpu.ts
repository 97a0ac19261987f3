/**
 * `RecurrentRnnCell` and `RecurrentRnnCellGrad` on webgpu: one WGSL dispatch per step each — see
 * kernel.ts for the contract. Each thread takes unit j of 4 batch rows (one U read serves 4 rows):
 * forward a = xp + Σ_n h[b, n]·U[n, j], then φ and the mask; backward dhTot = dH + Σ_n da[b, n]·Uᵀ[n, j]
 * + keep, then da and keep.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { backwardMain, backwardThreads, cellFn, forwardMain, HELPERS, program, ROWS, runStep } from '../gpu/webgpu-program.js';
import { stepSizes } from '../cell-kernel.js';
import { RNN_CELL, RNN_CELL_GRAD, type RnnActivation, type RnnCellAttrs, type RnnCellGradAttrs } from './kernel.js';

/** WGSL, also for the one-dispatch kernels (webgpu-seq.ts): φ of the pre-activation `a`. */
export const rnnPhiWgsl = (activation: RnnActivation, a: string) => (activation === 'relu' ? `max(${a}, 0.0)` : `rcTanh(${a})`);

/** WGSL: φ'(a) from hn = φ(a). */
export const rnnDPhiWgsl = (activation: RnnActivation) => (activation === 'relu' ? 'select(0.0, 1.0, hn > 0.0)' : '1.0 - hn * hn');

function forwardCode(a: RnnCellAttrs): string {
  return `${HELPERS}
  ${forwardMain('H', (x) => `xp[${x}]`, 'U[n * H + j]')}
  ${cellFn('acc : f32', `
    let hp = state[b * uniforms.inWidth + j];
    let hn = ${rnnPhiWgsl(a.activation, 'acc')};
    ${a.masked ? 'let m = mask[k * B + b];\n    let h = hp + m * (hn - hp);' : 'let h = hn;'}
    let r0 = b * uniforms.outWidth;
    result[r0 + j] = h;
    ${a.training ? 'result[r0 + H + j] = hn;' : ''}`)}`;
}

function backwardCode(a: RnnCellGradAttrs): string {
  return `${HELPERS}
  ${backwardMain('H')}
  ${cellFn('dhU : f32', `
    let q0 = b * 2 * H;
    let dhTot = dhU + dH[(k * B + b) * H + j] + carry[q0 + H + j];
    let hn = records[(k * B + b) * uniforms.inWidth + H + j];
    let m = ${a.masked ? 'mask[k * B + b]' : '1.0'};
    let dPhi = ${rnnDPhiWgsl(a.activation)};
    result[q0 + j] = m * dhTot * dPhi;
    result[q0 + H + j] = (1.0 - m) * dhTot;`)}`;
}

const flags = (a: RnnCellGradAttrs) => `${a.activation}${a.masked ? 'M' : ''}`;

export const rnnCellWebGPU: tf.KernelConfig = {
  kernelName: RNN_CELL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as RnnCellAttrs;
    const { H, B } = stepSizes(inputs);
    const R = a.training ? 2 * H : H;
    const names = ['xp', 'U', 'state', ...(a.masked ? ['mask'] : [])];
    const p = program(`recurrentRnnCell${flags(a)}${a.training ? 'T' : ''}`, names, [1, B, R], Math.ceil(B / ROWS) * H, forwardCode(a));
    return runStep(backend, p, inputs, a.step);
  },
};

export const rnnCellGradWebGPU: tf.KernelConfig = {
  kernelName: RNN_CELL_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as RnnCellGradAttrs;
    const { H, B } = stepSizes(inputs);
    const names = ['records', 'dH', 'UT', 'carry', ...(a.masked ? ['mask'] : [])];
    const p = program(`recurrentRnnCellGrad${flags(a)}`, names, [1, B, 2 * H], backwardThreads(B, H), backwardCode(a));
    return runStep(backend, p, inputs, a.step);
  },
};
