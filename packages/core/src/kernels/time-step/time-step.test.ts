/**
 * RecurrentTimeStep against its portable composite (unstack, split, add, affine) and against
 * values written by hand, on every backend that has the direct kernel; elsewhere the composite
 * path that ops use is checked against the same hand values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends, expectNoLeaks } from '../../testing/index.js';
import { splitColumns, Steps } from '../../ops/internal/time.js';
import '../register.js';
import { hasTimeStepKernel, runTimeStep, timeStepComposite } from './kernel.js';

describeBackends('RecurrentTimeStep', (backend) => {
  // x[t, b, w] = 100·t + 10·b + w, T = 3, B = 2, W = 5
  const values = Float32Array.from({ length: 3 * 2 * 5 }, (_, i) => 100 * Math.floor(i / 10) + 10 * Math.floor((i % 10) / 5) + (i % 5));

  it(`has the direct kernel exactly where expected (${backend})`, () => {
    expect(hasTimeStepKernel()).toBe(backend === 'cpu' || backend === 'wasm');
  });

  it('reads a step as column blocks, adding to the first block', async () => {
    const x = tf.tensor3d(values, [3, 2, 5]);
    const addend = tf.tensor2d([[1, 1], [2, 2]]);
    await expectNoLeaks(async () => {
      // Inside a tidy, as ops use it: the composite's unstack and split intermediates go with it.
      const [a, b] = tf.tidy(() => new Steps(x, [2, 3]).at(1, addend));
      // step 1: rows [100,101,102,103,104] and [110,...,114]; block 0 = cols 0-1 (+addend), block 1 = cols 2-4
      expect(await a!.data()).toBeAllClose([101, 102, 112, 113], { rtol: 0, atol: 0 });
      expect(await b!.data()).toBeAllClose([102, 103, 104, 112, 113, 114], { rtol: 0, atol: 0 });
      tf.dispose([a!, b!]);
    });
    tf.dispose([x, addend]);
  });

  it('applies a per-block affine map (the candidate read as 2s − 1)', async () => {
    const s = tf.tensor2d([[0.5, 0.25, 1], [0, 0.75, 0.5]]);
    const [p, q] = splitColumns(s, [1, 2], { scale: [1, 2], shift: [0, -1] });
    expect(await p!.data()).toBeAllClose([0.5, 0], { rtol: 0, atol: 0 });
    // 2·[0.25, 1, 0.75, 0.5] − 1 = [−0.5, 1, 0.5, 0]
    expect(await q!.data()).toBeAllClose([-0.5, 1, 0.5, 0], { rtol: 0, atol: 1e-7 });
    tf.dispose([s, p!, q!]);
  });

  it('agrees with the composite on random data, every step', async () => {
    if (!hasTimeStepKernel()) return;
    const x = tf.randomNormal([4, 3, 7], 0, 1, 'float32', 7) as tf.Tensor3D;
    const add = tf.randomNormal([3, 4], 0, 1, 'float32', 8);
    const parts = tf.unstack(x) as tf.Tensor2D[];
    for (let t = 0; t < 4; t++) {
      const direct = runTimeStep(x, t, [4, 2, 1], add, { scale: [1, 3, 1], shift: [0, 0.5, 0] });
      const composite = timeStepComposite(parts[t]!, [4, 2, 1], add, { scale: [1, 3, 1], shift: [0, 0.5, 0] });
      for (let p = 0; p < 3; p++) expect(await direct[p]!.data()).toBeAllClose(await composite[p]!.data(), { rtol: 1e-6, atol: 1e-6 });
      tf.dispose([...direct, ...composite]);
    }
    tf.dispose([x, add, ...parts]);
  });
});
