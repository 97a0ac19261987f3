/**
 * What the project's WebGPU kernels share: the slice of tfjs-backend-webgpu's program interface
 * they fill in (structural types only, no import of the backend package), the WGSL helpers, and
 * the row tiling of the per-step matMul.
 *
 * Every step kernel uses the same uniforms: the step index, H, B, and the widths of the record it
 * reads and of the one it writes.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { stepSizes } from '../cell-kernel.js';

/** The subset of tfjs-backend-webgpu's WebGPUProgram these kernels fill in. */
export interface Program {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms: string;
  getUserCode: () => string;
}

export interface WebGPUBackendLike {
  runWebGPUProgram(program: Program, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms: Array<{ type: string; data: number[] }>): tf.TensorInfo;
}

const WORKGROUP = 64;
/**
 * Batch rows per thread: each U value read serves this many rows (as a matMul's register tile),
 * which is what bounds the step on a software GPU (U is re-read from memory per row otherwise).
 */
export const ROWS = 4;
export const rows = (line: (r: number) => string) => Array.from({ length: ROWS }, (_, r) => line(r)).join('\n    ');
export const ROWS_DIV = (B: string) => `((${B} + ${ROWS - 1}) / ${ROWS})`;

/** Columns per thread in the backward steps: each carry value read serves this many units. */
export const COLS = 4;

export function backwardThreads(B: number, H: number): number {
  return Math.ceil(B / ROWS) * Math.ceil(H / COLS);
}

/**
 * The backward step's `main`: thread (row group, column group) forms dhU[b, j] = Σ_{n<K} carry[b, n]·UT[n, j]
 * for ROWS rows × COLS units (one carry read serves COLS units, one UT read ROWS rows), then calls
 * `cell(b, j, dhU)` for each in range. The carry row width is `uniforms.outWidth`.
 */
export function backwardMain(K: string): string {
  const cs = Array.from({ length: COLS }, (_, c) => c);
  return `fn main(index : i32) {
    let H = uniforms.units;
    let B = uniforms.batch;
    let JG = (H + ${COLS - 1}) / ${COLS};
    if (index >= ${ROWS_DIV('B')} * JG) { return; }
    let K = ${K};
    let j0 = (index % JG) * ${COLS};
    let b0 = (index / JG) * ${ROWS};
    ${cs.map((c) => `let c${c} = min(j0 + ${c}, H - 1);`).join('\n    ')}
    ${rows((r) => `let q${r} = min(b0 + ${r}, B - 1) * uniforms.outWidth;
    var dh${r} = vec4<f32>(0.0);`)}
    for (var n = 0; n < K; n++) {
      let u = vec4<f32>(${cs.map((c) => `UT[n * H + c${c}]`).join(', ')});
      ${rows((r) => `dh${r} += carry[q${r} + n] * u;`)}
    }
    ${rows((r) => cs.map((c) => `if (b0 + ${r} < B && j0 + ${c} < H) { cell(b0 + ${r}, j0 + ${c}, dh${r}[${c}]); }`).join('\n    '))}
  }`;
}

/**
 * The forward step's `main`: thread (row group, unit j) forms acc[b] = init(b) + Σ_{n<H} h[b, n]·u(n)
 * for ROWS rows (one U read serves ROWS rows), h read in place from the first H columns of `state`
 * (row width `uniforms.inWidth`), then calls `cell(b, j, acc)` for each row in range. `init(x)`
 * is the start, x the offset of unit j in the row's xp[step] (rows `xpWidth` wide), and `u` reads
 * U's values for unit j at row n: both f32, or both vecN<f32> with a lane per gate.
 */
export function forwardMain(xpWidth: string, init: (x: string) => string, u: string): string {
  return `fn main(index : i32) {
    let H = uniforms.units;
    let B = uniforms.batch;
    if (index >= ${ROWS_DIV('B')} * H) { return; }
    let j = index % H;
    let b0 = (index / H) * ${ROWS};
    let k = uniforms.step;
    ${rows((r) => `let s${r} = min(b0 + ${r}, B - 1) * uniforms.inWidth;
    let x${r} = (k * B + min(b0 + ${r}, B - 1)) * ${xpWidth} + j;
    var acc${r} = ${init(`x${r}`)};`)}
    for (var n = 0; n < H; n++) {
      let u = ${u};
      ${rows((r) => `acc${r} += state[s${r} + n] * u;`)}
    }
    ${rows((r) => `if (b0 + ${r} < B) { cell(b0 + ${r}, j, acc${r}); }`)}
  }`;
}

/** vecN<f32>(buf[at + 0·H], …, buf[at + (G − 1)·H]) padded with zeros to N = `lanes`: unit j's G gate values. */
export function gateVec(buf: string, at: string, G: number, lanes = G): string {
  const parts = Array.from({ length: lanes }, (_, g) => (g < G ? `${buf}[${at} + ${g} * H]` : '0.0'));
  return `vec${lanes}<f32>(${parts.join(', ')})`;
}

/** `fn cell(b, j, <param>)`, called by forwardMain or backwardMain, with H, B and k (the step) bound. */
export function cellFn(param: string, body: string): string {
  return `fn cell(b : i32, j : i32, ${param}) {
    let H = uniforms.units;
    let B = uniforms.batch;
    let k = uniforms.step;
    ${body.trim()}
  }`;
}

/**
 * `fn rcPrev(b, col) -> f32`: column col of row b's state before step k — `state0` (row width
 * `width`) at k = 0, else the previous step's forward record in `records`.
 */
export function prevState(width: string): string {
  return `fn rcPrev(b : i32, col : i32) -> f32 {
    let k = uniforms.step;
    if (k == 0) { return state0[b * ${width} + col]; }
    return records[((k - 1) * uniforms.batch + b) * uniforms.inWidth + col];
  }`;
}

export const HELPERS = `
  fn rcSigmoid(x : f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
  fn rcTanh(x : f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
`;

export const UNIFORMS = 'step : i32, units : i32, batch : i32, inWidth : i32, outWidth : i32,';

export function program(key: string, names: string[], outputShape: number[], threads: number, code: string): Program {
  return {
    variableNames: names,
    outputShape,
    shaderKey: key,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(threads / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: UNIFORMS,
    getUserCode: () => code,
  };
}

/**
 * A program of `groups` workgroups of `threads` each, for code that works per workgroup (workgroup
 * memory and barriers): `main` reads the group as `workgroupId.x` and the thread as `localId.x`.
 */
export function workgroupProgram(key: string, names: string[], outputShape: number[], groups: number, threads: number, code: string): Program {
  const p = program(key, names, outputShape, groups * threads, code);
  return { ...p, dispatch: [groups, 1, 1], workgroupSize: [threads, 1, 1] };
}

/** One uniform entry per scalar, in the order of UNIFORMS. */
export const ints = (values: number[]) => values.map((v) => ({ type: 'int32', data: [v] }));

/**
 * Runs a step program on `inputs[name]` for each of its variable names, with the uniforms of
 * UNIFORMS: the step, H, B, the width of the record read (`state` or `records`, cell-kernel.ts
 * `stepSizes`) and that of the record written (the program's output [1, B, width]).
 */
export function runStep(backend: unknown, p: Program, inputs: tf.NamedTensorInfoMap, step: number): tf.TensorInfo {
  const { H, B, S } = stepSizes(inputs);
  const infos = p.variableNames.map((n) => inputs[n] as tf.TensorInfo);
  return (backend as WebGPUBackendLike).runWebGPUProgram(p, infos, 'float32', ints([step, H, B, S, p.outputShape[2]!]));
}
