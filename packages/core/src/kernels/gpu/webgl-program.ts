/**
 * What the project's WebGL kernels share: the slice of tfjs-backend-webgl's GPGPUProgram they fill
 * in (structural types only), GLSL helpers for packed textures (2×2 values per texel), the packed
 * 2×2 matMul loop and the per-element body of an elementwise packed program.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** The subset of tfjs-backend-webgl's GPGPUProgram these kernels fill in. */
export interface Program {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs: boolean;
  packedOutput: boolean;
  customUniforms: Array<{ name: string; type: 'int' }>;
}

export interface WebGLBackendLike {
  runWebGLProgram(program: Program, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms: number[][]): tf.TensorInfo;
  disposeIntermediateTensorInfo(info: tf.TensorInfo): void;
}

// Not `step`: that is a GLSL built-in.
/** First line of every program's code: tells ours apart (launch counts in tests). */
export const MARK = '// recurrent step kernel';

export const STEP = [{ name: 'rcStep', type: 'int' as const }];

export function program(names: string[], outputShape: number[], userCode: string): Program {
  return { variableNames: names, outputShape, userCode: `${MARK}\n${userCode}`, packedInputs: true, packedOutput: true, customUniforms: STEP };
}

/**
 * A step's two programs inside one kernel: `matMul` into an intermediate, then `cell`, which reads
 * that intermediate as its first input, named `into`; the intermediate is disposed. Inputs given
 * as undefined (an absent mask or peephole) are not bound.
 */
export interface Launch {
  inputs: Record<string, tf.TensorInfo | undefined>;
  outputShape: number[];
  userCode: string;
}

export function runStep(backend: unknown, step: number, matMul: Launch, into: string, cell: Launch): tf.TensorInfo {
  const gl = backend as WebGLBackendLike;
  const run = ({ inputs, outputShape, userCode }: Launch) => {
    const names = Object.keys(inputs).filter((n) => inputs[n] !== undefined);
    return gl.runWebGLProgram(program(names, outputShape, userCode), names.map((n) => inputs[n]!), 'float32', [[step]]);
  };
  const first = run(matMul);
  const out = run({ ...cell, inputs: { [into]: first, ...cell.inputs } });
  gl.disposeIntermediateTensorInfo(first);
  return out;
}

/**
 * `runStep` for a step of more than two programs (GRU reset-before, gru-cell/webgl-rb.ts): the
 * output of every launch but the last is bound, under its `into` name, as an input of every later
 * launch, and disposed at the end; the last launch's output is returned.
 */
export function runChain(backend: unknown, step: number, launches: Array<Launch & { into?: string }>): tf.TensorInfo {
  const gl = backend as WebGLBackendLike;
  const made: Record<string, tf.TensorInfo> = {};
  let out: tf.TensorInfo | undefined;
  for (const { inputs: own, outputShape, userCode, into } of launches) {
    const inputs = { ...made, ...own };
    const names = Object.keys(inputs).filter((n) => inputs[n] !== undefined);
    out = gl.runWebGLProgram(program(names, outputShape, userCode), names.map((n) => inputs[n]!), 'float32', [[step]]);
    if (into !== undefined) made[into] = out;
  }
  for (const t of Object.values(made)) if (t !== out) gl.disposeIntermediateTensorInfo(t);
  return out!;
}

/** In a cell's `rcValue(b, col)`: the field block of col and the unit j within it (blocks H wide). */
export const fieldOf = (H: number) => `int field = col / ${H};
    int j = col - field * ${H};`;

/** In a cell's `rcValue(b, col)`: row b's mask at the step (the form `cellProgram` turns into a texel read). */
export const MASK = 'rcPick(getMask(rcStep, b, 0), b, 0)';

/** In a backward cell's `rcValue(b, col)`: row b's value at column `off` + j of the step's forward record. */
export const recordAt = (off: number) => `rcPick(getRecords(rcStep, b, ${off} + j), b, ${off} + j)`;

/** In a backward cell's `rcValue(b, col)`: column `c` of row b's state before the step, from `State0` at step 0, else the previous record. */
export const prevState = (c: string) => `rcStep == 0 ? rcPick(getState0(0, b, ${c}), b, ${c}) : rcPick(getRecords(rcStep - 1, b, ${c}), b, ${c})`;

/** Value (r, c) out of the packed texel that holds it. */
export const HELPERS = `
  float rcPick(vec4 t, int r, int c) {
    int i = 2 * (r - 2 * (r / 2)) + (c - 2 * (c / 2));
    return i == 0 ? t.x : (i == 1 ? t.y : (i == 2 ? t.z : t.w));
  }
  float rcSigmoid(float x) { return 1.0 / (1.0 + exp(-x)); }
  float rcTanh(float x) { float e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
  vec4 rcSigmoid(vec4 x) { return 1.0 / (1.0 + exp(-x)); }
  float rcPositive(float x) { return x > 0.0 ? 1.0 : 0.0; }
  vec4 rcPositive(vec4 x) { return vec4(greaterThan(x, vec4(0.0))); }
  vec4 rcTanh(vec4 x) { vec4 e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
`;

/** Packed 2×2 matMul loop: acc += A[r.., n..]·B[n.., c..] with A read by `a(n)`, B by `b(n)`, n < K step 2. */
export function dotLoop(K: number, a: string, b: string, transposeB: boolean): string {
  const bs = transposeB ? ['u.xzxz', 'u.ywyw'] : ['u.xyxy', 'u.zwzw'];
  // An odd K's last texel holds a neighbour's column in A and padding in B: zero both.
  const oddTail = K % 2 === 1 ? `if (n + 1 >= ${K}) { h.y = 0.0; h.w = 0.0; ${transposeB ? 'u.y = 0.0;' : 'u.z = 0.0;'} u.w = 0.0; }` : '';
  return `for (int n = 0; n < ${K}; n += 2) {
      vec4 h = ${a};
      vec4 u = ${b};
      ${oddTail}
      acc += h.xxzz * ${bs[0]} + h.yyww * ${bs[1]};
    }`;
}

/** Sets out (a vec4) from value(b, col) for the texel's four positions. */
export function perElement(B: number, W: number): string {
  return `ivec3 rc = getOutputCoords();
    vec4 outv = vec4(0.0);
    for (int e = 0; e < 4; e++) {
      int b = rc.y + e / 2;
      int col = rc.z + (e - 2 * (e / 2));
      if (b >= ${B} || col >= ${W}) continue;
      float v = rcValue(b, col);
      if (e == 0) outv.x = v; else if (e == 1) outv.y = v; else if (e == 2) outv.z = v; else outv.w = v;
    }
    setOutput(outv);`;
}


/**
 * Z [B, GH] = xp[step] + h·U (or h·U alone without `addXp`), h read in place from the first H
 * columns of `state` [1, B, S]. `out` is what is written of the sum `acc` (σ(Z): `rcSigmoid(acc)`,
 * with HELPERS in front).
 */
export function forwardMatMul(H: number, addXp = true, out = 'acc'): string {
  return `void main() {
    ivec2 rc = getOutputCoords();
    vec4 acc = ${addXp ? 'getXp(rcStep, rc.x, rc.y)' : 'vec4(0.0)'};
    ${dotLoop(H, 'getState(0, rc.x, n)', 'getU(n, rc.y)', false)}
    setOutput(${out});
  }`;
}

/**
 * dhTot [B, H] = dH[step] + dz·UT + keep (UT = Uᵀ [GH, H]), dz the first GH columns of `Carry`
 * [1, B, CW] and keep its H columns from `keepAt`.
 */
export function backwardMatMul(H: number, GH: number, keepAt: number): string {
  const at = (name: string, b: string, col: string) => `rcPick(get${name}(${name === 'DH' ? 'rcStep' : '0'}, ${b}, ${col}), ${b}, ${col})`;
  const init = [0, 1, 2, 3].map((e) => {
    const b = `(rc.x + ${e >> 1})`;
    const j = `(rc.y + ${e & 1})`;
    return `${at('DH', b, j)} + ${at('Carry', b, `${keepAt} + ${j}`)}`;
  });
  return `${HELPERS}
  void main() {
    ivec2 rc = getOutputCoords();
    vec4 acc = vec4(${init.join(',\n      ')});
    ${dotLoop(GH, 'getCarry(0, rc.x, n)', 'getUT(n, rc.y)', false)}
    setOutput(acc);
  }`;
}


/**
 * An elementwise cell program, written per element as `float rcValue(int b, int col)` reading its
 * inputs as `rcPick(getX(…, b, c), b, c)` (masks as `rcPick(getMask(rcStep, b, 0), b, 0)`, rows of a
 * [R, H] tensor as `rcPick(getPeephole(r, j), r, j)`), made into a whole program.
 *
 * With H even every H-wide block starts on a texel boundary, so an output texel's 2 rows × 2 units
 * sit in the same texel of every input block: the body is then rewritten to work on whole texels
 * (vec4 arithmetic, one fetch per input instead of four, no picks). With H odd it runs per element.
 */
export function cellProgram(helpersAndBody: string, B: number, W: number, H: number): string {
  if (H % 2 === 1) return `${helpersAndBody}
  void main() {
    ${perElement(B, W)}
  }`;
  const body = helpersAndBody.startsWith(HELPERS) ? helpersAndBody.slice(HELPERS.length) : helpersAndBody;
  const texel = body
    .replace(/float rcValue\(/g, 'vec4 rcValue(')
    .replace(/rcPick\((getMask\([^()]*\)), b, 0\)/g, '$1.xxzz')
    .replace(/rcPick\((getPeephole\((\d+), j\)), \d+, j\)/g, (_m, get: string, r: string) => `${get}.${Number(r) % 2 === 0 ? 'xyxy' : 'zwzw'}`)
    .replace(/rcPick\((get\w+\([^()]*\)), [^,()]+, [^()]+\)/g, '$1')
    .replace(/\bfloat (\w+) = 1\.0;/g, 'vec4 $1 = vec4(1.0);')
    .replace(/\bfloat (\w+)( =|;)/g, 'vec4 $1$2')
    .replace(/return 0\.0;/g, 'return vec4(0.0);');
  return `${HELPERS}${texel}
  void main() {
    ivec3 rc = getOutputCoords();
    setOutput(rcValue(rc.y, rc.z));
  }`;
}
