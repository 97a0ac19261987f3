/**
 * The Trainer's loop: the NaN/Inf guard, validation with best tracking and early stopping, the
 * callback sequence, and memory over many steps with every feature on.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends, expectNoLeaks } from '../testing/index.js';
import { decodeCheckpoint, MemoryCheckpointStore } from './checkpoint.js';
import { Trainer } from './trainer.js';
import type { TrainData, TrainModel } from './task.js';
import type { TrainerCallback } from './trainer-types.js';
import { TokenStreams } from './streams.js';
import { tinyLm } from './tasks/tiny-lm.js';

type Pair = { x: tf.Tensor2D; y: tf.Tensor2D };

/** ŷ = x·w for x [4, 2], w [2, 1]; MSE. */
function linearModel(): TrainModel<Pair> & { w: tf.Variable } {
  const w = tf.tidy(() => tf.variable(tf.tensor2d([[0.5], [-0.5]])));
  return { w, params: { w }, loss: (b) => ({ loss: tf.losses.meanSquaredError(b.y, tf.matMul(b.x, w)) as tf.Scalar }) };
}

/** y = slope·(x₀ + x₁) on fixed inputs; `poison(p)` puts a NaN or Inf into batch p's inputs. */
function linearData(slope: number, poison: (p: number) => number | undefined = () => undefined): TrainData<Pair> {
  return {
    batch(p) {
      const x = [1, 2, -1, 0.5, 0.3, -2, 2, 1].map((v, i) => v * (1 + ((p * 3 + i) % 5) / 10));
      const bad = poison(p);
      if (bad !== undefined) x[3] = bad;
      const y = [0, 1, 2, 3].map((r) => slope * (x[2 * r]! + x[2 * r + 1]!));
      return { x: tf.tensor2d(x, [4, 2]), y: tf.tensor2d(y, [4, 1]) };
    },
  };
}

describeBackends('Trainer', () => {
  it('skips the update on a NaN or Inf, reports the step, and stops after repeated failures', async () => {
    await expectNoLeaks(async () => {
      const model = linearModel();
      // Positions (0-based) 2 → NaN, 5, 6, 7 → Inf, NaN, NaN: steps 3, 6, 7, 8 (1-based) are skipped.
      const poison = (p: number) => (p === 2 || p >= 6 ? Number.NaN : p === 5 ? Infinity : undefined);
      const weights: number[][] = [];
      const events: { step: number; consecutive: number; stopping: boolean }[] = [];
      const trainer = new Trainer({
        model, data: linearData(1, poison), steps: 20, seed: 1, optimizer: { kind: 'sgd' }, learningRate: 0.05, maxConsecutiveNonFinite: 3,
        callbacks: [{
          onStep: async () => void weights.push(Array.from(await model.w.data())),
          onNonFinite: (e) => void events.push({ step: e.step, consecutive: e.consecutive, stopping: e.stopping }),
        }],
      });
      const summary = await trainer.run();
      expect(events).toEqual([
        { step: 3, consecutive: 1, stopping: false },
        { step: 6, consecutive: 1, stopping: false },
        { step: 7, consecutive: 2, stopping: false },
        { step: 8, consecutive: 3, stopping: true },
      ]);
      expect(summary).toMatchObject({ step: 8, reason: 'non-finite', updates: 4, skipped: 4 });
      // The skipped steps left the weights exactly as they were; the others moved them.
      expect(weights[2]).toEqual(weights[1]);
      expect(weights[7]).toEqual(weights[4]);
      expect(weights[3]).not.toEqual(weights[2]);
      expect(weights.flat().every(Number.isFinite)).toBe(true);
      trainer.dispose();
      model.w.dispose();
    });
  });

  it('tracks the best validation loss, saves "best", and stops early after `patience` evaluations', async () => {
    await expectNoLeaks(async () => {
      // Training pulls w towards slope +1, validation wants −1: validation gets worse after the first evaluation.
      const model = linearModel();
      const store = new MemoryCheckpointStore();
      const order: string[] = [];
      const log: TrainerCallback = {
        onStart: (e) => void order.push(`start ${e.step}`),
        onValidation: (v) => void order.push(`validation ${v.step} ${v.improved ? 'best' : v.sinceImprovement}`),
        onCheckpoint: (c) => void order.push(`checkpoint ${c.name} ${c.step}`),
        onEnd: (s) => void order.push(`end ${s.reason} ${s.step}`),
      };
      const trainer = new Trainer({
        model, data: linearData(1), steps: 100, seed: 1, optimizer: { kind: 'sgd', momentum: 0.5 }, learningRate: 0.02,
        validation: { data: linearData(-1), batches: 2, every: 2 }, earlyStopping: { patience: 3 },
        checkpoints: { store, every: 4 }, callbacks: [log],
      });
      const summary = await trainer.run();
      expect(order).toEqual([
        'start 0',
        'validation 2 best', 'checkpoint best 2',
        'validation 4 1', 'checkpoint last 4',
        'validation 6 2',
        'validation 8 3', 'checkpoint last 8',
        'end early-stopping 8',
      ]);
      expect(summary.bestStep).toBe(2);
      const best = decodeCheckpoint((await store.read('best'))!);
      expect(best.meta.step).toBe(2);
      expect(best.meta.bestValidationLoss).toBe(summary.bestValidationLoss);
      trainer.dispose();
      model.w.dispose();
    });
  });

  it('stops on request and on a time limit, after the step in progress', async () => {
    await expectNoLeaks(async () => {
      const model = linearModel();
      const base = { model, data: linearData(1), steps: 50, seed: 1, optimizer: { kind: 'sgd' as const }, learningRate: 0.01 };
      const a: Trainer<Pair> = new Trainer({ ...base, callbacks: [{ onStep: (m) => void (m.step === 3 && a.stop()) }] });
      expect(await a.run()).toMatchObject({ step: 3, reason: 'requested' });
      const b = new Trainer({ ...base, timeLimitSeconds: 1e-9 });
      expect(await b.run()).toMatchObject({ step: 1, reason: 'time-limit' });
      expect(await b.run({ until: 4 })).toMatchObject({ step: 2, reason: 'time-limit' }); // a second run() continues
      expect(() => new Trainer({ ...base, timeLimitSeconds: 0 })).toThrow(/timeLimitSeconds must be a positive finite number, got 0/);
      expect(() => new Trainer({ ...base, earlyStopping: { patience: 2 } })).toThrow(/earlyStopping needs validation/);
      a.dispose();
      b.dispose();
      model.w.dispose();
    });
  });

  it('leaks nothing over many steps with every feature on', async () => {
    const ids = Int32Array.from({ length: 200 }, (_, i) => (i * i + 3 * i) % 13);
    const model = tinyLm({ vocab: 13, embedding: 6, hidden: 8, seed: 2, dropout: 0.2 });
    await expectNoLeaks(async () => {
      const live: number[] = [];
      const trainer = new Trainer({
        model, data: new TokenStreams(ids, { batch: 3, steps: 8 }), steps: 24, seed: 5,
        optimizer: { kind: 'adam' }, learningRate: (s) => 0.01 / (1 + s), clipNorm: 0.5, clipValue: 0.1,
        validation: { data: new TokenStreams(ids.subarray(100), { batch: 2, steps: 8 }), batches: 2, every: 10 },
        checkpoints: { store: new MemoryCheckpointStore(), every: 7 }, gradientFlowEvery: 5,
        callbacks: [{ onStep: (m) => void (m.step % 8 === 0 && live.push(tf.memory().numTensors)) }],
      });
      const summary = await trainer.run();
      expect(summary.step).toBe(24); // 24 steps span 3 passes over the streams (8 batches each): state resets included
      expect(new Set(live).size).toBe(1); // flat: steps 8, 16 and 24 hold the same number of tensors
      trainer.dispose();
    });
    model.dispose();
  });
});
