/**
 * The smallest complete next-token model for the trainer: one-hot·E embedding → `ops.lstm`
 * (through `ctx.recurrent`, state carried between batches) → dropout from the seeded generator →
 * dense softmax head. It is the shape of models/charlm in a few lines, and what the trainer's
 * own tests (truncated BPTT, resume, leaks) run on.
 */
import * as tf from '@tensorflow/tfjs-core';
import { lstm } from '../../ops/lstm.js';
import { Rng } from '../rng.js';
import type { StepContext } from '../context.js';
import type { TrainModel } from '../task.js';
import type { TokenBatch } from '../streams.js';
import { glorotUniform } from './regressor.js';

/** The carried state: h and c, each [B, H]. */
export type LmState = { h: tf.Tensor2D; c: tf.Tensor2D };

export interface TinyLmConfig {
  vocab: number;
  embedding: number;
  hidden: number;
  seed: number;
  /** Dropout on the LSTM outputs while training (default 0). */
  dropout?: number;
}

export interface TinyLm extends TrainModel<TokenBatch, LmState> {
  readonly params: Record<string, tf.Variable>;
  dispose(): void;
}

/**
 * @example
 * ```ts
 * const model = tinyLm({ vocab: 12, embedding: 8, hidden: 16, seed: 1, dropout: 0.1 });
 * const trainer = new Trainer({ model, data: new TokenStreams(ids, { batch: 4, steps: 10 }), ... });
 * ```
 */
export function tinyLm(config: TinyLmConfig): TinyLm {
  const { vocab: V, embedding: E, hidden: H } = config;
  const rng = new Rng(config.seed);
  const bias = new Float32Array(4 * H).fill(1, H, 2 * H);
  const v = (data: Float32Array, shape: number[]) => tf.tidy(() => tf.variable(tf.tensor(data, shape)));
  const params = {
    embed: v(glorotUniform(V, E, rng), [V, E]),
    kernel: v(glorotUniform(E, 4 * H, rng), [E, 4 * H]),
    recurrentKernel: v(glorotUniform(H, 4 * H, rng), [H, 4 * H]),
    bias: v(bias, [4 * H]),
    headW: v(glorotUniform(H, V, rng), [H, V]),
    headB: v(new Float32Array(V), [V]),
  };
  const p = { kernel: params.kernel as tf.Tensor2D, recurrentKernel: params.recurrentKernel as tf.Tensor2D, bias: params.bias as tf.Tensor1D };
  const loss = (batch: TokenBatch, state: LmState | undefined, ctx: StepContext) => {
    const [B, T] = batch.x.shape;
    // oneHot·E rather than gather: gather's gradient has no wasm kernel.
    const x = tf.reshape(tf.matMul(tf.oneHot(tf.reshape(batch.x, [-1]) as tf.Tensor1D, V), params.embed), [B, T, E]) as tf.Tensor3D;
    const s0 = state ?? { h: tf.zeros([B, H]) as tf.Tensor2D, c: tf.zeros([B, H]) as tf.Tensor2D };
    const r = ctx.recurrent('lstm', x, s0, (xs, s) => {
      const o = lstm(xs, p, { h0: s.h, c0: s.c });
      return { sequence: o.sequence, state: { h: o.h, c: o.c } };
    });
    const y = ctx.dropout(r.sequence, config.dropout ?? 0);
    const logits = tf.add(tf.matMul(tf.reshape(y, [B * T, H]), params.headW), params.headB);
    const labels = tf.oneHot(tf.reshape(batch.y, [-1]) as tf.Tensor1D, V);
    return { loss: tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar, state: r.state };
  };
  return { params, loss, dispose: () => tf.dispose(Object.values(params)) };
}
