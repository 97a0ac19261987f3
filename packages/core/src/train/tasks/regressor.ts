/**
 * A one-layer recurrent regressor for the synthetic tasks: x [B, T, I] → one recurrent layer →
 * a dense read-out of the last h → ŷ [B, 1], trained on the mean squared error. The cell is an
 * LSTM, a GRU, a tanh RNN or an IRNN (ReLU RNN with the recurrent kernel initialised to the
 * identity, Le et al. 2015), so the lecture's comparisons run on the same task, data and budget.
 *
 * Initialisation, all from one seeded generator (identical on every backend):
 * - input kernels: Glorot uniform; IRNN: N(0, 0.001²) as in Le et al.;
 * - recurrent kernels: orthogonal (Saxe et al. 2014; Keras' default); IRNN: the identity;
 * - biases zero, except the LSTM forget gate at 1 (Gers et al. 2000; Jozefowicz et al. 2015);
 * - read-out: Glorot uniform weights and a bias of `outputBias` (the target mean is a good start).
 */
import * as tf from '@tensorflow/tfjs-core';
import { gru } from '../../ops/gru.js';
import { lstm } from '../../ops/lstm.js';
import { simpleRnn } from '../../ops/simple-rnn.js';
import { Rng } from '../rng.js';
import type { StepContext } from '../context.js';
import type { TrainModel } from '../task.js';

export type CellKind = 'lstm' | 'gru' | 'tanh' | 'irnn';

export interface RegressorConfig {
  cell: CellKind;
  inputSize: number;
  hidden: number;
  seed: number;
  /** Initial read-out bias (default 0). */
  outputBias?: number;
}

/** Glorot (Xavier) uniform: U(−√(6/(fanIn + fanOut)), +…). */
export function glorotUniform(rows: number, cols: number, rng: Rng): Float32Array {
  const limit = Math.sqrt(6 / (rows + cols));
  return Float32Array.from({ length: rows * cols }, () => (2 * rng.next() - 1) * limit);
}

/** A random orthogonal [n, n] matrix: Gram–Schmidt on Gaussian columns (row-major). */
export function orthogonal(n: number, rng: Rng): Float32Array {
  const cols: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const v = Float64Array.from({ length: n }, () => rng.normal());
    for (const q of cols) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += v[i]! * q[i]!;
      for (let i = 0; i < n; i++) v[i]! -= dot * q[i]!;
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) v[i]! /= norm;
    cols.push(v);
  }
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = cols[j]![i]!;
  return out;
}

/** Gate blocks side by side: [H, G·H] from G blocks [H, H] (each orthogonal, as Keras does per gate). */
function blocks(H: number, G: number, make: () => Float32Array): Float32Array {
  const out = new Float32Array(H * G * H);
  for (let g = 0; g < G; g++) {
    const b = make();
    for (let i = 0; i < H; i++) out.set(b.subarray(i * H, (i + 1) * H), i * G * H + g * H);
  }
  return out;
}

/** The regressor: a TrainModel over `{ x, y }` batches, plus its variables and a prediction. */
export interface Regressor extends TrainModel<{ x: tf.Tensor3D; y: tf.Tensor2D }> {
  readonly config: RegressorConfig;
  readonly params: Record<string, tf.Variable>;
  /** ŷ [B, 1] for x [B, T, I]. */
  predict(x: tf.Tensor3D, ctx?: StepContext): tf.Tensor2D;
  dispose(): void;
}

/**
 * Builds a recurrent regressor.
 *
 * @example
 * ```ts
 * const model = recurrentRegressor({ cell: 'lstm', inputSize: 2, hidden: 16, seed: 1, outputBias: 1 });
 * const trainer = new Trainer({ model, data: addingProblem({ batch: 32, length: 50 }), ... });
 * ```
 */
export function recurrentRegressor(config: RegressorConfig): Regressor {
  const { cell, inputSize: I, hidden: H } = config;
  const rng = new Rng(config.seed);
  const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
  const kernel = cell === 'irnn' ? Float32Array.from({ length: I * H }, () => 0.001 * rng.normal()) : glorotUniform(I, G * H, rng);
  const recurrent = cell === 'irnn' ? Float32Array.from({ length: H * H }, (_, k) => (k % (H + 1) === 0 ? 1 : 0)) : blocks(H, G, () => orthogonal(H, rng));
  const bias = new Float32Array(G * H);
  if (cell === 'lstm') bias.fill(1, H, 2 * H); // gate blocks i, f, c, o
  const v = (data: Float32Array, shape: number[], name: string) => tf.tidy(() => tf.variable(tf.tensor(data, shape), true, `${name}_${variableCounter++}`));
  const params = {
    kernel: v(kernel, [I, G * H], 'kernel'),
    recurrentKernel: v(recurrent, [H, G * H], 'recurrentKernel'),
    bias: v(bias, [G * H], 'bias'),
    outW: v(glorotUniform(H, 1, rng), [H, 1], 'outW'),
    outB: v(Float32Array.of(config.outputBias ?? 0), [1], 'outB'),
  };
  const p = {
    kernel: params.kernel as tf.Tensor as tf.Tensor2D,
    recurrentKernel: params.recurrentKernel as tf.Tensor as tf.Tensor2D,
    bias: params.bias as tf.Tensor as tf.Tensor1D,
  };

  /** Runs the cell through ctx.recurrent (so gradient flow can be measured) and returns the last h. */
  const lastHidden = (x: tf.Tensor3D, ctx: StepContext | undefined): tf.Tensor2D => {
    const B = x.shape[0];
    const h0 = { h: tf.zeros([B, H]) as tf.Tensor2D, c: tf.zeros([B, H]) as tf.Tensor2D };
    const run = (xs: tf.Tensor3D, s: { h: tf.Tensor2D; c: tf.Tensor2D }) => {
      if (cell === 'lstm') {
        const o = lstm(xs, p, { h0: s.h, c0: s.c });
        return { sequence: o.sequence, state: { h: o.h, c: o.c } };
      }
      const o = cell === 'gru' ? gru(xs, p, { h0: s.h }) : simpleRnn(xs, p, { h0: s.h, activation: cell === 'irnn' ? 'relu' : 'tanh' });
      return { sequence: o.sequence, state: { h: o.h, c: s.c } };
    };
    return ctx ? ctx.recurrent(cell, x, h0, run).state.h : run(x, h0).state.h;
  };

  const predict = (x: tf.Tensor3D, ctx?: StepContext) => tf.add(tf.matMul(lastHidden(x, ctx), params.outW), params.outB) as tf.Tensor2D;

  return {
    config,
    params,
    predict,
    loss: (batch, _state, ctx) => ({ loss: tf.losses.meanSquaredError(batch.y, predict(batch.x, ctx)) as tf.Scalar }),
    dispose: () => tf.dispose(Object.values(params)),
  };
}

let variableCounter = 0;
