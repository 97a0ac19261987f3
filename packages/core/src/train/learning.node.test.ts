/**
 * The lecture's claims, shown by training (seeded, bounded in time; on wasm, Node only because of
 * the time budget, not because of Node APIs).
 *
 * The adding problem with T = 50 (tasks/adding.ts): predicting the mean scores MSE 1/6 ≈ 0.167;
 * "learned" means MSE < 0.01 on 1,000 held-out sequences (≈ 17× better, which needs the first
 * marked value carried for ≥ 25 steps). All cells: H = 16 (IRNN 32), batch 32 (IRNN 64), Adam,
 * global-norm clipping at 1, the same seeded data stream.
 *
 * 1. LSTM and GRU learn it within their budget.
 * 2. A tanh RNN trained exactly like the LSTM (same task, data, optimiser, learning rate and
 *    number of steps) stays at the mean's error; an IRNN (ReLU, identity recurrent init; Le et
 *    al. 2015) learns it, with a smaller learning rate and a warm-up (ReLU units die under
 *    Adam's first full-size steps at 1e-2).
 * 3. The gradient-flow diagnostic shows why: after the same training, the tanh RNN's ‖∂E/∂h_k‖
 *    shrinks geometrically with the distance T−1−k from the loss, while the LSTM's stays flat.
 *
 * Every claim was checked on seeds 1, 2 and 3 (RECURRENT_LEARNING_SEED=n), held-out MSE:
 *     LSTM 800 steps 0.0009 / 0.0023 / 0.0012     GRU 600 steps  0.0009 / 0.0042 / 0.0018
 *     tanh 800 steps 0.166  / 0.160  / 0.162      IRNN 3000 steps 0.0010 / 0.0007 / 0.0048
 * and ‖∂E/∂h_k‖ per step of distance (10 → 49): tanh 0.77 / 0.79 / 0.71, LSTM 1.00 / 1.00 / 1.00;
 * at k = 0 (relative to k = T−1): tanh 2e-6 / 2e-6 / 9e-9, LSTM 0.13 / 0.22 / 0.14.
 * The suite runs seed 1: 52 s on the project's 2-core machine while shared with other jobs (LSTM 9 s,
 * GRU 9 s, tanh 6 s, IRNN 28 s; the gradient-flow test reuses the trained LSTM and tanh RNN).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '../testing/index.js';
import { measureGradientFlow } from './context.js';
import { Rng } from './rng.js';
import { constant, warmup } from './schedules.js';
import { Trainer } from './trainer.js';
import { addingProblem, ADDING_BASELINE_MSE, type AddingBatch } from './tasks/adding.js';
import { recurrentRegressor, type CellKind } from './tasks/regressor.js';

const T = 50;
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
/** RECURRENT_LEARNING_SEED re-runs the claims on another seed; RECURRENT_LEARNING_VERBOSE prints the figures. */
const SEED = Number(env.RECURRENT_LEARNING_SEED ?? 1);

interface Plan {
  steps: number;
  learningRate: number;
  warmup?: number;
  hidden: number;
  batch: number;
}

/** LSTM, GRU and tanh share one plan; the IRNN needs a gentler start. */
const PLANS: Record<CellKind, Plan> = {
  lstm: { steps: 800, learningRate: 1e-2, hidden: 16, batch: 32 },
  gru: { steps: 600, learningRate: 1e-2, hidden: 16, batch: 32 },
  tanh: { steps: 800, learningRate: 1e-2, hidden: 16, batch: 32 },
  irnn: { steps: 3000, learningRate: 1e-3, warmup: 200, hidden: 32, batch: 64 },
};

interface Outcome {
  mse: number;
  /** ‖∂E/∂h_k‖ / ‖∂E/∂h_{T−1}‖ for k = 0..T−1 after training. */
  flow: number[];
  seconds: number;
}

let held: { test: AddingBatch; probe: AddingBatch } | undefined;
const outcomes = new Map<CellKind, Promise<Outcome>>();

/** Trains `cell` once per file (the gradient-flow test reuses the models of the learning tests). */
function outcome(cell: CellKind): Promise<Outcome> {
  let o = outcomes.get(cell);
  if (o === undefined) {
    o = train(cell);
    outcomes.set(cell, o);
  }
  return o;
}

async function train(cell: CellKind): Promise<Outcome> {
  held ??= {
    test: addingProblem({ batch: 1000, length: T }).batch(0, new Rng(31337)),
    probe: addingProblem({ batch: 256, length: T }).batch(0, new Rng(4242)),
  };
  const plan = PLANS[cell];
  const start = performance.now();
  const model = recurrentRegressor({ cell, inputSize: 2, hidden: plan.hidden, seed: SEED, outputBias: 1 });
  const trainer = new Trainer({
    model, data: addingProblem({ batch: plan.batch, length: T }), steps: plan.steps, seed: SEED,
    optimizer: { kind: 'adam' }, clipNorm: 1,
    learningRate: plan.warmup ? warmup(plan.warmup, constant(plan.learningRate)) : plan.learningRate,
  });
  try {
    await trainer.run();
    const mse = tf.tidy(() => tf.losses.meanSquaredError(held!.test.y, model.predict(held!.test.x)));
    const value = (await mse.data())[0]!;
    mse.dispose();
    const norms = (await measureGradientFlow(model, held.probe, undefined, new Rng(1))).layers[0]!.norms;
    const o = { mse: value, flow: norms.map((n) => n / norms[T - 1]!), seconds: (performance.now() - start) / 1000 };
    if (env.RECURRENT_LEARNING_VERBOSE) {
      const flow = [0, 10, 25, 39, 49].map((k) => `k=${k}: ${o.flow[k]!.toExponential(1)}`).join(', ');
      console.log(`${cell} seed ${SEED}: MSE ${o.mse.toFixed(4)} after ${plan.steps} steps in ${o.seconds.toFixed(1)} s; decay/step ${decayPerStep(o.flow).toFixed(3)}; flow ${flow}`);
    }
    return o;
  } finally {
    trainer.dispose();
    model.dispose();
  }
}

/** Geometric-mean factor by which ‖∂E/∂h_k‖ changes per step of distance, from distance 10 to 49. */
const decayPerStep = (flow: number[]) => (flow[0]! / flow[T - 11]!) ** (1 / 39);

describeBackends('learning the adding problem, T = 50', () => {
  it('the LSTM learns it: held-out MSE < 0.01 (predicting the mean: 0.167)', async () => {
    const o = await outcome('lstm');
    expect(o.mse).toBeLessThan(0.01);
    expect(ADDING_BASELINE_MSE / o.mse).toBeGreaterThan(16);
  });

  it('the GRU learns it: held-out MSE < 0.01', async () => {
    expect((await outcome('gru')).mse).toBeLessThan(0.01);
  });

  it('a tanh RNN trained exactly like the LSTM fails: held-out MSE stays above 0.1', async () => {
    const [tanh, lstm] = await Promise.all([outcome('tanh'), outcome('lstm')]);
    expect(tanh.mse).toBeGreaterThan(0.1);
    expect(lstm.mse).toBeLessThan(0.01);
  });

  it('an IRNN (ReLU, identity recurrent init) learns it: held-out MSE < 0.01', async () => {
    expect((await outcome('irnn')).mse).toBeLessThan(0.01);
  });

  it("gradient flow: the tanh RNN's ‖∂E/∂h_k‖ decays with distance far faster than the LSTM's", async () => {
    const [tanh, lstm] = await Promise.all([outcome('tanh'), outcome('lstm')]);
    // Per step of distance: the tanh RNN loses a constant fraction (vanishing, geometric) …
    expect(decayPerStep(tanh.flow)).toBeLessThan(0.9);
    // … the LSTM keeps its signal (the cell state's constant error flow).
    expect(decayPerStep(lstm.flow)).toBeGreaterThan(0.97);
    // At the first marker's distance (up to 49 steps) the gap is orders of magnitude.
    expect(tanh.flow[0]!).toBeLessThan(1e-3 * lstm.flow[0]!);
  });
}, { only: ['wasm'] });
