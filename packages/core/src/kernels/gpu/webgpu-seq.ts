/**
 * The one-dispatch forward on webgpu (seq-kernel.ts), written once for every cell: all T steps of
 * a sequence in one dispatch, as persistent RNNs do. Batch rows are independent, so each workgroup
 * owns `n` rows for the whole sequence: h of its rows lives in workgroup memory (two copies, steps
 * k and k + 1), c beside it where the cell carries one; thread t takes units t, t + 64, … of every
 * row; a workgroup barrier ends each step. U is read from memory each step, once per workgroup,
 * every read serving the n rows — the same traffic as the per-step kernels' 4-row tiles when n = 4.
 * What goes away is T − 1 dispatches and the round trip of each step's state through a record.
 *
 * A cell ({@link SeqCell}) gives the per-unit pieces: the accumulator's start from xp, U's values
 * for its unit, the new state before the mask (`hn`, and `cn`), and the record's fields.
 *
 * The one-dispatch backward ({@link seqBackwardKernel}) runs k = T − 1 … 0 the same way: each
 * workgroup owns `n` rows, thread t units t, t + 64, … of every row, all at once (each read of
 * dz serves them all); the part dz of each step's backward record that multiplies Uᵀ lives in
 * workgroup memory (two copies, steps k + 1 and k); dhTot = dH[k] + dz_{k+1}·Uᵀ + keep_{k+1},
 * then the cell ({@link SeqGradCell}) forms the step's backward record, as its per-step kernel
 * does. What else a (row, unit) carries (keep, LSTM's dc) is read back from the thread's own
 * output of the step before.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { seqRows } from '../seq-kernel.js';
import { HELPERS, ints, workgroupProgram, type WebGPUBackendLike } from './webgpu-program.js';

export const SEQ_THREADS = 64;

export interface SeqCell {
  /** The WGSL type of the accumulator: f32, or vecN<f32> with a lane per gate. */
  acc: string;
  /** xp's row width in blocks of H. */
  xpBlocks: number;
  /** The accumulator's start, `x` being unit j's offset in its xp row. */
  init: (x: string) => string;
  /** U's values for unit j at row q (the accumulator's type). */
  u: string;
  /** Whether the cell carries c beside h (its state0 and records then start h | c). */
  carriesC: boolean;
  /** WGSL statements from `acc`, `hp` (`cp`) and `x` that define `hn` (and `cn`): the new state before the mask. */
  body: string;
  /** The record's fields, as expressions of h (c, after the mask) and the body's values: inference and training. */
  record: (training: boolean) => string[];
  /** Inputs the body reads besides xp, U, state0 and the mask (LSTM: `peephole`). */
  inputs?: string[];
}

/** Floats of workgroup memory per batch row: h twice, and c. */
export const seqFloatsPerRow = (cell: Pick<SeqCell, 'carriesC'>, H: number) => (cell.carriesC ? 3 : 2) * H;

/** `line(r)` for each of a workgroup's n rows, joined: the unrolled per-row code of the seq kernels. */
export const eachRow = (n: number, line: (r: number) => string) => Array.from({ length: n }, (_, r) => line(r)).join('\n        ');
const each = eachRow;

/** The start of a seq kernel's `main`: H, B, T (the step count), the workgroup's first row b0, the thread t, and the n rows clamped into the batch (bb0, bb1, …). */
export function seqMainStart(n: number): string {
  return `let H = uniforms.units;
    let B = uniforms.batch;
    let T = uniforms.step;
    let b0 = i32(workgroupId.x) * ${n};
    let t = i32(localId.x);
    ${each(n, (r) => `let bb${r} = min(b0 + ${r}, B - 1);`)}`;
}

function forwardCode(cell: SeqCell, H: number, masked: boolean, training: boolean): string {
  const n = seqRows(seqFloatsPerRow(cell, H));
  const fields = cell.record(training);
  const S = cell.carriesC ? 2 : 1;
  return `${HELPERS}
  var<workgroup> rcH : array<f32, ${2 * n * H}>;
  ${cell.carriesC ? `var<workgroup> rcC : array<f32, ${n * H}>;` : ''}
  fn main(index : i32) {
    ${seqMainStart(n)}
    for (var j = t; j < H; j += ${SEQ_THREADS}) {
      ${each(n, (r) => `rcH[${r} * H + j] = state0[bb${r} * ${S} * H + j];${cell.carriesC ? `
      rcC[${r} * H + j] = state0[bb${r} * 2 * H + H + j];` : ''}`)}
    }
    workgroupBarrier();
    for (var k = 0; k < T; k++) {
      let cur = (k % 2) * ${n} * H;
      let nxt = ((k + 1) % 2) * ${n} * H;
      for (var j = t; j < H; j += ${SEQ_THREADS}) {
        ${each(n, (r) => `let x${r} = (k * B + bb${r}) * ${cell.xpBlocks} * H + j;
        var acc${r} : ${cell.acc} = ${cell.init(`x${r}`)};`)}
        for (var q = 0; q < H; q++) {
          let u = ${cell.u};
          ${each(n, (r) => `acc${r} += rcH[cur + ${r} * H + q] * u;`)}
        }
        ${each(n, (r) => `{
          let acc = acc${r};
          let x = x${r};
          let hp = rcH[cur + ${r} * H + j];
          ${cell.carriesC ? `let cp = rcC[${r} * H + j];` : ''}
          ${cell.body.trim()}
          ${masked ? `let m = mask[k * B + bb${r}];
          let h = hp + m * (hn - hp);${cell.carriesC ? `
          let c = cp + m * (cn - cp);` : ''}` : `let h = hn;${cell.carriesC ? `
          let c = cn;` : ''}`}
          rcH[nxt + ${r} * H + j] = h;
          ${cell.carriesC ? `rcC[${r} * H + j] = c;` : ''}
          if (b0 + ${r} < B) {
            let w = (k * B + b0 + ${r}) * ${fields.length * H};
            ${fields.map((e, f) => `result[w + ${f} * H + j] = ${e};`).join('\n            ')}
          }
        }`)}
      }
      workgroupBarrier();
    }
  }`;
}

/**
 * The forward sequence kernel of a cell on webgpu: inputs `xp` [T, B, xpBlocks·H], `U` [H, ·],
 * `state0` [1, B, H or 2H], `mask` with `masked`; output the records [T, B, fields·H]. `cellOf`
 * gives the cell for the kernel's attrs; `key` names the program (with what changes its code).
 */
export function seqForwardKernel(kernelName: string, cellOf: (attrs: tf.NamedAttrMap) => SeqCell, key: (attrs: tf.NamedAttrMap) => string): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { masked, training } = attrs as unknown as { masked: boolean; training: boolean };
      const cell = cellOf(attrs ?? {});
      const { xp, U } = inputs as Record<string, tf.TensorInfo>;
      const [T, B] = xp!.shape as [number, number, number];
      const H = U!.shape[0]!;
      const groups = Math.ceil(B / seqRows(seqFloatsPerRow(cell, H)));
      const names = ['xp', 'U', 'state0', ...(masked ? ['mask'] : []), ...(cell.inputs ?? [])];
      const R = cell.record(training).length * H;
      const p = workgroupProgram(`${key(attrs ?? {})}${H}${masked ? 'M' : ''}${training ? 'T' : ''}`, names, [T, B, R], groups, SEQ_THREADS, forwardCode(cell, H, masked, training));
      // uniforms as UNIFORMS: `step` carries T; the record widths are not read
      return (backend as WebGPUBackendLike).runWebGPUProgram(p, names.map((n) => inputs[n] as tf.TensorInfo), 'float32', ints([T, H, B, R, R]));
    },
  };
}

/** What a cell gives the one-dispatch backward ({@link seqBackwardKernel}), per unit j of row b at step k. */
export interface SeqGradCell {
  /** The backward record's width, and that of its leading part dz (what multiplies Uᵀ), in blocks of H. */
  carryBlocks: number;
  dzBlocks: number;
  /** The block of `keep` (added to dhTot), and other blocks read back from step k + 1, by WGSL name. */
  keepBlock: number;
  carried: Record<string, number>;
  /** The forward record's width in blocks of H, and whether the cell reads the state before the step (`state0` an input, then `rcPrev(k, b, col)`). */
  recordBlocks: number;
  readsPrev: boolean;
  /** The width of a row of `state0` in blocks of H. */
  stateBlocks: number;
  /** WGSL statements from dhTot, m, r0 (row b's offset in `records` at step k) and the carried names. */
  body: string;
  /** The backward record's fields, block by block (dz first): expressions of the body's values. */
  fields: string[];
  /** Inputs the body reads besides those of the kernel (LSTM: `peephole`). */
  inputs?: string[];
}

function backwardCode(cell: SeqGradCell, H: number, masked: boolean): string {
  const n = seqRows(2 * cell.dzBlocks * H);
  // Each thread takes all its units at once (t, t + 64, …): every dz read serves all of them.
  const per = Math.ceil(H / SEQ_THREADS);
  const units = (line: (p: number) => string) => Array.from({ length: per }, (_, p) => line(p)).join('\n      ');
  const cells = (line: (r: number, p: number) => string) => units((p) => each(n, (r) => line(r, p)));
  const carried = { keep: cell.keepBlock, ...cell.carried };
  return `${HELPERS}
  var<workgroup> rcDz : array<f32, ${2 * n * cell.dzBlocks * H}>;
  ${cell.readsPrev ? `fn rcPrev(k : i32, b : i32, col : i32) -> f32 {
    let H = uniforms.units;
    if (k == 0) { return state0[b * ${cell.stateBlocks} * H + col]; }
    return records[((k - 1) * uniforms.batch + b) * ${cell.recordBlocks} * H + col];
  }` : ''}
  fn main(index : i32) {
    ${seqMainStart(n)}
    let DZ = ${cell.dzBlocks} * H;
    let CW = ${cell.carryBlocks} * H;
    ${units((p) => `let j${p} = min(t + ${p * SEQ_THREADS}, H - 1);`)}
    for (var q = t; q < DZ; q += ${SEQ_THREADS}) {
      ${each(n, (r) => `rcDz[(T % 2) * ${n} * DZ + ${r} * DZ + q] = carry0[bb${r} * CW + q];`)}
    }
    workgroupBarrier();
    for (var k = T - 1; k >= 0; k--) {
      let cur = ((k + 1) % 2) * ${n} * DZ;
      let nxt = (k % 2) * ${n} * DZ;
      ${cells((r, p) => `var acc${r}_${p} = 0.0;`)}
      for (var q = 0; q < DZ; q++) {
        ${units((p) => `let u${p} = UT[q * H + j${p}];`)}
        ${each(n, (r) => `let d${r} = rcDz[cur + ${r} * DZ + q];`)}
        ${cells((r, p) => `acc${r}_${p} += d${r} * u${p};`)}
      }
      ${cells((r, p) => `if (t + ${p * SEQ_THREADS} < H) { cell(k, b0 + ${r}, bb${r}, j${p}, acc${r}_${p}, nxt + ${r} * DZ); }`)}
      workgroupBarrier();
    }
  }
  // Step k of row b (bb: b clamped into the batch) at unit j, from dhU = dz_{k+1}·Uᵀ there: dz to
  // the workgroup's copy at \`at\`, the backward record to \`result\` (rows in the batch only).
  fn cell(k : i32, b0r : i32, b : i32, j : i32, dhU : f32, at : i32) {
    let H = uniforms.units;
    let B = uniforms.batch;
    let T = uniforms.step;
    let CW = ${cell.carryBlocks} * H;
    ${Object.entries(carried).map(([name, block]) => `var ${name} = carry0[b * CW + ${block} * H + j];`).join('\n    ')}
    if (k < T - 1) {
      let p = ((k + 1) * B + b) * CW;
      ${Object.entries(carried).map(([name, block]) => `${name} = result[p + ${block} * H + j];`).join('\n      ')}
    }
    let dhTot = dhU + dH[(k * B + b) * H + j] + keep;
    let m = ${masked ? 'mask[k * B + b]' : '1.0'};
    let r0 = (k * B + b) * ${cell.recordBlocks} * H;
    ${cell.body.trim()}
    ${cell.fields.slice(0, cell.dzBlocks).map((e, f) => `rcDz[at + ${f} * H + j] = ${e};`).join('\n    ')}
    if (b0r < B) {
      let w = (k * B + b0r) * CW;
      ${cell.fields.map((e, f) => `result[w + ${f} * H + j] = ${e};`).join('\n      ')}
    }
  }`;
}

/**
 * The backward sequence kernel of a cell on webgpu: inputs `records` [T, B, recordBlocks·H]
 * (training records), `state0` (where the cell reads the state before a step), `dH` [T, B, H],
 * `UT` [dzBlocks·H, H] = Uᵀ, `carry0` [1, B, carryBlocks·H] (the backward record "of step T"),
 * `mask` with `masked`; output the backward records [T, B, carryBlocks·H] of every step.
 */
export function seqBackwardKernel(kernelName: string, cellOf: (attrs: tf.NamedAttrMap) => SeqGradCell, key: (attrs: tf.NamedAttrMap) => string): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { masked } = attrs as unknown as { masked: boolean };
      const cell = cellOf(attrs ?? {});
      const { records, UT } = inputs as Record<string, tf.TensorInfo>;
      const [T, B] = records!.shape as [number, number, number];
      const H = UT!.shape[1]!;
      const groups = Math.ceil(B / seqRows(2 * cell.dzBlocks * H));
      const names = ['records', ...(cell.readsPrev ? ['state0'] : []), 'dH', 'UT', 'carry0', ...(masked ? ['mask'] : []), ...(cell.inputs ?? [])];
      const CW = cell.carryBlocks * H;
      const p = workgroupProgram(`${key(attrs ?? {})}${H}${masked ? 'M' : ''}`, names, [T, B, CW], groups, SEQ_THREADS, backwardCode(cell, H, masked));
      // uniforms as UNIFORMS: `step` carries T; the record widths are not read
      return (backend as WebGPUBackendLike).runWebGPUProgram(p, names.map((n) => inputs[n] as tf.TensorInfo), 'float32', ints([T, H, B, cell.recordBlocks * H, CW]));
    },
  };
}
