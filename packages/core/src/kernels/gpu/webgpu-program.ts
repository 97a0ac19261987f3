/**
 * What the project's WebGPU kernels share: the slice of tfjs-backend-webgpu's program interface
 * they fill in (structural types only, no import of the backend package), the WGSL helpers, and
 * the row tiling of the per-step matMul.
 *
 * Every step kernel uses the same uniforms: the step index, H, B, and the widths of the record it
 * reads and of the one it writes.
 */
import type * as tf from '@tensorflow/tfjs-core';

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

/** One uniform entry per scalar, in the order of UNIFORMS. */
export const ints = (values: number[]) => values.map((v) => ({ type: 'int32', data: [v] }));

