/**
 * A character-level language model in the spirit of char-rnn: one-hot·E embedding → L stacked
 * recurrent layers (`ops.lstm`, `ops.gru` or `ops.simpleRnn`, each with its hand-written BPTT) with
 * dropout between layers and before the head → dense softmax over the vocabulary at every step.
 *
 *   e_t = E[x_t]                        E: [V, Emb]
 *   h¹_t = cell¹(h¹_{t−1}, e_t)          h^l_t = cell^l(h^l_{t−1}, drop(h^{l−1}_t))
 *   p(x_{t+1} | x_≤t) = softmax(drop(h^L_t) W + b)        W: [H, V]
 *
 * The model plugs into the core Trainer (`trainModel()`): its loss runs every layer through
 * `ctx.recurrent` and draws dropout masks from `ctx.dropout`, so runs are seeded and resumable.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ops, Rng, type StepContext, type TrainModel, type TokenBatch } from '@recurrent/core';

export const CELLS = ['lstm', 'gru', 'rnn'] as const;
export type CharCell = (typeof CELLS)[number];

export interface CharRnnConfig {
  vocabSize: number;
  cell: CharCell;
  layers: number;
  hidden: number;
  embedding: number;
  /** Dropout rate between layers and before the head, while training. */
  dropout: number;
  /** Seed of the initial weights. */
  seed: number;
}

/** One layer's carried state: h (and c for an LSTM), each [B, H]. */
export type LayerState = { h: tf.Tensor2D; c: tf.Tensor2D } | { h: tf.Tensor2D };
export type CharState = LayerState[];

/** Gate blocks per cell: LSTM i, f, c, o; GRU z, r, h; simple RNN one. */
const GATES: Record<CharCell, number> = { lstm: 4, gru: 3, rnn: 1 };

/** Checks a config, naming the field and the value found. */
export function validateConfig(c: CharRnnConfig): void {
  const int = (name: keyof CharRnnConfig, min: number) => {
    const v = c[name];
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min)) throw new Error(`CharRnn: ${name} must be an integer ≥ ${min}, got ${String(v)}`);
  };
  int('vocabSize', 2);
  int('layers', 1);
  int('hidden', 1);
  int('embedding', 1);
  int('seed', 0);
  if (!CELLS.includes(c.cell)) throw new Error(`CharRnn: cell must be one of ${CELLS.join(', ')}, got "${String(c.cell)}"`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`CharRnn: dropout must be in [0, 1), got ${c.dropout}`);
}

/**
 * @example
 * ```ts
 * const model = new CharRnn({ vocabSize: 65, cell: 'lstm', layers: 2, hidden: 256, embedding: 64, dropout: 0.1, seed: 1 });
 * const trainer = new Trainer({ model: model.trainModel(), data: new TokenStreams(ids, { batch: 32, steps: 64 }), ... });
 * ```
 */
export class CharRnn {
  /** Trainable variables by stable name ("embed", "l0.kernel", …, "head.bias"): checkpoint and file keys. */
  readonly params: Record<string, tf.Variable>;

  constructor(readonly config: CharRnnConfig) {
    validateConfig(config);
    const { vocabSize: V, embedding: E, hidden: H, layers: L, cell } = config;
    const G = GATES[cell];
    // char-rnn's initialisation: uniform ±0.08 from a seeded host generator (identical on every
    // backend), zero biases except the LSTM forget gate at 1.
    const rng = new Rng(config.seed);
    const v = (shape: number[], fill?: (i: number) => number) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, (_, i) => (fill ? fill(i) : (2 * rng.next() - 1) * 0.08));
      return tf.tidy(() => tf.variable(tf.tensor(data, shape)));
    };
    const params: Record<string, tf.Variable> = { embed: v([V, E]) };
    for (let l = 0; l < L; l++) {
      params[`l${l}.kernel`] = v([l === 0 ? E : H, G * H]);
      params[`l${l}.recurrentKernel`] = v([H, G * H]);
      params[`l${l}.bias`] = v([G * H], (i) => (cell === 'lstm' && i >= H && i < 2 * H ? 1 : 0));
    }
    params['head.kernel'] = v([H, V]);
    params['head.bias'] = v([V], () => 0);
    this.params = params;
  }

  /** All zeros: the state before the first character. */
  zeroState(batch: number): CharState {
    const H = this.config.hidden;
    return Array.from({ length: this.config.layers }, () =>
      this.config.cell === 'lstm' ? { h: tf.zeros([batch, H]) as tf.Tensor2D, c: tf.zeros([batch, H]) as tf.Tensor2D } : { h: tf.zeros([batch, H]) as tf.Tensor2D },
    );
  }

  private p(name: string): tf.Tensor {
    const t = this.params[name];
    if (t === undefined) throw new Error(`CharRnn: no parameter "${name}"`);
    return t;
  }

  /** One layer over x [B, T, I] from state s. */
  private layer(l: number, x: tf.Tensor3D, s: LayerState): { sequence: tf.Tensor3D; state: LayerState } {
    const kernel = this.p(`l${l}.kernel`) as tf.Tensor2D;
    const recurrentKernel = this.p(`l${l}.recurrentKernel`) as tf.Tensor2D;
    const bias = this.p(`l${l}.bias`) as tf.Tensor1D;
    switch (this.config.cell) {
      case 'lstm': {
        const c0 = 'c' in s ? s.c : (tf.zerosLike(s.h) as tf.Tensor2D);
        const o = ops.lstm(x, { kernel, recurrentKernel, bias }, { h0: s.h, c0 });
        return { sequence: o.sequence, state: { h: o.h, c: o.c } };
      }
      case 'gru': {
        const o = ops.gru(x, { kernel, recurrentKernel, bias }, { h0: s.h });
        return { sequence: o.sequence, state: { h: o.h } };
      }
      case 'rnn': {
        const o = ops.simpleRnn(x, { kernel, recurrentKernel, bias }, { h0: s.h });
        return { sequence: o.sequence, state: { h: o.h } };
      }
      default:
        return this.config.cell satisfies never;
    }
  }

  /**
   * Logits [B·T, V] for ids [B, T] from `state` (zeros when undefined), and the state after the
   * last step. With a training `ctx`, dropout is applied and layers run through `ctx.recurrent`.
   */
  forward(ids: tf.Tensor2D, state: CharState | undefined, ctx?: StepContext): { logits: tf.Tensor2D; state: CharState } {
    const [B, T] = ids.shape;
    const { vocabSize: V, embedding: E, hidden: H, dropout } = this.config;
    const s0 = state ?? this.zeroState(B);
    // oneHot·E rather than gather: gather's gradient (UnsortedSegmentSum) has no wasm kernel.
    let x = tf.reshape(tf.matMul(tf.oneHot(tf.reshape(ids, [-1]) as tf.Tensor1D, V), this.p('embed')), [B, T, E]) as tf.Tensor3D;
    const next: CharState = [];
    for (let l = 0; l < this.config.layers; l++) {
      const s = s0[l];
      if (s === undefined) throw new Error(`CharRnn.forward: state has ${s0.length} layers, expected ${this.config.layers}`);
      if (l > 0 && ctx) x = ctx.dropout(x, dropout);
      const r = ctx ? ctx.recurrent(`${this.config.cell}${l}`, x, s, (xs, st) => this.layer(l, xs, st)) : this.layer(l, x, s);
      next.push(r.state);
      x = r.sequence;
    }
    if (ctx) x = ctx.dropout(x, dropout);
    const flat = tf.reshape(x, [B * T, H]) as tf.Tensor2D;
    return { logits: tf.add(tf.matMul(flat, this.p('head.kernel')), this.p('head.bias')) as tf.Tensor2D, state: next };
  }

  /** Mean cross-entropy in nats per character of predicting batch.y from batch.x. */
  loss(batch: TokenBatch, state: CharState | undefined, ctx?: StepContext): { loss: tf.Scalar; state: CharState } {
    const { logits, state: next } = this.forward(batch.x, state, ctx);
    const labels = tf.oneHot(tf.reshape(batch.y, [-1]) as tf.Tensor1D, this.config.vocabSize);
    return { loss: tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar, state: next };
  }

  /** The model as the core Trainer sees it. */
  trainModel(): TrainModel<TokenBatch, CharState> {
    return { params: this.params, loss: (b, s, ctx) => this.loss(b, s, ctx) };
  }

  /** Number of trainable scalars. */
  get parameterCount(): number {
    return Object.values(this.params).reduce((n, v) => n + v.size, 0);
  }

  dispose(): void {
    tf.dispose(Object.values(this.params));
  }
}
