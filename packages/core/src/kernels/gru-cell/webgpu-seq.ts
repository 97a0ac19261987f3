/**
 * `RecurrentGruSeq` and `RecurrentGruRbSeq` on webgpu (seq-kernel.ts): a GRU's forward, every step
 * in one dispatch.
 * - Reset-after: the shared templates (gpu/webgpu-seq.ts): forward h of each workgroup's rows in
 *   workgroup memory, per unit h·U for z, r and hh, then the cell as webgpu.ts forms it; backward
 *   [da_z, da_r, dhh] there, the step's gradients as `RecurrentGruCellGrad` (webgpu.ts).
 * - Reset-before: the candidate's product (r ⊙ h)·U_h needs r of every unit, so each step has two
 *   phases, as the per-step kernels (webgpu.ts). Forward: z and r ⊙ h of every unit into
 *   workgroup memory, a barrier, then the candidate and h; h itself in workgroup memory (two
 *   copies, steps k and k + 1) for the whole sequence. Backward: dhTot (from [da_z, da_r] of step
 *   k + 1, two copies in workgroup memory) and da_h of every unit, a barrier, then dq = da_h·U_hᵀ,
 *   da_r and e; e of a (row, unit) is read back from the thread's own output of the step before.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { gateVec, HELPERS, ints, workgroupProgram, type WebGPUBackendLike } from '../gpu/webgpu-program.js';
import { eachRow, SEQ_THREADS, seqBackwardKernel, seqForwardKernel, seqMainStart, type SeqCell, type SeqGradCell } from '../gpu/webgpu-seq.js';
import { seqRows } from '../seq-kernel.js';
import { GRU_RB_SEQ, GRU_RB_SEQ_FLOATS_PER_ROW, GRU_RB_SEQ_GRAD, GRU_RB_SEQ_GRAD_FLOATS_PER_ROW, GRU_SEQ, GRU_SEQ_GRAD } from './seq-kernel.js';
import { GRU_GATE_GRADS_WGSL, GRU_GRAD_FIELDS, GRU_RECORD, gruGatesWgsl } from './webgpu.js';

export const GRU_SEQ_CELL: SeqCell = {
  acc: 'vec3<f32>',
  xpBlocks: 4,
  init: () => 'vec3<f32>(0.0)',
  u: gateVec('U', 'q * 3 * H + j', 3),
  carriesC: false,
  body: gruGatesWgsl('acc', 'x'),
  record: (training) => (training ? GRU_RECORD : ['h']),
};

export const gruSeqWebGPU = seqForwardKernel(GRU_SEQ, () => GRU_SEQ_CELL, () => 'recurrentGruSeq');

export const GRU_SEQ_GRAD_CELL: SeqGradCell = {
  carryBlocks: 5,
  dzBlocks: 3,
  keepBlock: 3,
  carried: {},
  recordBlocks: 5,
  readsPrev: true,
  stateBlocks: 1,
  body: `let hp = rcPrev(k, b, j);
    ${GRU_GATE_GRADS_WGSL}`,
  fields: GRU_GRAD_FIELDS,
};

export const gruSeqGradWebGPU = seqBackwardKernel(GRU_SEQ_GRAD, () => GRU_SEQ_GRAD_CELL, () => 'recurrentGruSeqGrad');

const each = eachRow;

function rbCode(H: number, masked: boolean, training: boolean): string {
  const n = seqRows(GRU_RB_SEQ_FLOATS_PER_ROW(H));
  const R = training ? 4 * H : H;
  return `${HELPERS}
  var<workgroup> rcH : array<f32, ${2 * n * H}>;
  var<workgroup> rcQ : array<f32, ${n * H}>;
  var<workgroup> rcZ : array<f32, ${n * H}>;
  fn main(index : i32) {
    ${seqMainStart(n)}
    for (var j = t; j < H; j += ${SEQ_THREADS}) {
      ${each(n, (r) => `rcH[${r} * H + j] = state0[bb${r} * H + j];`)}
    }
    workgroupBarrier();
    for (var k = 0; k < T; k++) {
      let cur = (k % 2) * ${n} * H;
      let nxt = ((k + 1) % 2) * ${n} * H;
      for (var j = t; j < H; j += ${SEQ_THREADS}) {
        ${each(n, (r) => `let x${r} = (k * B + bb${r}) * 3 * H + j;
        var acc${r} = vec2<f32>(xp[x${r}], xp[x${r} + H]);`)}
        for (var q = 0; q < H; q++) {
          let u = vec2<f32>(U[q * 3 * H + j], U[q * 3 * H + H + j]);
          ${each(n, (r) => `acc${r} += rcH[cur + ${r} * H + q] * u;`)}
        }
        ${each(n, (r) => `{
          let z = rcSigmoid(acc${r}.x);
          let rr = rcSigmoid(acc${r}.y);
          rcZ[${r} * H + j] = z;
          rcQ[${r} * H + j] = rr * rcH[cur + ${r} * H + j];${training ? `
          if (b0 + ${r} < B) {
            let w = (k * B + b0 + ${r}) * ${R};
            result[w + H + j] = z;
            result[w + 2 * H + j] = rr;
          }` : ''}
        }`)}
      }
      workgroupBarrier();
      for (var j = t; j < H; j += ${SEQ_THREADS}) {
        ${each(n, (r) => `var a${r} = xp[(k * B + bb${r}) * 3 * H + 2 * H + j];`)}
        for (var q = 0; q < H; q++) {
          let u = U[q * 3 * H + 2 * H + j];
          ${each(n, (r) => `a${r} += rcQ[${r} * H + q] * u;`)}
        }
        ${each(n, (r) => `{
          let cand = rcTanh(a${r});
          let hp = rcH[cur + ${r} * H + j];
          let z = rcZ[${r} * H + j];
          let hn = z * hp + (1.0 - z) * cand;
          let h = ${masked ? `hp + mask[k * B + bb${r}] * (hn - hp)` : 'hn'};
          rcH[nxt + ${r} * H + j] = h;
          if (b0 + ${r} < B) {
            let w = (k * B + b0 + ${r}) * ${R};
            result[w + j] = h;${training ? `
            result[w + 3 * H + j] = cand;` : ''}
          }
        }`)}
      }
      workgroupBarrier();
    }
  }`;
}

export const gruRbSeqWebGPU: tf.KernelConfig = {
  kernelName: GRU_RB_SEQ,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { masked, training } = attrs as unknown as { masked: boolean; training: boolean };
    const { xp, U } = inputs as Record<string, tf.TensorInfo>;
    const [T, B] = xp!.shape as [number, number, number];
    const H = U!.shape[0]!;
    const groups = Math.ceil(B / seqRows(GRU_RB_SEQ_FLOATS_PER_ROW(H)));
    const names = ['xp', 'U', 'state0', ...(masked ? ['mask'] : [])];
    const R = training ? 4 * H : H;
    const p = workgroupProgram(`recurrentGruRbSeq${H}${masked ? 'M' : ''}${training ? 'T' : ''}`, names, [T, B, R], groups, SEQ_THREADS, rbCode(H, masked, training));
    // uniforms as UNIFORMS: `step` carries T; the record widths are not read
    return (backend as WebGPUBackendLike).runWebGPUProgram(p, names.map((n) => inputs[n] as tf.TensorInfo), 'float32', ints([T, H, B, R, R]));
  },
};

function rbGradCode(H: number, masked: boolean): string {
  const n = seqRows(GRU_RB_SEQ_GRAD_FLOATS_PER_ROW(H));
  const m = (r: number) => (masked ? `mask[k * B + bb${r}]` : '1.0');
  return `${HELPERS}
  var<workgroup> rcDzr : array<f32, ${2 * n * 2 * H}>;
  var<workgroup> rcDah : array<f32, ${n * H}>;
  var<workgroup> rcDh : array<f32, ${n * H}>;
  fn rcPrev(k : i32, b : i32, j : i32) -> f32 {
    let H = uniforms.units;
    if (k == 0) { return state0[b * H + j]; }
    return records[((k - 1) * uniforms.batch + b) * 4 * H + j];
  }
  fn main(index : i32) {
    ${seqMainStart(n)}
    for (var q = t; q < 2 * H; q += ${SEQ_THREADS}) {
      ${each(n, (r) => `rcDzr[(T % 2) * ${n} * 2 * H + ${r} * 2 * H + q] = carry0[bb${r} * 4 * H + q];`)}
    }
    workgroupBarrier();
    for (var k = T - 1; k >= 0; k--) {
      let cur = ((k + 1) % 2) * ${n} * 2 * H;
      let nxt = (k % 2) * ${n} * 2 * H;
      for (var j = t; j < H; j += ${SEQ_THREADS}) {
        ${each(n, (r) => `var e${r} = carry0[bb${r} * 4 * H + 2 * H + j];
        if (k < T - 1) { e${r} = result[((k + 1) * B + bb${r}) * 4 * H + 2 * H + j]; }
        var dh${r} = dH[(k * B + bb${r}) * H + j] + e${r};`)}
        for (var q = 0; q < 2 * H; q++) {
          let u = UT[q * H + j];
          ${each(n, (r) => `dh${r} += rcDzr[cur + ${r} * 2 * H + q] * u;`)}
        }
        ${each(n, (r) => `{
          let r0 = (k * B + bb${r}) * 4 * H;
          let z = records[r0 + H + j];
          let cand = records[r0 + 3 * H + j];
          let dhN = ${m(r)} * dh${r};
          let dah = dhN * (1.0 - z) * (1.0 - cand * cand);
          let daz = dhN * (rcPrev(k, bb${r}, j) - cand) * z * (1.0 - z);
          rcDah[${r} * H + j] = dah;
          rcDh[${r} * H + j] = dh${r};
          rcDzr[nxt + ${r} * 2 * H + j] = daz;
          if (b0 + ${r} < B) {
            let w = (k * B + b0 + ${r}) * 4 * H;
            result[w + j] = daz;
            result[w + 3 * H + j] = dah;
          }
        }`)}
      }
      workgroupBarrier();
      for (var j = t; j < H; j += ${SEQ_THREADS}) {
        ${each(n, (r) => `var dq${r} = 0.0;`)}
        for (var q = 0; q < H; q++) {
          let u = UT[(2 * H + q) * H + j];
          ${each(n, (r) => `dq${r} += rcDah[${r} * H + q] * u;`)}
        }
        ${each(n, (r) => `{
          let r0 = (k * B + bb${r}) * 4 * H;
          let z = records[r0 + H + j];
          let rr = records[r0 + 2 * H + j];
          let dhTot = rcDh[${r} * H + j];
          let m = ${m(r)};
          let dar = dq${r} * rcPrev(k, bb${r}, j) * rr * (1.0 - rr);
          rcDzr[nxt + ${r} * 2 * H + H + j] = dar;
          if (b0 + ${r} < B) {
            let w = (k * B + b0 + ${r}) * 4 * H;
            result[w + H + j] = dar;
            result[w + 2 * H + j] = dq${r} * rr + m * dhTot * z + (1.0 - m) * dhTot;
          }
        }`)}
      }
      workgroupBarrier();
    }
  }`;
}

export const gruRbSeqGradWebGPU: tf.KernelConfig = {
  kernelName: GRU_RB_SEQ_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { masked } = attrs as unknown as { masked: boolean };
    const { records, UT } = inputs as Record<string, tf.TensorInfo>;
    const [T, B] = records!.shape as [number, number, number];
    const H = UT!.shape[1]!;
    const groups = Math.ceil(B / seqRows(GRU_RB_SEQ_GRAD_FLOATS_PER_ROW(H)));
    const names = ['records', 'state0', 'dH', 'UT', 'carry0', ...(masked ? ['mask'] : [])];
    const p = workgroupProgram(`recurrentGruRbSeqGrad${H}${masked ? 'M' : ''}`, names, [T, B, 4 * H], groups, SEQ_THREADS, rbGradCode(H, masked));
    // uniforms as UNIFORMS: `step` carries T; the record widths are not read
    return (backend as WebGPUBackendLike).runWebGPUProgram(p, names.map((n) => inputs[n] as tf.TensorInfo), 'float32', ints([T, H, B, 4 * H, 4 * H]));
  },
};
