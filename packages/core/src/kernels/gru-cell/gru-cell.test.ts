/**
 * The fused reset-after GRU cell kernels against their portable composite (kernel.ts), forward and
 * backward, with and without a mask, on each backend that registers them; the composite against
 * hand-computed values; and the launches per step through ops.gru. Op-level gradients (masks,
 * reverse, h0, both bias rows) go through ops/gru.test.ts on the same backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends, isGpuBackend, tolerances } from '../../testing/index.js';
import { gru } from '../../ops/gru.js';
import '../register.js';
import { expectLaunchesPerStep } from '../gpu/launches.js';
import { expectBackwardAgrees, expectForwardAgrees, stepMask } from '../cell-checks.js';
import { gruCellComposite, gruCellGradComposite, hasGruCellKernels, runGruCell, runGruCellGrad } from './kernel.js';

const FUSED = new Set(['wasm', 'webgl', 'webgpu']);

describeBackends('RecurrentGruCell', (backend) => {
  it(`is registered exactly where expected (${backend})`, () => {
    expect(hasGruCellKernels()).toBe(FUSED.has(backend));
  });

  it('composite: one step by hand (H = 1, U = 0)', async () => {
    // z = σ(0) = 0.5, r = σ(0) = 0.5, hh = 0 + b_hh = 2, ĥ = tanh(1 + 0.5·2) = tanh(2);
    // h = 0.5·h0 + 0.5·ĥ with h0 = 3
    const xp = tf.tensor3d([[[0, 0, 1, 2]]]);
    const U = tf.zeros([1, 3]) as tf.Tensor2D;
    const state = tf.tensor3d([[[3]]]);
    const rec = gruCellComposite({ xp, U, state }, { step: 0, masked: false, training: true });
    const c = Math.tanh(2);
    expect(Array.from(await rec.data())).toBeAllClose([0.5 * 3 + 0.5 * c, 0.5, 0.5, c, 2], { rtol: 0, atol: 1e-6 });
    tf.dispose([xp, U, state, rec]);
  });

  if (!FUSED.has(backend)) return;
  if (isGpuBackend(backend)) tf.env().set(backend === 'webgl' ? 'WEBGL_CPU_FORWARD' : 'WEBGPU_CPU_FORWARD', false);
  const tol = tolerances(backend);
  const [B, H, T] = [5, 5, 3];

  // webgl: matMul program + cell program per step each way; webgpu: one dispatch for the whole sequence each way (seq-kernel.ts)
  if (isGpuBackend(backend)) it('ops.gru (reset-after): one kernel per step each way (webgpu: one dispatch per sequence each way), nothing else per step (launches counted)', async () => {
    const perStep = backend === 'webgl' ? 2 : { forward: 0, backward: 0 };
    const I = 3;
    await expectLaunchesPerStep(backend, perStep, async (T, training) => {
      const x = tf.randomNormal([2, T, I], 0, 1, 'float32', 1) as tf.Tensor3D;
      const W = tf.randomNormal([I, 3 * H], 0, 0.3, 'float32', 2) as tf.Tensor2D;
      const U = tf.randomNormal([H, 3 * H], 0, 0.3, 'float32', 3) as tf.Tensor2D;
      const mask = tf.ones([2, T]) as tf.Tensor2D;
      const run = (x: tf.Tensor, W: tf.Tensor, U: tf.Tensor) => tf.sum(gru(x as tf.Tensor3D, { kernel: W as tf.Tensor2D, recurrentKernel: U as tf.Tensor2D }, { mask, resetAfter: true }).sequence);
      return { run: () => (training ? tf.grads(run)([x, W, U]) : [run(x, W, U)]), dispose: () => tf.dispose([x, W, U, mask]) };
    });
  });

  // H = 6: webgl's cell programs work on whole texels; H = 5 (masked cases only, to save time):
  // per element (gpu/webgl-program.ts).
  for (const H of [6, 5]) for (const masked of H === 6 ? [false, true] : [true]) {
    it(`forward and backward agree with the composite${masked ? ', masked' : ''}, H = ${H}`, async () => {
      const r = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
      const xp = r([T, B, 4 * H], 1) as tf.Tensor3D;
      const U = tf.mul(r([H, 3 * H], 2), 0.5) as tf.Tensor2D;
      const h0 = r([1, B, H], 3) as tf.Tensor3D;
      const mask = masked ? stepMask() : undefined;
      const before = tf.memory().numTensors;
      const recs = await expectForwardAgrees(T, h0,
        (state, training, step) => runGruCell({ xp, U, state, mask }, { masked, training, step }),
        (state, training, step) => gruCellComposite({ xp, U, state, mask }, { masked, training, step }), tol.forward);
      const records = tf.concat(recs, 0) as tf.Tensor3D;
      const dH = r([T, B, H], 5) as tf.Tensor3D;
      const carry = r([1, B, 5 * H], 6) as tf.Tensor3D;
      await expectBackwardAgrees(T, U, (UT) => ({ records, state0: h0, dH, UT, carry, mask }),
        (inputs, step) => runGruCellGrad(inputs, { masked, step }),
        (inputs, step) => gruCellGradComposite(inputs, { masked, step }), tol.forward);
      tf.dispose([...recs, records, dH, carry]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([xp, U, h0, ...(mask ? [mask] : [])]);
    });
  }
});
