/**
 * The tf.train optimizers as the trainer drives them: the learning rate changed between steps
 * takes effect (hand-computed updates), epsilon is what the config says on every backend, and a
 * save/restore continues bit-for-bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends, expectNoLeaks } from '../testing/index.js';
import { createOptimizer, disposeOptimizer, getLearningRate, optimizerState, resolveOptimizerConfig, restoreOptimizerState, setLearningRate, type OptimizerConfig } from './optimizers.js';

/** Two steps on w = [1, −2] with gradient g = [0.5, 4]: lr 0.1 for the first, 0.01 for the second. */
async function twoSteps(config: OptimizerConfig): Promise<{ first: number[]; second: number[] }> {
  const w = tf.variable(tf.tensor1d([1, -2]));
  const g = tf.tensor1d([0.5, 4]);
  const opt = createOptimizer(config, 0.1);
  try {
    const w0 = Array.from(await w.data());
    opt.applyGradients([{ name: w.name, tensor: g }]);
    const w1 = Array.from(await w.data());
    setLearningRate(opt, 0.01);
    expect(getLearningRate(opt)).toBe(0.01);
    opt.applyGradients([{ name: w.name, tensor: g }]);
    const w2 = Array.from(await w.data());
    return { first: w1.map((v, i) => v - w0[i]!), second: w2.map((v, i) => v - w1[i]!) };
  } finally {
    disposeOptimizer(opt);
    tf.dispose([w, g]);
  }
}

describeBackends('optimizers', (backend) => {
  const rtol = backend === 'webgl' || backend === 'webgpu' ? 1e-3 : 1e-5;
  const g = [0.5, 4];

  it('SGD: Δw = −lr·g, and the new rate applies at the next step', async () => {
    const r = await twoSteps({ kind: 'sgd' });
    expect(r.first).toBeAllClose(g.map((x) => -0.1 * x), { rtol });
    expect(r.second).toBeAllClose(g.map((x) => -0.01 * x), { rtol }); // assigning .learningRate alone would give −0.1·g
  });

  it("the trap setLearningRate avoids: assigning SGD's learningRate field alone changes nothing", async () => {
    const w = tf.tidy(() => tf.variable(tf.tensor1d([1])));
    const g = tf.tensor1d([2]);
    const opt = tf.train.sgd(0.1);
    (opt as unknown as { learningRate: number }).learningRate = 0.01;
    opt.applyGradients([{ name: w.name, tensor: g }]);
    expect(Array.from(await w.data())).toBeAllClose([1 - 0.1 * 2], { rtol }); // still 0.1: the rate lives in a cached scalar
    disposeOptimizer(opt);
    tf.dispose([w, g]);
  });

  it('momentum: v ← m·v + g, Δw = −lr·v, with the rate changed between steps', async () => {
    const r = await twoSteps({ kind: 'sgd', momentum: 0.9 });
    // step 1: v = g, Δw = −0.1·g; step 2: v = 1.9·g, Δw = −0.01·1.9·g
    expect(r.first).toBeAllClose(g.map((x) => -0.1 * x), { rtol });
    expect(r.second).toBeAllClose(g.map((x) => -0.019 * x), { rtol });
  });

  it('RMSprop: ms ← ρ·ms + (1−ρ)·g², Δw = −lr·g/√(ms + ε)', async () => {
    const eps = 1e-3; // large enough to be visible in float32
    const r = await twoSteps({ kind: 'rmsprop', decay: 0.9, epsilon: eps });
    const ms1 = g.map((x) => 0.1 * x * x);
    const ms2 = ms1.map((m, i) => 0.9 * m + 0.1 * g[i]! ** 2);
    expect(r.first).toBeAllClose(g.map((x, i) => (-0.1 * x) / Math.sqrt(ms1[i]! + eps)), { rtol });
    expect(r.second).toBeAllClose(g.map((x, i) => (-0.01 * x) / Math.sqrt(ms2[i]! + eps)), { rtol });
  });

  it('Adam: Δw = −lr·m̂/(√v̂ + ε) with the configured ε, whatever the backend', async () => {
    const eps = 0.5; // exaggerated so that using the backend's own epsilon would show
    const r = await twoSteps({ kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: eps });
    // step 1: m̂ = g, v̂ = g²; step 2: m = 0.19·g, v = 0.001999·g², m̂ = m/(1−0.81), v̂ = v/(1−0.998001) = g²
    const step = (lr: number) => g.map((x) => (-lr * x) / (Math.abs(x) + eps));
    // float32 bias corrections cancel digits (1 − 0.998001 keeps ~4 of them), hence 1e-4.
    expect(r.first).toBeAllClose(step(0.1), { rtol: Math.max(rtol, 1e-4) });
    expect(r.second).toBeAllClose(step(0.01), { rtol: Math.max(rtol, 1e-4) });
  });

  it('fills defaults in one place and rejects bad values', () => {
    expect(resolveOptimizerConfig({ kind: 'adam' })).toEqual({ kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expect(resolveOptimizerConfig({ kind: 'rmsprop' })).toEqual({ kind: 'rmsprop', decay: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
    expect(() => resolveOptimizerConfig({ kind: 'adam', beta1: 1 })).toThrow(/beta1 must be in \[0, 1\), got 1/);
    expect(() => resolveOptimizerConfig({ kind: 'sgd', nesterov: true })).toThrow(/nesterov needs momentum > 0/);
    expect(() => createOptimizer({ kind: 'sgd' }, Number.NaN)).toThrow(/learning rate must be a finite number ≥ 0, got NaN/);
  });

  for (const config of [{ kind: 'adam' }, { kind: 'rmsprop', momentum: 0.5, centered: true }, { kind: 'sgd', momentum: 0.9, nesterov: true }] as OptimizerConfig[]) {
    it(`${config.kind}: save after 3 steps, restore into a fresh optimizer, next steps are bit-identical`, async () => {
      await expectNoLeaks(async () => {
        const grads = [tf.tensor1d([0.3, -1.2, 2]), tf.tensor1d([-0.7, 0.1, 0.4]), tf.tensor1d([1.1, 0.9, -0.2]), tf.tensor1d([0.05, -0.3, 0.8])];
        const run = async (restoreAfter?: number) => {
          const w = tf.tidy(() => tf.variable(tf.tensor1d([0.5, 0.25, -1])));
          let opt = createOptimizer(config, 0.05);
          for (const [i, g] of grads.entries()) {
            if (i === restoreAfter) {
              const saved = await optimizerState(opt, (n) => n.replace(w.name, 'w'));
              disposeOptimizer(opt);
              opt = createOptimizer(config, 0.05);
              await restoreOptimizerState(opt, saved, (n) => n.replace(/^w\//, `${w.name}/`));
            }
            opt.applyGradients([{ name: w.name, tensor: g }]);
          }
          const out = Array.from(await w.data());
          disposeOptimizer(opt);
          w.dispose();
          return out;
        };
        const straight = await run();
        const resumed = await run(3);
        expect(resumed).toEqual(straight); // exact, not close
        tf.dispose(grads);
      });
    });
  }
});
