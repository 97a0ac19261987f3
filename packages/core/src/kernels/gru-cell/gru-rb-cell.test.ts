/**
 * The fused reset-before GRU cell kernels (registered on wasm, webgpu and webgl) against their
 * portable composite (kernel.ts), forward and backward, with and without a mask, H below and above
 * the workgroup's 64 threads, H odd and even (webgl's per-element and texel paths); the composite
 * against hand-computed values; and the launches per step through ops.gru. Op-level gradients go
 * through ops/gru.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends, isGpuBackend, tolerances } from '../../testing/index.js';
import { gru } from '../../ops/gru.js';
import '../register.js';
import { expectLaunchesPerStep } from '../gpu/launches.js';
import { expectBackwardAgrees, expectForwardAgrees, stepMask } from '../cell-checks.js';
import { useWasmKernels, wasmKernels } from '../wasm-overrides/index.js';
import { hBlocks, zrBlocks } from './wasm.js';
import { GRU_RB_MAX_UNITS, gruRbCellComposite, gruRbCellGradComposite, hasGruRbCellKernels, runGruRbCell, runGruRbCellGrad } from './kernel.js';

const FUSED = new Set(['wasm', 'webgpu', 'webgl']);

describeBackends('RecurrentGruRbCell', (backend) => {
  it(`is registered exactly where expected (${backend})`, () => {
    expect(hasGruRbCellKernels(8)).toBe(FUSED.has(backend));
    // the workgroup-memory limit is webgpu's alone
    expect(hasGruRbCellKernels(GRU_RB_MAX_UNITS + 1)).toBe(FUSED.has(backend) && backend !== 'webgpu');
  });

  it('composite: one step and its gradient by hand (H = 1)', async () => {
    // U = [0, 0, 2]: z = r = σ(0) = 0.5, ĥ = tanh(0.5 + (0.5·3)·2) = tanh(3.5), h = 0.5·3 + 0.5·ĥ
    const xp = tf.tensor3d([[[0, 0, 0.5]]]);
    const U = tf.tensor2d([[0, 0, 2]]);
    const state = tf.tensor3d([[[3]]]);
    const rec = gruRbCellComposite({ xp, U, state }, { step: 0, masked: false, training: true });
    const c = Math.tanh(3.5);
    expect(Array.from(await rec.data())).toBeAllClose([1.5 + 0.5 * c, 0.5, 0.5, c], { rtol: 0, atol: 1e-6 });
    // dH = 1: dhN = 1, da_h = 0.5(1 − ĥ²), da_z = (3 − ĥ)·0.25, dq = da_h·2, da_r = dq·3·0.25,
    // e = dq·0.5 + 0.5
    const dH = tf.tensor3d([[[1]]]);
    const carry = tf.zeros([1, 1, 4]) as tf.Tensor3D;
    const UT = tf.transpose(U) as tf.Tensor2D;
    const g = gruRbCellGradComposite({ records: rec, state0: state, dH, UT, carry }, { step: 0, masked: false });
    const dah = 0.5 * (1 - c * c);
    expect(Array.from(await g.data())).toBeAllClose([(3 - c) * 0.25, dah * 2 * 3 * 0.25, dah * 2 * 0.5 + 0.5, dah], { rtol: 0, atol: 1e-6 });
    tf.dispose([xp, U, state, rec, dH, carry, UT, g]);
  });

  if (!FUSED.has(backend)) return;
  if (isGpuBackend(backend)) tf.env().set(backend === 'webgl' ? 'WEBGL_CPU_FORWARD' : 'WEBGPU_CPU_FORWARD', false);
  const tol = tolerances(backend);
  const [B, T] = [5, 3];

  // webgl: two programs per forward step, three per backward step (webgl-rb.ts); webgpu: one dispatch for the whole sequence each way (seq-kernel.ts)
  if (isGpuBackend(backend)) it('ops.gru (reset-before): one kernel per step each way, nothing else per step (launches counted)', async () => {
    const [I, H] = [3, 5];
    await expectLaunchesPerStep(backend, backend === 'webgl' ? { forward: 2, backward: 3 } : { forward: 0, backward: 0 }, async (T, training) => {
      const x = tf.randomNormal([2, T, I], 0, 1, 'float32', 1) as tf.Tensor3D;
      const W = tf.randomNormal([I, 3 * H], 0, 0.3, 'float32', 2) as tf.Tensor2D;
      const U = tf.randomNormal([H, 3 * H], 0, 0.3, 'float32', 3) as tf.Tensor2D;
      const mask = tf.ones([2, T]) as tf.Tensor2D;
      const run = (x: tf.Tensor, W: tf.Tensor, U: tf.Tensor) => tf.sum(gru(x as tf.Tensor3D, { kernel: W as tf.Tensor2D, recurrentKernel: U as tf.Tensor2D }, { mask }).sequence);
      return { run: () => (training ? tf.grads(run)([x, W, U]) : [run(x, W, U)]), dispose: () => tf.dispose([x, W, U, mask]) };
    });
  });

  if (backend === 'wasm') it('the cached weight blocks are freed when the wasm kernels are switched', () => {
    const H = 6;
    const xp = tf.zeros([1, 2, 3 * H]) as tf.Tensor3D;
    const U = tf.ones([H, 3 * H]) as tf.Tensor2D;
    const state = tf.zeros([1, 2, H]) as tf.Tensor3D;
    tf.dispose(runGruRbCell({ xp, U, state }, { masked: false, training: false, step: 0 }));
    expect([zrBlocks.size, hBlocks.size]).toEqual([1, 1]);
    const kernels = wasmKernels();
    useWasmKernels(kernels === 'fixed' ? 'stock' : 'fixed');
    useWasmKernels(kernels);
    expect([zrBlocks.size, hBlocks.size]).toEqual([0, 0]);
    tf.dispose([xp, U, state]);
  });

  // H = 70: more units than the workgroup's 64 threads, so threads take two units each;
  // H = 520: one batch row per workgroup instead of 4 (workgroup memory, webgpu.ts);
  // H = 5, 7: webgl's per-element cells and two-fetch operand texels (webgl-rb.ts), H even its texel path.
  for (const [H, masked] of [[6, false], [6, true], [5, true], [7, false], [70, true], [520, true]] as const) {
    it(`forward and backward agree with the composite${masked ? ', masked' : ''}, H = ${H}`, async () => {
      const r = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
      const xp = r([T, B, 3 * H], 1) as tf.Tensor3D;
      const U = tf.mul(r([H, 3 * H], 2), 1 / Math.sqrt(H)) as tf.Tensor2D;
      const h0 = r([1, B, H], 3) as tf.Tensor3D;
      const mask = masked ? stepMask() : undefined;
      const before = tf.memory().numTensors;
      const recs = await expectForwardAgrees(T, h0,
        (state, training, step) => runGruRbCell({ xp, U, state, mask }, { masked, training, step }),
        (state, training, step) => gruRbCellComposite({ xp, U, state, mask }, { masked, training, step }), tol.forward);
      const records = tf.concat(recs, 0) as tf.Tensor3D;
      const dH = r([T, B, H], 5) as tf.Tensor3D;
      const carry = r([1, B, 4 * H], 6) as tf.Tensor3D;
      await expectBackwardAgrees(T, U, (UT) => ({ records, state0: h0, dH, UT, carry, mask }),
        (inputs, step) => runGruRbCellGrad(inputs, { masked, step }),
        (inputs, step) => gruRbCellGradComposite(inputs, { masked, step }), tol.forward);
      tf.dispose([...recs, records, dH, carry]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([xp, U, h0, ...(mask ? [mask] : [])]);
    });
  }
});
