/**
 * `RecurrentLstmSeq` and `RecurrentLstmSeqGrad` on webgpu (seq-kernel.ts): every time step of a
 * forward pass, or of a backward pass, in one dispatch, as persistent RNNs do. Batch rows are
 * independent, so each workgroup owns `n` rows for the whole sequence; thread t takes units t,
 * t + 64, … of every row; a workgroup barrier ends each step.
 * - Forward: h of its rows lives in workgroup memory (two copies, steps k and k + 1), c beside it.
 * - Backward (k = T − 1 … 0): dz of its rows in workgroup memory (two copies, steps k + 1 and k);
 *   dhTot = dH[k] + dz_{k+1}·Uᵀ + keep_{k+1}, then the gate gradients, dc and keep of the step, as
 *   `RecurrentLstmCellGrad` forms them (webgpu.ts). dc and keep of a (row, unit) are read back from
 *   the thread's own output of the step before.
 * U (or Uᵀ) is read from memory each step, once per workgroup, every read serving the n rows — the
 * same traffic as the per-step kernels' 4-row tiles when n = 4. What goes away is T − 1 dispatches
 * and the round trip of each step's state through a record.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { HELPERS, ints, workgroupProgram, type WebGPUBackendLike } from '../gpu/webgpu-program.js';
import { LSTM_SEQ, LSTM_SEQ_GRAD, SEQ_FLOATS_PER_ROW, SEQ_GRAD_FLOATS_PER_ROW, SEQ_WORKGROUP_FLOATS } from './seq-kernel.js';

const THREADS = 64;

/** Batch rows per workgroup: 4 where their workgroup memory fits, else 2, else 1 (`perRow`: the forward's or the backward's floats per row). */
export function seqRows(H: number, perRow = SEQ_FLOATS_PER_ROW): number {
  return [4, 2, 1].find((n) => n * perRow(H) <= SEQ_WORKGROUP_FLOATS) ?? 1;
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

function gradCode(H: number, masked: boolean): string {
  const n = seqRows(H, SEQ_GRAD_FLOATS_PER_ROW);
  // Each thread takes all its units at once (t, t + 64, …): every dz read serves all of them.
  const per = Math.ceil(H / THREADS);
  const units = (line: (p: number) => string) => Array.from({ length: per }, (_, p) => line(p)).join('\n        ');
  const cells = (line: (r: number, p: number) => string) => units((p) => each(n, (r) => line(r, p)));
  return `${HELPERS}
  var<workgroup> rcDz : array<f32, ${2 * n * 4 * H}>;
  fn main(index : i32) {
    let H = uniforms.units;
    let B = uniforms.batch;
    let T = uniforms.step;
    let GH = 4 * H;
    let R = 7 * H;
    let CW = 6 * H;
    let b0 = i32(workgroupId.x) * ${n};
    let t = i32(localId.x);
    ${each(n, (r) => `let bb${r} = min(b0 + ${r}, B - 1);`)}
    ${units((p) => `let j${p} = min(t + ${p * THREADS}, H - 1);`)}
    for (var q = t; q < GH; q += ${THREADS}) {
      ${each(n, (r) => `rcDz[(T % 2) * ${n} * GH + ${r} * GH + q] = carry0[bb${r} * CW + q];`)}
    }
    workgroupBarrier();
    for (var k = T - 1; k >= 0; k--) {
      let cur = ((k + 1) % 2) * ${n} * GH;
      let nxt = (k % 2) * ${n} * GH;
      ${cells((r, p) => `var acc${r}_${p} = 0.0;`)}
      for (var q = 0; q < GH; q++) {
        ${units((p) => `let u${p} = UT[q * H + j${p}];`)}
        ${each(n, (r) => `let d${r} = rcDz[cur + ${r} * GH + q];`)}
        ${cells((r, p) => `acc${r}_${p} += d${r} * u${p};`)}
      }
      ${cells((r, p) => `if (t + ${p * THREADS} < H) { cell(k, b0 + ${r}, bb${r}, j${p}, acc${r}_${p}, nxt + ${r} * GH); }`)}
      workgroupBarrier();
    }
  }
  // Step k of row b (bb: b clamped into the batch) at unit j, from dhU = dz_{k+1}·Uᵀ there; dz
  // goes to the workgroup's copy at \`at\`, the backward record to \`result\` (rows in the batch).
  fn cell(k : i32, b0r : i32, b : i32, j : i32, dhU : f32, at : i32) {
    let H = uniforms.units;
    let B = uniforms.batch;
    let T = uniforms.step;
    let GH = 4 * H;
    let R = 7 * H;
    let CW = 6 * H;
    var dcCarry = carry0[b * CW + GH + j];
    var keep = carry0[b * CW + GH + H + j];
    if (k < T - 1) {
      let p = ((k + 1) * B + b) * CW;
      dcCarry = result[p + GH + j];
      keep = result[p + GH + H + j];
    }
    let dhTot = dhU + dH[(k * B + b) * H + j] + keep;
    var cPrev = state0[b * 2 * H + H + j];
    if (k > 0) { cPrev = records[((k - 1) * B + b) * R + H + j]; }
    let r0 = (k * B + b) * R;
    let cn = records[r0 + 2 * H + j];
    let i = records[r0 + 3 * H + j];
    let f = records[r0 + 4 * H + j];
    let cand = records[r0 + 5 * H + j];
    let o = records[r0 + 6 * H + j];
    let m = ${masked ? 'mask[k * B + b]' : '1.0'};
    let dhN = m * dhTot;
    let tc = rcTanh(cn);
    let dzo = dhN * tc * o * (1.0 - o);
    let dcN = m * dcCarry + dhN * o * (1.0 - tc * tc);
    let dzi = dcN * cand * i * (1.0 - i);
    let dzf = dcN * cPrev * f * (1.0 - f);
    let dzc = dcN * i * (1.0 - cand * cand);
    rcDz[at + j] = dzi;
    rcDz[at + H + j] = dzf;
    rcDz[at + 2 * H + j] = dzc;
    rcDz[at + 3 * H + j] = dzo;
    if (b0r < B) {
      let w = (k * B + b0r) * CW;
      result[w + j] = dzi;
      result[w + H + j] = dzf;
      result[w + 2 * H + j] = dzc;
      result[w + 3 * H + j] = dzo;
      result[w + GH + j] = dcN * f + (1.0 - m) * dcCarry;
      result[w + GH + H + j] = (1.0 - m) * dhTot;
    }
  }`;
}

export const lstmSeqGradWebGPU: tf.KernelConfig = {
  kernelName: LSTM_SEQ_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { masked } = attrs as unknown as { masked: boolean };
    const { records, UT } = inputs as Record<string, tf.TensorInfo>;
    const [T, B] = records!.shape as [number, number, number];
    const H = UT!.shape[1]!;
    const groups = Math.ceil(B / seqRows(H, SEQ_GRAD_FLOATS_PER_ROW));
    const names = ['records', 'state0', 'dH', 'UT', 'carry0', ...(masked ? ['mask'] : [])];
    const p = workgroupProgram(`recurrentLstmSeqGrad${H}${masked ? 'M' : ''}`, names, [T, B, 6 * H], groups, THREADS, gradCode(H, masked));
    // uniforms as UNIFORMS: `step` carries T; the record widths are not read
    return (backend as WebGPUBackendLike).runWebGPUProgram(p, names.map((n) => inputs[n] as tf.TensorInfo), 'float32', ints([T, H, B, 7 * H, 6 * H]));
  },
};
