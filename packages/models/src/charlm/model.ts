/**
 * A character-level LSTM language model in the spirit of char-rnn: embedding → L stacked
 * `ops.lstm` layers → dense softmax head over the vocabulary at every step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ops } from '@recurrent/core';

export interface CharLstmConfig {
  vocabSize: number;
  embedding: number;
  hidden: number;
  layers: number;
  /** Seed for the initial weights. */
  seed: number;
}

/** Per-layer recurrent state: h and c, each [B, H]. */
export type LstmState = { h: tf.Tensor2D; c: tf.Tensor2D }[];

export class CharLstm {
  readonly embed: tf.Variable;
  readonly layers: { kernel: tf.Variable; recurrentKernel: tf.Variable; bias: tf.Variable }[] = [];
  readonly headW: tf.Variable;
  readonly headB: tf.Variable;

  constructor(readonly config: CharLstmConfig) {
    const { vocabSize: V, embedding: E, hidden: H, layers: L, seed } = config;
    // char-rnn's initialisation: uniform ±0.08 everywhere, forget-gate bias 1.
    const u = (shape: number[], s: number) => tf.variable(tf.randomUniform(shape, -0.08, 0.08, 'float32', seed * 1000 + s));
    this.embed = u([V, E], 1);
    for (let l = 0; l < L; l++) {
      const bias = new Float32Array(4 * H);
      bias.fill(1, H, 2 * H);
      this.layers.push({ kernel: u([l === 0 ? E : H, 4 * H], 10 + l), recurrentKernel: u([H, 4 * H], 20 + l), bias: tf.variable(tf.tensor1d(bias)) });
    }
    this.headW = u([H, V], 2);
    this.headB = tf.variable(tf.zeros([V]));
  }

  get variables(): tf.Variable[] {
    return [this.embed, ...this.layers.flatMap((l) => [l.kernel, l.recurrentKernel, l.bias]), this.headW, this.headB];
  }

  zeroState(batch: number): LstmState {
    return this.layers.map(() => ({ h: tf.zeros([batch, this.config.hidden]), c: tf.zeros([batch, this.config.hidden]) }));
  }

  /** Logits [B·T, V] for ids [B, T], and the state after the last step. */
  forward(ids: tf.Tensor2D, state: LstmState): { logits: tf.Tensor2D; state: LstmState } {
    const [B, T] = ids.shape;
    // The embedding lookup as oneHot·E: gather's gradient (UnsortedSegmentSum) has no wasm kernel.
    const oneHot = tf.oneHot(tf.reshape(ids, [-1]) as tf.Tensor1D, this.config.vocabSize);
    let x = tf.reshape(tf.matMul(oneHot, this.embed), [B, T, this.config.embedding]) as tf.Tensor3D;
    const next: LstmState = [];
    this.layers.forEach((p, l) => {
      const s = state[l]!;
      const out = ops.lstm(x, { kernel: p.kernel as tf.Tensor2D, recurrentKernel: p.recurrentKernel as tf.Tensor2D, bias: p.bias as tf.Tensor1D }, { h0: s.h, c0: s.c });
      next.push({ h: out.h, c: out.c });
      x = out.sequence;
    });
    const flat = tf.reshape(x, [B * T, this.config.hidden]) as tf.Tensor2D;
    return { logits: tf.add(tf.matMul(flat, this.headW), this.headB) as tf.Tensor2D, state: next };
  }

  /** Mean cross-entropy in nats per character of predicting y [B, T] from x [B, T]. */
  loss(x: tf.Tensor2D, y: tf.Tensor2D, state: LstmState): { loss: tf.Scalar; state: LstmState } {
    const { logits, state: next } = this.forward(x, state);
    const labels = tf.oneHot(tf.reshape(y, [-1]) as tf.Tensor1D, this.config.vocabSize);
    return { loss: tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar, state: next };
  }

  dispose(): void {
    tf.dispose(this.variables);
  }
}
