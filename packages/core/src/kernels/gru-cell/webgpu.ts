/**
 * `RecurrentGruCell` and `RecurrentGruCellGrad` (reset-after) on webgpu: one WGSL dispatch per
 * step each — see kernel.ts for the contract. Forward: thread (4 rows, unit j) forms h·U's three
 * gate columns of unit j (one U read per gate serves 4 rows), then the gates and the state;
 * backward: thread (4 rows, 4 units) forms [da_z, da_r, dhh]_{k+1}·Uᵀ, then the step's gradients.
 *
 * Reset-before (`RecurrentGruRbCell`, `…Grad`): one workgroup per batch row, two phases split by
 * a workgroup barrier — forward z, r and q = r ⊙ h for all units into workgroup memory, then
 * ĥ from q·U_h; backward dhTot and da_h for all units, then dq = da_h·U_hᵀ. Still one dispatch per
 * step; a workgroup of 64 threads takes 4 batch rows (1 above H = 512, for workgroup memory),
 * so each U read serves 4 rows; H ≤ 2048.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { backwardMain, backwardThreads, cellFn, forwardMain, gateVec, HELPERS, prevState, program, ROWS, runStep, workgroupProgram } from '../gpu/webgpu-program.js';
import { stepSizes } from '../cell-kernel.js';
import { GRU_CELL, GRU_CELL_GRAD, GRU_RB_CELL, GRU_RB_CELL_GRAD, type GruCellAttrs, type GruCellGradAttrs } from './kernel.js';

/** The training record's fields, in order (kernel.ts). */
export const GRU_RECORD = ['h', 'z', 'r', 'cand', 'hh'];

/** The backward record's fields da_z | da_r | dhh | keep | da_h, from {@link gruGateGradsWgsl}'s values. */
export const GRU_GRAD_FIELDS = ['dhN * (hp - cand) * z * (1.0 - z)', 'dah * hh * r * (1.0 - r)', 'dah * r', 'dhN * z + (1.0 - m) * dhTot', 'dah'];

/**
 * WGSL, also for the one-dispatch kernel (webgpu-seq.ts): from `acc` (h·U of unit j: lanes z, r,
 * hh), unit j's offset `x` in its xp row and `hp`, defines z, r, hh, cand and hn (before the mask).
 */
export function gruGatesWgsl(acc: string, x: string): string {
  return `let z = rcSigmoid(xp[${x}] + ${acc}.x);
    let r = rcSigmoid(xp[${x} + H] + ${acc}.y);
    let hh = ${acc}.z + xp[${x} + 3 * H];
    let cand = rcTanh(xp[${x} + 2 * H] + r * hh);
    let hn = z * hp + (1.0 - z) * cand;`;
}

/** WGSL, also for the one-dispatch kernel: from the training record at `r0`, `hp`, `dhTot` and `m`, defines what {@link GRU_GRAD_FIELDS} reads. */
export const GRU_GATE_GRADS_WGSL = `let z = records[r0 + H + j];
    let r = records[r0 + 2 * H + j];
    let cand = records[r0 + 3 * H + j];
    let hh = records[r0 + 4 * H + j];
    let dhN = m * dhTot;
    let dah = dhN * (1.0 - z) * (1.0 - cand * cand);`;

function forwardCode(a: GruCellAttrs): string {
  return `${HELPERS}
  ${forwardMain('4 * H', () => 'vec3<f32>(0.0)', gateVec('U', 'n * 3 * H + j', 3))}
  ${cellFn('hU : vec3<f32>', `
    let hp = state[b * uniforms.inWidth + j];
    ${gruGatesWgsl('hU', '(k * B + b) * 4 * H + j')}
    ${a.masked ? 'let h = hp + mask[k * B + b] * (hn - hp);' : 'let h = hn;'}
    let r0 = b * uniforms.outWidth;
    ${(a.training ? GRU_RECORD : ['h']).map((v, f) => `result[r0 + ${f} * H + j] = ${v};`).join('\n    ')}`)}`;
}

function backwardCode(a: GruCellGradAttrs): string {
  return `${HELPERS}
  ${prevState('uniforms.units')}
  ${backwardMain('3 * H')}
  ${cellFn('dhU : f32', `
    let q0 = b * uniforms.outWidth;
    let dhTot = dhU + dH[(k * B + b) * H + j] + carry[q0 + 3 * H + j];
    let r0 = (k * B + b) * uniforms.inWidth;
    let hp = rcPrev(b, j);
    let m = ${a.masked ? 'mask[k * B + b]' : '1.0'};
    ${GRU_GATE_GRADS_WGSL}
    ${GRU_GRAD_FIELDS.map((v, f) => `result[q0 + ${f} * H + j] = ${v};`).join('\n    ')}`)}`;
}

export const gruCellWebGPU: tf.KernelConfig = {
  kernelName: GRU_CELL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as GruCellAttrs;
    const { H, B } = stepSizes(inputs);
    const R = a.training ? 5 * H : H;
    const names = ['xp', 'U', 'state', ...(a.masked ? ['mask'] : [])];
    const p = program(`recurrentGruCell${a.masked ? 'M' : ''}${a.training ? 'T' : ''}`, names, [1, B, R], Math.ceil(B / ROWS) * H, forwardCode(a));
    return runStep(backend, p, inputs, a.step);
  },
};

export const gruCellGradWebGPU: tf.KernelConfig = {
  kernelName: GRU_CELL_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as GruCellGradAttrs;
    const { H, B } = stepSizes(inputs);
    const names = ['records', 'state0', 'dH', 'UT', 'carry', ...(a.masked ? ['mask'] : [])];
    const p = program(`recurrentGruCellGrad${a.masked ? 'M' : ''}`, names, [1, B, 5 * H], backwardThreads(B, H), backwardCode(a));
    return runStep(backend, p, inputs, a.step);
  },
};

// ── Reset-before: one workgroup per group of batch rows, two phases with a barrier (kernel.ts) ──

const RB_THREADS = 64;

/** Batch rows per workgroup: 4 while their two H-wide workgroup arrays fit 16 KiB (H ≤ 512), else 1. */
const rbRows = (H: number) => (H <= 512 ? 4 : 1);
const each = (n: number, line: (r: number) => string) => Array.from({ length: n }, (_, r) => line(r)).join('\n      ');


function rbForwardCode(a: GruCellAttrs, H: number): string {
  const n = rbRows(H);
  return `${HELPERS}
  var<workgroup> rcQ : array<f32, ${n * H}>;
  var<workgroup> rcZ : array<f32, ${n * H}>;
  fn main(index : i32) {
    let H = uniforms.units;
    let B = uniforms.batch;
    let k = uniforms.step;
    let b0 = i32(workgroupId.x) * ${n};
    let t = i32(localId.x);
    ${each(n, (r) => `let s${r} = min(b0 + ${r}, B - 1) * uniforms.inWidth;
    let x${r} = (k * B + min(b0 + ${r}, B - 1)) * 3 * H;
    let o${r} = (b0 + ${r}) * uniforms.outWidth;`)}
    for (var j = t; j < H; j += ${RB_THREADS}) {
      ${each(n, (r) => `var acc${r} = vec2<f32>(xp[x${r} + j], xp[x${r} + H + j]);`)}
      for (var n = 0; n < H; n++) {
        let u = vec2<f32>(U[n * 3 * H + j], U[n * 3 * H + H + j]);
        ${each(n, (r) => `acc${r} += state[s${r} + n] * u;`)}
      }
      ${each(n, (r) => `rcZ[${r} * H + j] = rcSigmoid(acc${r}.x);
      rcQ[${r} * H + j] = rcSigmoid(acc${r}.y) * state[s${r} + j];
      ${a.training ? `if (b0 + ${r} < B) { result[o${r} + H + j] = rcZ[${r} * H + j]; result[o${r} + 2 * H + j] = rcSigmoid(acc${r}.y); }` : ''}`)}
    }
    workgroupBarrier();
    for (var j = t; j < H; j += ${RB_THREADS}) {
      ${each(n, (r) => `var a${r} = xp[x${r} + 2 * H + j];`)}
      for (var n = 0; n < H; n++) {
        let u = U[n * 3 * H + 2 * H + j];
        ${each(n, (r) => `a${r} += rcQ[${r} * H + n] * u;`)}
      }
      ${each(n, (r) => `if (b0 + ${r} < B) {
        let cand = rcTanh(a${r});
        let hp = state[s${r} + j];
        let z = rcZ[${r} * H + j];
        let hn = z * hp + (1.0 - z) * cand;
        ${a.masked ? `result[o${r} + j] = hp + mask[k * B + b0 + ${r}] * (hn - hp);` : `result[o${r} + j] = hn;`}
        ${a.training ? `result[o${r} + 3 * H + j] = cand;` : ''}
      }`)}
    }
  }`;
}

function rbBackwardCode(a: GruCellGradAttrs, H: number): string {
  const n = rbRows(H);
  return `${HELPERS}
  var<workgroup> rcDah : array<f32, ${n * H}>;
  var<workgroup> rcDh : array<f32, ${n * H}>;
  ${prevState('uniforms.units')}
  fn main(index : i32) {
    let H = uniforms.units;
    let B = uniforms.batch;
    let k = uniforms.step;
    let R = uniforms.inWidth;
    let b0 = i32(workgroupId.x) * ${n};
    let t = i32(localId.x);
    ${each(n, (r) => `let bb${r} = min(b0 + ${r}, B - 1);
    let q${r} = bb${r} * uniforms.outWidth;
    let r${r} = (k * B + bb${r}) * R;
    let m${r} = ${a.masked ? `mask[k * B + bb${r}]` : '1.0'};`)}
    for (var j = t; j < H; j += ${RB_THREADS}) {
      ${each(n, (r) => `var dh${r} = dH[(k * B + bb${r}) * H + j] + carry[q${r} + 2 * H + j];`)}
      for (var n = 0; n < 2 * H; n++) {
        let u = UT[n * H + j];
        ${each(n, (r) => `dh${r} += carry[q${r} + n] * u;`)}
      }
      ${each(n, (r) => `{
        let z = records[r${r} + H + j];
        let cand = records[r${r} + 3 * H + j];
        let dhN = m${r} * dh${r};
        let dah = dhN * (1.0 - z) * (1.0 - cand * cand);
        rcDah[${r} * H + j] = dah;
        rcDh[${r} * H + j] = dh${r};
        if (b0 + ${r} < B) {
          result[q${r} + j] = dhN * (rcPrev(bb${r}, j) - cand) * z * (1.0 - z);
          result[q${r} + 3 * H + j] = dah;
        }
      }`)}
    }
    workgroupBarrier();
    for (var j = t; j < H; j += ${RB_THREADS}) {
      ${each(n, (r) => `var dq${r} = 0.0;`)}
      for (var n = 0; n < H; n++) {
        let u = UT[(2 * H + n) * H + j];
        ${each(n, (r) => `dq${r} += rcDah[${r} * H + n] * u;`)}
      }
      ${each(n, (r) => `if (b0 + ${r} < B) {
        let z = records[r${r} + H + j];
        let rr = records[r${r} + 2 * H + j];
        let dhTot = rcDh[${r} * H + j];
        result[q${r} + H + j] = dq${r} * rcPrev(bb${r}, j) * rr * (1.0 - rr);
        result[q${r} + 2 * H + j] = dq${r} * rr + m${r} * dhTot * z + (1.0 - m${r}) * dhTot;
      }`)}
    }
  }`;
}

export const gruRbCellWebGPU: tf.KernelConfig = {
  kernelName: GRU_RB_CELL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as GruCellAttrs;
    const { H, B } = stepSizes(inputs);
    const R = a.training ? 4 * H : H;
    const names = ['xp', 'U', 'state', ...(a.masked ? ['mask'] : [])];
    const p = workgroupProgram(`recurrentGruRbCell${H}${a.masked ? 'M' : ''}${a.training ? 'T' : ''}`, names, [1, B, R], Math.ceil(B / rbRows(H)), RB_THREADS, rbForwardCode(a, H));
    return runStep(backend, p, inputs, a.step);
  },
};

export const gruRbCellGradWebGPU: tf.KernelConfig = {
  kernelName: GRU_RB_CELL_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as GruCellGradAttrs;
    const { H, B } = stepSizes(inputs);
    const names = ['records', 'state0', 'dH', 'UT', 'carry', ...(a.masked ? ['mask'] : [])];
    const p = workgroupProgram(`recurrentGruRbCellGrad${H}${a.masked ? 'M' : ''}`, names, [1, B, 4 * H], Math.ceil(B / rbRows(H)), RB_THREADS, rbBackwardCode(a, H));
    return runStep(backend, p, inputs, a.step);
  },
};
