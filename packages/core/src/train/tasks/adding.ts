/**
 * The adding problem (Hochreiter & Schmidhuber 1997, experiment 4; the form of Le, Jaitly &
 * Hinton 2015): a sequence of T pairs (value, marker); values uniform in [0, 1); exactly two
 * markers are 1, one in the first half and one in the second; the target is the sum of the two
 * marked values. The first marked value must be remembered for ≥ T/2 steps, so a model that
 * cannot carry information that far can do no better than predict the mean, 1, with
 * MSE = Var(u₁ + u₂) = 2 · 1/12 ≈ 0.167.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../rng.js';
import type { TrainData } from '../task.js';

/** x [B, T, 2] (value, marker) and y [B, 1] (the sum of the two marked values). */
export interface AddingBatch {
  x: tf.Tensor3D;
  y: tf.Tensor2D;
}

/** MSE of always predicting the mean, 1: Var(u₁ + u₂) = 1/6. */
export const ADDING_BASELINE_MSE = 1 / 6;

/**
 * Fresh random adding-problem batches, drawn from the trainer's generator.
 *
 * @example
 * ```ts
 * const data = addingProblem({ batch: 32, length: 50 });
 * const { x, y } = data.batch(0, new Rng(1)); // [32, 50, 2], [32, 1]
 * ```
 */
export function addingProblem(o: { batch: number; length: number }): TrainData<AddingBatch> {
  const { batch: B, length: T } = o;
  if (!(Number.isInteger(T) && T >= 2)) throw new Error(`addingProblem: length must be an integer ≥ 2, got ${T}`);
  if (!(Number.isInteger(B) && B >= 1)) throw new Error(`addingProblem: batch must be a positive integer, got ${B}`);
  const half = Math.floor(T / 2);
  return {
    tokensPerBatch: B * T,
    batch(_position: number, rng: Rng): AddingBatch {
      const x = new Float32Array(B * T * 2);
      const y = new Float32Array(B);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) x[(b * T + t) * 2] = rng.next();
        const i = rng.int(half);
        const j = half + rng.int(T - half);
        x[(b * T + i) * 2 + 1] = 1;
        x[(b * T + j) * 2 + 1] = 1;
        y[b] = x[(b * T + i) * 2]! + x[(b * T + j) * 2]!;
      }
      return { x: tf.tensor3d(x, [B, T, 2]), y: tf.tensor2d(y, [B, 1]) };
    },
  };
}
