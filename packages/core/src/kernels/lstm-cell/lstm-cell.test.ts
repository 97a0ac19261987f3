/**
 * The fused LSTM cell kernels against their portable composite (kernel.ts), forward and backward,
 * every variant (plain, peephole, coupled, coupled + peephole) with and without a mask, on each
 * backend that registers them; the composite itself is checked against hand-computed values so
 * the oracle is not an echo. Op-level gradients (masks, reverse, initial states) go through
 * ops/lstm.test.ts, which runs the fused path on these backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends, isGpuBackend, tolerances } from '../../testing/index.js';
import '../register.js';
import { expectLaunchesPerStep } from '../gpu/launches.js';
import { expectBackwardAgrees, stepMask } from '../cell-checks.js';
import { lstm } from '../../ops/lstm.js';
import { carryWidth, hasLstmCellKernels, lstmCellComposite, lstmCellGradComposite, recordWidth, runLstmCell, runLstmCellGrad, type LstmCellAttrs } from './kernel.js';

const FUSED = new Set(['wasm', 'webgl', 'webgpu']);

const VARIANTS = [false, true].flatMap((coupled) => [false, true].flatMap((peephole) => [false, true].map((masked) => ({ coupled, peephole, masked }))));

describeBackends('RecurrentLstmCell', (backend) => {
  it(`is registered exactly where expected (${backend})`, () => {
    expect(hasLstmCellKernels()).toBe(FUSED.has(backend));
  });

  it('composite: one step by hand (H = 1, B = 1, zero weights but the bias)', async () => {
    // z = b = (0, 0, 0, 0) → i = f = o = 0.5, ĉ = 0; c = 0.5·c0 = 0.5·2 = 1, h = 0.5·tanh(1)
    const xp = tf.zeros([1, 1, 4]) as tf.Tensor3D;
    const U = tf.zeros([1, 4]) as tf.Tensor2D;
    const state = tf.tensor3d([[[3, 2]]]);
    const rec = lstmCellComposite({ xp, U, state }, { step: 0, coupled: false, peephole: false, masked: false, training: true });
    expect(Array.from(await rec.data())).toBeAllClose([0.5 * Math.tanh(1), 1, 1, 0.5, 0.5, 0, 0.5], { rtol: 0, atol: 1e-6 });
    tf.dispose([xp, U, state, rec]);
  });

  if (!FUSED.has(backend)) return;
  if (isGpuBackend(backend)) {
    const flags = { webgl: 'WEBGL_CPU_FORWARD', webgpu: 'WEBGPU_CPU_FORWARD' } as const;
    tf.env().set(flags[backend as 'webgl' | 'webgpu'], false);
  }
  const tol = tolerances(backend);
  const [B, H, T] = [5, 5, 3]; // B > 4 and odd: webgpu's 4-row tiles end part-filled, webgl's 2×2 texels too

  // webgl: matMul program + cell program per step each way (webgl.ts); webgpu: one dispatch for the whole sequence each way (seq-kernel.ts)
  if (isGpuBackend(backend)) it('ops.lstm: one kernel per step each way (webgpu: one dispatch per sequence each way), nothing else per step (launches counted)', async () => {
    const perStep = backend === 'webgl' ? 2 : { forward: 0, backward: 0 };
    const I = 3;
    await expectLaunchesPerStep(backend, perStep, async (T, training) => {
      const x = tf.randomNormal([2, T, I], 0, 1, 'float32', 1) as tf.Tensor3D;
      const W = tf.randomNormal([I, 4 * H], 0, 0.3, 'float32', 2) as tf.Tensor2D;
      const U = tf.randomNormal([H, 4 * H], 0, 0.3, 'float32', 3) as tf.Tensor2D;
      const p = tf.ones([H]) as tf.Tensor1D;
      const mask = tf.ones([2, T]) as tf.Tensor2D;
      const run = (x: tf.Tensor, W: tf.Tensor, U: tf.Tensor) =>
        tf.sum(lstm(x as tf.Tensor3D, { kernel: W as tf.Tensor2D, recurrentKernel: U as tf.Tensor2D, peephole: { i: p, f: p, o: p } }, { mask }).sequence);
      return { run: () => (training ? tf.grads(run)([x, W, U]) : [run(x, W, U)]), dispose: () => tf.dispose([x, W, U, p, mask]) };
    });
  });

  // H = 6: webgl's cell programs work on whole texels; H = 5 (masked cases only, to save time):
  // per element (gpu/webgl-program.ts).
  for (const H of [6, 5]) for (const v of VARIANTS.filter((v) => H === 6 || v.masked)) {
    const name = `${v.coupled ? 'coupled' : 'plain'}${v.peephole ? ' + peephole' : ''}${v.masked ? ', masked' : ''}`;
    it(`forward and backward agree with the composite: ${name}, H = ${H}`, async () => {
      const G = v.coupled ? 3 : 4;
      const r = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
      const xp = r([T, B, G * H], 1) as tf.Tensor3D;
      const U = tf.mul(r([H, G * H], 2), 0.5) as tf.Tensor2D;
      const state0 = r([1, B, 2 * H], 3) as tf.Tensor3D;
      const mask = v.masked ? stepMask() : undefined;
      const peephole = v.peephole ? (r([3, H], 4) as tf.Tensor2D) : undefined;
      const before = tf.memory().numTensors;
      for (const training of [false, true]) {
        const attrs: LstmCellAttrs = { ...v, training, step: 0 };
        // Two steps, the second from the first's record: a state wider than 2H in training.
        let stateK = state0;
        let stateC = state0;
        for (let step = 0; step < 2; step++) {
          const got = runLstmCell({ xp, U, state: stateK, mask, peephole }, { ...attrs, step });
          const want = lstmCellComposite({ xp, U, state: stateC, mask, peephole }, { ...attrs, step });
          expect(got.shape).toEqual([1, B, recordWidth(H, G, training)]);
          expect(Array.from(await got.data())).toHaveRelativeError(Array.from(await want.data()), tol.forward);
          if (step > 0) tf.dispose([stateK, stateC]);
          [stateK, stateC] = [got, want];
        }
        tf.dispose([stateK, stateC]);
      }
      // Backward over composite records of all T steps, every step from the same carry.
      const recs: tf.Tensor3D[] = [];
      let s = state0;
      for (let step = 0; step < T; step++) recs.push((s = lstmCellComposite({ xp, U, state: s, mask, peephole }, { ...v, training: true, step })));
      const records = tf.concat(recs, 0) as tf.Tensor3D;
      const dH = r([T, B, H], 5) as tf.Tensor3D;
      const carry = r([1, B, carryWidth(H, G)], 6) as tf.Tensor3D;
      await expectBackwardAgrees(T, U, (UT) => ({ records, state0, dH, UT, carry, mask, peephole }),
        (inputs, step) => runLstmCellGrad(inputs, { ...v, step }),
        (inputs, step) => lstmCellGradComposite(inputs, { ...v, step }), tol.forward);
      tf.dispose([...recs, records, dH, carry]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([xp, U, state0, ...(mask ? [mask] : []), ...(peephole ? [peephole] : [])]);
    });
  }
});
