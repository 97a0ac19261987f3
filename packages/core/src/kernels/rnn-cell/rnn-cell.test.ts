/**
 * The fused simple-RNN cell kernels against their portable composite (kernel.ts), forward and
 * backward, tanh and ReLU, with and without a mask, on each backend that registers them; the
 * composite against hand-computed values; and the launches per step through ops.simpleRnn.
 * Op-level gradients (masks, reverse, h0) go through ops/simple-rnn.test.ts on the same backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends, isGpuBackend, tolerances } from '../../testing/index.js';
import { simpleRnn } from '../../ops/simple-rnn.js';
import '../register.js';
import { expectLaunchesPerStep } from '../gpu/launches.js';
import { expectBackwardAgrees, expectForwardAgrees, stepMask } from '../cell-checks.js';
import { hasRnnCellKernels, rnnCellComposite, rnnCellGradComposite, runRnnCell, runRnnCellGrad, type RnnActivation } from './kernel.js';

const FUSED = new Set(['wasm', 'webgl', 'webgpu']);
const VARIANTS = (['tanh', 'relu'] as RnnActivation[]).flatMap((activation) => [false, true].map((masked) => ({ activation, masked })));

describeBackends('RecurrentRnnCell', (backend) => {
  it(`is registered exactly where expected (${backend})`, () => {
    expect(hasRnnCellKernels()).toBe(FUSED.has(backend));
  });

  it('composite: one step and its gradient by hand (H = 1)', async () => {
    // a = 0.5 + 2·1 = 2.5 → h = tanh(2.5); backward from dH = 1, carry 0: da = 1 − tanh²(2.5)
    const xp = tf.tensor3d([[[0.5]]]);
    const U = tf.tensor2d([[2]]);
    const state = tf.tensor3d([[[1]]]);
    const rec = rnnCellComposite({ xp, U, state }, { step: 0, activation: 'tanh', masked: false, training: true });
    const t = Math.tanh(2.5);
    expect(Array.from(await rec.data())).toBeAllClose([t, t], { rtol: 0, atol: 1e-6 });
    const dH = tf.tensor3d([[[1]]]);
    const carry = tf.zeros([1, 1, 2]) as tf.Tensor3D;
    const g = rnnCellGradComposite({ records: rec, dH, UT: U, carry }, { step: 0, activation: 'tanh', masked: false });
    expect(Array.from(await g.data())).toBeAllClose([1 - t * t, 0], { rtol: 0, atol: 1e-6 });
    tf.dispose([xp, U, state, rec, dH, carry, g]);
  });

  if (!FUSED.has(backend)) return;
  if (isGpuBackend(backend)) tf.env().set(backend === 'webgl' ? 'WEBGL_CPU_FORWARD' : 'WEBGPU_CPU_FORWARD', false);
  const tol = tolerances(backend);
  const [B, H, T] = [5, 5, 3];

  // webgl: matMul program + cell program per step each way; webgpu: one dispatch for the whole sequence each way (seq-kernel.ts)
  if (isGpuBackend(backend)) it('ops.simpleRnn: one kernel per step each way (webgpu: one dispatch per sequence each way), nothing else per step (launches counted)', async () => {
    const perStep = backend === 'webgl' ? 2 : { forward: 0, backward: 0 };
    const I = 3;
    await expectLaunchesPerStep(backend, perStep, async (T, training) => {
      const x = tf.randomNormal([2, T, I], 0, 1, 'float32', 1) as tf.Tensor3D;
      const W = tf.randomNormal([I, H], 0, 0.3, 'float32', 2) as tf.Tensor2D;
      const U = tf.randomNormal([H, H], 0, 0.3, 'float32', 3) as tf.Tensor2D;
      const mask = tf.ones([2, T]) as tf.Tensor2D;
      const run = (x: tf.Tensor, W: tf.Tensor, U: tf.Tensor) => tf.sum(simpleRnn(x as tf.Tensor3D, { kernel: W as tf.Tensor2D, recurrentKernel: U as tf.Tensor2D }, { mask }).sequence);
      return { run: () => (training ? tf.grads(run)([x, W, U]) : [run(x, W, U)]), dispose: () => tf.dispose([x, W, U, mask]) };
    });
  });

  // H = 6: webgl's cell programs work on whole texels; H = 5 (masked cases only, to save time):
  // per element (gpu/webgl-program.ts).
  for (const H of [6, 5]) for (const v of VARIANTS.filter((v) => H === 6 || v.masked)) {
    it(`forward and backward agree with the composite: ${v.activation}${v.masked ? ', masked' : ''}, H = ${H}`, async () => {
      const r = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
      const xp = r([T, B, H], 1) as tf.Tensor3D;
      const U = tf.mul(r([H, H], 2), 0.5) as tf.Tensor2D;
      const h0 = r([1, B, H], 3) as tf.Tensor3D;
      const mask = v.masked ? stepMask() : undefined;
      const before = tf.memory().numTensors;
      const recs = await expectForwardAgrees(T, h0,
        (state, training, step) => runRnnCell({ xp, U, state, mask }, { ...v, training, step }),
        (state, training, step) => rnnCellComposite({ xp, U, state, mask }, { ...v, training, step }), tol.forward);
      const records = tf.concat(recs, 0) as tf.Tensor3D;
      const dH = r([T, B, H], 5) as tf.Tensor3D;
      const carry = r([1, B, 2 * H], 6) as tf.Tensor3D;
      await expectBackwardAgrees(T, U, (UT) => ({ records, dH, UT, carry, mask }),
        (inputs, step) => runRnnCellGrad(inputs, { ...v, step }),
        (inputs, step) => rnnCellGradComposite(inputs, { ...v, step }), tol.forward);
      tf.dispose([...recs, records, dH, carry]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([xp, U, h0, ...(mask ? [mask] : [])]);
    });
  }
});
