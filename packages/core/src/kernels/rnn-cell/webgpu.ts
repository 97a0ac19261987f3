/**
 * `RecurrentRnnCell` and `RecurrentRnnCellGrad` on webgpu: one WGSL dispatch per step each — see
 * kernel.ts for the contract. Each thread takes unit j of 4 batch rows (one U read serves 4 rows):
 * forward a = xp + Σ_n h[b, n]·U[n, j], then φ and the mask; backward dhTot = dH + Σ_n da[b, n]·Uᵀ[n, j]
 * + keep, then da and keep.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { backwardMain, backwardThreads, HELPERS, ints, program, ROWS, ROWS_DIV, rows, type WebGPUBackendLike } from '../gpu/webgpu-program.js';
import { RNN_CELL, RNN_CELL_GRAD, type RnnCellAttrs, type RnnCellGradAttrs } from './kernel.js';

function forwardCode(a: RnnCellAttrs): string {
  return `${HELPERS}
  fn main(index : i32) {
    let H = uniforms.units;
    let B = uniforms.batch;
    if (index >= ${ROWS_DIV('B')} * H) { return; }
    let j = index % H;
    let b0 = (index / H) * ${ROWS};
    let k = uniforms.step;
    ${rows((r) => `let s${r} = min(b0 + ${r}, B - 1) * uniforms.inWidth;
    var acc${r} = xp[(k * B + min(b0 + ${r}, B - 1)) * H + j];`)}
    for (var n = 0; n < H; n++) {
      let u = U[n * H + j];
      ${rows((r) => `acc${r} += state[s${r} + n] * u;`)}
    }
    ${rows((r) => `if (b0 + ${r} < B) { cell(b0 + ${r}, j, acc${r}); }`)}
  }
  fn cell(b : i32, j : i32, acc : f32) {
    let H = uniforms.units;
    let B = uniforms.batch;
    let k = uniforms.step;
    let hp = state[b * uniforms.inWidth + j];
    let hn = ${a.activation === 'relu' ? 'max(acc, 0.0)' : 'rcTanh(acc)'};
    ${a.masked ? 'let m = mask[k * B + b];\n    let h = hp + m * (hn - hp);' : 'let h = hn;'}
    let r0 = b * uniforms.outWidth;
    result[r0 + j] = h;
    ${a.training ? 'result[r0 + H + j] = hn;' : ''}
  }`;
}

function backwardCode(a: RnnCellGradAttrs): string {
  return `${HELPERS}
  ${backwardMain('H')}
  fn cell(b : i32, j : i32, dhU : f32) {
    let H = uniforms.units;
    let B = uniforms.batch;
    let k = uniforms.step;
    let q0 = b * 2 * H;
    let dhTot = dhU + dH[(k * B + b) * H + j] + carry[q0 + H + j];
    let hn = records[(k * B + b) * uniforms.inWidth + H + j];
    let m = ${a.masked ? 'mask[k * B + b]' : '1.0'};
    let dPhi = ${a.activation === 'relu' ? 'select(0.0, 1.0, hn > 0.0)' : '1.0 - hn * hn'};
    result[q0 + j] = m * dhTot * dPhi;
    result[q0 + H + j] = (1.0 - m) * dhTot;
  }`;
}

const flags = (a: RnnCellGradAttrs) => `${a.activation}${a.masked ? 'M' : ''}`;

export const rnnCellWebGPU: tf.KernelConfig = {
  kernelName: RNN_CELL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as RnnCellAttrs;
    const state = inputs.state as tf.TensorInfo;
    const H = (inputs.U as tf.TensorInfo).shape[0]!;
    const B = state.shape[1]!;
    const R = a.training ? 2 * H : H;
    const names = ['xp', 'U', 'state', ...(a.masked ? ['mask'] : [])];
    const p = program(`recurrentRnnCell${flags(a)}${a.training ? 'T' : ''}`, names, [1, B, R], Math.ceil(B / ROWS) * H, forwardCode(a));
    return (backend as unknown as WebGPUBackendLike).runWebGPUProgram(p, names.map((n) => inputs[n] as tf.TensorInfo), 'float32', ints([a.step, H, B, state.shape[2]!, R]));
  },
};

export const rnnCellGradWebGPU: tf.KernelConfig = {
  kernelName: RNN_CELL_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as RnnCellGradAttrs;
    const records = inputs.records as tf.TensorInfo;
    const H = (inputs.UT as tf.TensorInfo).shape[0]!;
    const B = records.shape[1]!;
    const names = ['records', 'dH', 'UT', 'carry', ...(a.masked ? ['mask'] : [])];
    const p = program(`recurrentRnnCellGrad${flags(a)}`, names, [1, B, 2 * H], backwardThreads(B, H), backwardCode(a));
    return (backend as unknown as WebGPUBackendLike).runWebGPUProgram(p, names.map((n) => inputs[n] as tf.TensorInfo), 'float32', ints([a.step, H, B, records.shape[2]!, 2 * H]));
  },
};
