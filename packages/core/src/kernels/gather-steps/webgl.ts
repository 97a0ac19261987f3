/**
 * `RecurrentGatherSteps` on webgl (see kernel.ts): one program per at most
 * WEBGL_MAX_TEXTURES_IN_SHADER parts, each output texel one fetch from the part its step falls in;
 * more parts than that are gathered in rounds and the rounds gathered again (so the data is copied
 * twice for 17…256 parts — still a texel copy each time, where tfjs' packed concat computes each of
 * a texel's four values separately).
 *
 * Packed layout (2×2 values per texel, per time step): with `from` even, output texel (t, b, c) is
 * input texel (t − offset, b, c + from) of one part, copied whole; lanes past `width` are zeroed
 * (they would otherwise hold the next column). With `from` odd the columns straddle texels and the
 * program reads the four values one by one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { HELPERS, type Program, type WebGLBackendLike } from '../gpu/webgl-program.js';
import { GATHER_STEPS, type GatherStepsAttrs } from './kernel.js';

function gatherProgram(parts: tf.TensorInfo[], from: number, width: number): Program {
  const [, B, W] = parts[0]!.shape as [number, number, number];
  const offsets: number[] = [];
  let n = 0;
  for (const p of parts) {
    offsets.push(n);
    n += p.shape[0]!;
  }
  const names = parts.map((_, i) => `S${i}`);
  // The part holding step t: the last whose offset is ≤ t.
  const pick = (read: (name: string, t: string) => string) => names.map((name, i) => {
    const at = read(name, i === 0 ? 't' : `t - ${offsets[i]}`);
    if (i === names.length - 1) return i === 0 ? at : `{ ${at} }`;
    return `if (t < ${offsets[i + 1]}) { ${at} }`;
  }).join(' else ');
  let body: string;
  if (from % 2 === 0) {
    const tail = width % 2 === 1 && from + width < W ? `if (rc.z + 1 >= ${width}) { v.y = 0.0; v.w = 0.0; }` : '';
    body = `vec4 v = vec4(0.0);
    ${pick((name, t) => `v = get${name}(${t}, rc.y, rc.z + ${from});`)}
    ${tail}
    setOutput(v);`;
  } else {
    body = `vec4 v = vec4(0.0);
    for (int e = 0; e < 4; e++) {
      int b = rc.y + e / 2;
      int c = rc.z + (e - 2 * (e / 2));
      if (b >= ${B} || c >= ${width}) continue;
      int col = c + ${from};
      float x = 0.0;
      ${pick((name, t) => `x = rcPick(get${name}(${t}, b, col), b, col);`)}
      if (e == 0) v.x = x; else if (e == 1) v.y = x; else if (e == 2) v.z = x; else v.w = x;
    }
    setOutput(v);`;
  }
  return {
    variableNames: names,
    outputShape: [n, B, width],
    userCode: `${from % 2 === 0 ? '' : HELPERS}
  void main() {
    ivec3 rc = getOutputCoords();
    int t = rc.x;
    ${body}
  }`,
    packedInputs: true,
    packedOutput: true,
    customUniforms: [],
  };
}

function gather(gl: WebGLBackendLike, parts: tf.TensorInfo[], from: number, width: number, maxInputs: number): tf.TensorInfo {
  if (parts.length <= maxInputs) return gl.runWebGLProgram(gatherProgram(parts, from, width), parts, 'float32', []);
  const rounds: tf.TensorInfo[] = [];
  for (let i = 0; i < parts.length; i += maxInputs) rounds.push(gather(gl, parts.slice(i, i + maxInputs), from, width, maxInputs));
  const out = gather(gl, rounds, 0, width, maxInputs);
  for (const r of rounds) gl.disposeIntermediateTensorInfo(r);
  return out;
}

export const gatherStepsWebGL: tf.KernelConfig = {
  kernelName: GATHER_STEPS,
  backendName: 'webgl',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { from, width } = attrs as unknown as GatherStepsAttrs;
    const parts = inputs as unknown as tf.TensorInfo[];
    const maxInputs = Math.max(2, tf.env().getNumber('WEBGL_MAX_TEXTURES_IN_SHADER'));
    return gather(backend as unknown as WebGLBackendLike, parts, from, width, maxInputs);
  },
};
