/**
 * `RecurrentLstmSeq` and `RecurrentLstmSeqGrad` on webgpu (seq-kernel.ts): every time step of a
 * forward pass, or of a backward pass, in one dispatch, as persistent RNNs do.
 * - Forward: the shared template (gpu/webgpu-seq.ts) with the LSTM cell: h and c of each
 *   workgroup's rows in workgroup memory.
 * - Backward (k = T − 1 … 0): each workgroup owns `n` rows, thread t units t, t + 64, … of every
 *   row (all at once: each dz read serves them all); dz of its rows in workgroup memory (two
 *   copies, steps k + 1 and k); dhTot = dH[k] + dz_{k+1}·Uᵀ + keep_{k+1}, then the gate gradients,
 *   dc and keep of the step, as `RecurrentLstmCellGrad` forms them (webgpu.ts). dc and keep of a
 *   (row, unit) are read back from the thread's own output of the step before. A workgroup barrier
 *   ends each step; Uᵀ is read once per workgroup and step.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { gateVec, HELPERS, ints, workgroupProgram, type WebGPUBackendLike } from '../gpu/webgpu-program.js';
import { eachRow, SEQ_THREADS as THREADS, seqForwardKernel, type SeqCell } from '../gpu/webgpu-seq.js';
import { seqRows } from '../seq-kernel.js';
import { LSTM_SEQ, LSTM_SEQ_GRAD, SEQ_GRAD_FLOATS_PER_ROW } from './seq-kernel.js';

/** The LSTM's pieces of the one-dispatch forward (gpu/webgpu-seq.ts): the plain cell, gates i, f, ĉ, o. */
export const LSTM_SEQ_CELL: SeqCell = {
  acc: 'vec4<f32>',
  xpBlocks: 4,
  init: (x) => gateVec('xp', x, 4),
  u: gateVec('U', 'q * 4 * H + j', 4),
  carriesC: true,
  body: `let i = rcSigmoid(acc.x);
          let f = rcSigmoid(acc.y);
          let cand = rcTanh(acc.z);
          let o = rcSigmoid(acc.w);
          let cn = f * cp + i * cand;
          let hn = o * rcTanh(cn);`,
  record: (training) => (training ? ['h', 'c', 'cn', 'i', 'f', 'cand', 'o'] : ['h', 'c']),
};

export const lstmSeqWebGPU = seqForwardKernel(LSTM_SEQ, () => LSTM_SEQ_CELL, () => 'recurrentLstmSeq');

const each = eachRow;

function gradCode(H: number, masked: boolean): string {
  const n = seqRows(SEQ_GRAD_FLOATS_PER_ROW(H));
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
    const groups = Math.ceil(B / seqRows(SEQ_GRAD_FLOATS_PER_ROW(H)));
    const names = ['records', 'state0', 'dH', 'UT', 'carry0', ...(masked ? ['mask'] : [])];
    const p = workgroupProgram(`recurrentLstmSeqGrad${H}${masked ? 'M' : ''}`, names, [T, B, 6 * H], groups, THREADS, gradCode(H, masked));
    // uniforms as UNIFORMS: `step` carries T; the record widths are not read
    return (backend as WebGPUBackendLike).runWebGPUProgram(p, names.map((n) => inputs[n] as tf.TensorInfo), 'float32', ints([T, H, B, 7 * H, 6 * H]));
  },
};
