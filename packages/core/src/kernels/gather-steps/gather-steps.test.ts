/**
 * `RecurrentGatherSteps` (kernel.ts) against values built on the host: part p holds
 * value(t, b, c) = 1000·t + 10·b + c at its global step t, so the expected output is written down
 * directly, not computed with tf.concat. On webgl and wasm this is the direct kernel (webgl: more parts than
 * WEBGL_MAX_TEXTURES_IN_SHADER go through rounds); elsewhere the composite.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '../../testing/index.js';
import '../register.js';
import { gatherSteps } from './kernel.js';

const value = (t: number, b: number, c: number) => 1000 * t + 10 * b + c;

/** Parts of the given step counts, [n_i, B, W] each, numbered by global step. */
function parts(counts: number[], B: number, W: number): tf.Tensor3D[] {
  let t0 = 0;
  return counts.map((n) => {
    const v = new Float32Array(n * B * W);
    for (let t = 0; t < n; t++) for (let b = 0; b < B; b++) for (let c = 0; c < W; c++) v[(t * B + b) * W + c] = value(t0 + t, b, c);
    t0 += n;
    return tf.tensor3d(v, [n, B, W]);
  });
}

function expected(T: number, B: number, from: number, width: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let c = 0; c < width; c++) out.push(value(t, b, from + c));
  return out;
}

describeBackends('RecurrentGatherSteps', (backend) => {
  if (backend === 'webgl') tf.env().set('WEBGL_CPU_FORWARD', false);
  // B odd and W odd: webgl texels part-filled in both directions. 20 parts > 16: rounds on webgl.
  const cases = [
    { counts: [1], from: 0, width: 7, why: 'one part, all columns' },
    { counts: [1, 2, 1], from: 0, width: 7, why: 'parts of several steps' },
    { counts: new Array<number>(20).fill(1), from: 2, width: 3, why: 'more parts than one webgl program takes, even from, odd width' },
    { counts: [1, 1, 1], from: 1, width: 4, why: 'odd from (columns straddle texels)' },
    { counts: [2, 1], from: 4, width: 3, why: 'the last columns' },
  ];
  for (const { counts, from, width, why } of cases) {
    it(`${why} (${backend})`, async () => {
      const [B, W] = [3, 7];
      const ps = parts(counts, B, W);
      const before = tf.memory().numTensors;
      const out = gatherSteps(ps, from, width);
      const T = counts.reduce((a, n) => a + n, 0);
      expect(out.shape).toEqual([T, B, width]);
      expect(Array.from(await out.data())).toEqual(expected(T, B, from, width));
      out.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(ps);
    });
  }

  it(`rejects parts of different widths and columns out of range, saying so (${backend})`, () => {
    const [a, b] = [tf.zeros([1, 2, 4]) as tf.Tensor3D, tf.zeros([1, 2, 5]) as tf.Tensor3D];
    expect(() => gatherSteps([a, b])).toThrow(/every part must be \[n, 2, 4\].*found \[1, 2, 5\]/);
    expect(() => gatherSteps([a], 2, 3)).toThrow(/columns \[2, 5\) must lie within \[0, 4\)/);
    tf.dispose([a, b]);
  });
});
