/**
 * `RecurrentLstmSeq` on webgpu (seq-kernel.ts): every time step of an inference pass in one
 * dispatch, as persistent RNNs do. Batch rows are independent, so each workgroup owns `n` rows
 * for the whole sequence: h of its rows lives in workgroup memory (two copies, steps k and k + 1),
 * c beside it; thread t takes units t, t + 64, … of every row; a workgroup barrier ends each step.
 * U is read from memory each step, once per workgroup, every read serving the n rows — the same
 * traffic as the per-step kernel's 4-row tiles when n = 4. What goes away is T − 1 dispatches and
 * the round trip of each step's state through a record.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { HELPERS, ints, workgroupProgram, type WebGPUBackendLike } from '../gpu/webgpu-program.js';
import { LSTM_SEQ, SEQ_FLOATS_PER_ROW, SEQ_WORKGROUP_FLOATS } from './seq-kernel.js';

const THREADS = 64;

/** Batch rows per workgroup: 4 where their workgroup memory fits, else 2, else 1. */
export function seqRows(H: number): number {
  return [4, 2, 1].find((n) => n * SEQ_FLOATS_PER_ROW(H) <= SEQ_WORKGROUP_FLOATS) ?? 1;
}

const each = (n: number, line: (r: number) => string) => Array.from({ length: n }, (_, r) => line(r)).join('\n        ');

function code(H: number, masked: boolean, training: boolean): string {
  const R = training ? 7 * H : 2 * H;
  const n = seqRows(H);
  return `${HELPERS}
  var<workgroup> rcH : array<f32, ${2 * n * H}>;
  var<workgroup> rcC : array<f32, ${n * H}>;
  fn main(index : i32) {
    let H = uniforms.units;
    let B = uniforms.batch;
    let T = uniforms.step;
    let b0 = i32(workgroupId.x) * ${n};
    let t = i32(localId.x);
    ${each(n, (r) => `let bb${r} = min(b0 + ${r}, B - 1);`)}
    for (var j = t; j < H; j += ${THREADS}) {
      ${each(n, (r) => `rcH[${r} * H + j] = state0[bb${r} * 2 * H + j];
      rcC[${r} * H + j] = state0[bb${r} * 2 * H + H + j];`)}
    }
    workgroupBarrier();
    for (var k = 0; k < T; k++) {
      let cur = (k % 2) * ${n} * H;
      let nxt = ((k + 1) % 2) * ${n} * H;
      for (var j = t; j < H; j += ${THREADS}) {
        ${each(n, (r) => `let x${r} = (k * B + bb${r}) * 4 * H + j;
        var acc${r} = vec4<f32>(xp[x${r}], xp[x${r} + H], xp[x${r} + 2 * H], xp[x${r} + 3 * H]);`)}
        for (var q = 0; q < H; q++) {
          let u = vec4<f32>(U[q * 4 * H + j], U[q * 4 * H + H + j], U[q * 4 * H + 2 * H + j], U[q * 4 * H + 3 * H + j]);
          ${each(n, (r) => `acc${r} += rcH[cur + ${r} * H + q] * u;`)}
        }
        ${each(n, (r) => `{
          let hp = rcH[cur + ${r} * H + j];
          let cp = rcC[${r} * H + j];
          let i = rcSigmoid(acc${r}.x);
          let f = rcSigmoid(acc${r}.y);
          let cand = rcTanh(acc${r}.z);
          let o = rcSigmoid(acc${r}.w);
          let cn = f * cp + i * cand;
          let hn = o * rcTanh(cn);
          ${masked ? `let m = mask[k * B + bb${r}];
          let h = hp + m * (hn - hp);
          let c = cp + m * (cn - cp);` : `let h = hn;
          let c = cn;`}
          rcH[nxt + ${r} * H + j] = h;
          rcC[${r} * H + j] = c;
          if (b0 + ${r} < B) {
            let w = (k * B + b0 + ${r}) * ${R};
            result[w + j] = h;
            result[w + H + j] = c;${training ? `
            result[w + 2 * H + j] = cn;
            result[w + 3 * H + j] = i;
            result[w + 4 * H + j] = f;
            result[w + 5 * H + j] = cand;
            result[w + 6 * H + j] = o;` : ''}
          }
        }`)}
      }
      workgroupBarrier();
    }
  }`;
}

export const lstmSeqWebGPU: tf.KernelConfig = {
  kernelName: LSTM_SEQ,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { masked, training } = attrs as unknown as { masked: boolean; training: boolean };
    const { xp, U } = inputs as Record<string, tf.TensorInfo>;
    const [T, B] = xp!.shape as [number, number, number];
    const H = U!.shape[0]!;
    const groups = Math.ceil(B / seqRows(H));
    const names = ['xp', 'U', 'state0', ...(masked ? ['mask'] : [])];
    const R = training ? 7 * H : 2 * H;
    const p = workgroupProgram(`recurrentLstmSeq${H}${masked ? 'M' : ''}${training ? 'T' : ''}`, names, [T, B, R], groups, THREADS, code(H, masked, training));
    // uniforms as UNIFORMS: `step` carries T; the record widths are not read
    return (backend as WebGPUBackendLike).runWebGPUProgram(p, names.map((n) => inputs[n] as tf.TensorInfo), 'float32', ints([T, H, B, R, R]));
  },
};
