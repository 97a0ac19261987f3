/**
 * Shared plumbing of the sequence models (classifier, tagger, seq2seq, captioner): seeded
 * initialisers, a named-variable store that serialises to JSON (save → load), the recurrent
 * cell run as one functional op (`ops.lstm` / `ops.gru` with masks and an initial state), the
 * embedding as oneHot·E (gather's gradient has no wasm kernel) and a masked cross-entropy.
 */
import * as tf from '@tensorflow/tfjs-core';
import { glorotUniform, ops, orthogonal, Rng } from '@recurrent/core';

/** The recurrent cells the models offer. */
export type Cell = 'lstm' | 'gru';

/** Recurrent state: h [B, H], and c [B, H] for an LSTM (a GRU carries h only; c is unused). */
// A type alias, not an interface: tf.tidy's TensorContainer needs the implicit index signature.
export type CellState = { h: tf.Tensor2D; c: tf.Tensor2D };

/** One recurrent layer's parameters in Keras layout (gate blocks: LSTM i,f,c,o; GRU z,r,h). */
export interface CellParams {
  kernel: tf.Variable;
  recurrentKernel: tf.Variable;
  bias: tf.Variable;
}

/** A saved model: its kind, its typed config and every weight by name (shape + values). */
export interface SavedModel<C> {
  kind: string;
  config: C;
  weights: Record<string, { shape: number[]; values: number[] }>;
}

let counter = 0;

/**
 * Named trainable variables built from one seeded generator, so a seed fixes every weight on
 * every backend. Glorot-uniform kernels, orthogonal recurrent kernels, LSTM forget bias 1.
 */
export class ParamStore {
  readonly vars: Record<string, tf.Variable> = {};
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  /** A variable of `shape` from `values` (row-major). */
  add(name: string, shape: number[], values: Float32Array): tf.Variable {
    if (this.vars[name]) throw new Error(`ParamStore: "${name}" is defined twice; use a distinct name`);
    const v = tf.tidy(() => tf.variable(tf.tensor(values, shape), true, `${name}_${counter++}`));
    this.vars[name] = v;
    return v;
  }

  /** Glorot (Xavier) uniform [rows, cols]: U(±√(6/(rows + cols))). */
  glorot(name: string, rows: number, cols: number): tf.Variable {
    return this.add(name, [rows, cols], glorotUniform(rows, cols, this.rng));
  }

  zeros(name: string, shape: number[]): tf.Variable {
    return this.add(name, shape, new Float32Array(shape.reduce((a, b) => a * b, 1)));
  }

  /** An LSTM or GRU layer: kernel [I, G·H], recurrent kernel [H, G·H] of orthogonal blocks, bias [G·H]. */
  cell(prefix: string, cell: Cell, inputSize: number, hidden: number): CellParams {
    const G = cell === 'lstm' ? 4 : 3;
    const kernel = this.glorot(`${prefix}.kernel`, inputSize, G * hidden);
    const rec = new Float32Array(hidden * G * hidden);
    for (let g = 0; g < G; g++) {
      const q = orthogonal(hidden, this.rng);
      for (let i = 0; i < hidden; i++) rec.set(q.subarray(i * hidden, (i + 1) * hidden), i * G * hidden + g * hidden);
    }
    const recurrentKernel = this.add(`${prefix}.recurrentKernel`, [hidden, G * hidden], rec);
    const b = new Float32Array(G * hidden);
    if (cell === 'lstm') b.fill(1, hidden, 2 * hidden); // forget gate (Jozefowicz et al. 2015)
    return { kernel, recurrentKernel, bias: this.add(`${prefix}.bias`, [G * hidden], b) };
  }

  /** The variables as JSON-ready arrays (`await`: reads them back from the backend). */
  async toJSON(): Promise<SavedModel<null>['weights']> {
    const out: SavedModel<null>['weights'] = {};
    for (const [k, v] of Object.entries(this.vars)) out[k] = { shape: [...v.shape], values: Array.from(await v.data()) };
    return out;
  }

  /** Overwrites every variable from saved weights; names and shapes must match exactly. */
  load(weights: SavedModel<null>['weights']): void {
    const missing = Object.keys(this.vars).filter((k) => !(k in weights));
    const extra = Object.keys(weights).filter((k) => !(k in this.vars));
    if (missing.length || extra.length) {
      throw new Error(`load: expected weights ${Object.keys(this.vars).join(', ')}; missing [${missing.join(', ')}], unexpected [${extra.join(', ')}]. Was it saved by a model with the same config?`);
    }
    for (const [k, v] of Object.entries(this.vars)) {
      const w = weights[k]!;
      if (w.shape.join() !== v.shape.join()) throw new Error(`load: weight "${k}" expected shape [${v.shape}], found [${w.shape}]`);
      tf.tidy(() => v.assign(tf.tensor(w.values, w.shape)));
    }
  }

  dispose(): void {
    tf.dispose(Object.values(this.vars));
  }
}

/**
 * Runs one recurrent layer over x [B, T, I] from `state` (zeros when absent).
 * mask [B, T]: where 0, the state is carried and the output repeats it (so the final state is
 * the state after the last real token). `reverse` runs from T−1 down to 0.
 */
export function runCell(cell: Cell, x: tf.Tensor3D, p: CellParams, state?: CellState, mask?: tf.Tensor2D, reverse = false): { sequence: tf.Tensor3D; state: CellState } {
  const params = { kernel: p.kernel as tf.Tensor as tf.Tensor2D, recurrentKernel: p.recurrentKernel as tf.Tensor as tf.Tensor2D, bias: p.bias as tf.Tensor as tf.Tensor1D };
  const opts = { ...(mask ? { mask } : {}), ...(reverse ? { reverse } : {}) };
  if (cell === 'lstm') {
    const o = ops.lstm(x, params, { ...opts, ...(state ? { h0: state.h, c0: state.c } : {}) });
    return { sequence: o.sequence, state: { h: o.h, c: o.c } };
  }
  const o = ops.gru(x, params, { ...opts, ...(state ? { h0: state.h } : {}) });
  // A GRU has no cell state: c is passed through (cloned, so callers can dispose states uniformly).
  return { sequence: o.sequence, state: { h: o.h, c: state ? tf.clone(state.c) : tf.zerosLike(o.h) } };
}

/** Embeds ids [B, T] through E [V, D] as oneHot(ids)·E → [B, T, D]. */
export function embed(ids: tf.Tensor2D, table: tf.Variable): tf.Tensor3D {
  const [B, T] = ids.shape;
  const [V, D] = table.shape as [number, number];
  const oneHot = tf.oneHot(tf.reshape(ids, [-1]) as tf.Tensor1D, V);
  return tf.reshape(tf.matMul(oneHot, table), [B, T, D]) as tf.Tensor3D;
}

/** y = x·W + b over the last axis of x [..., I] → [..., O]. */
export function dense(x: tf.Tensor, w: tf.Variable, b: tf.Variable): tf.Tensor {
  const I = x.shape[x.shape.length - 1]!;
  const O = w.shape[1]!;
  const flat = tf.add(tf.matMul(tf.reshape(x, [-1, I]) as tf.Tensor2D, w as tf.Tensor as tf.Tensor2D), b);
  return tf.reshape(flat, [...x.shape.slice(0, -1), O]);
}

/**
 * Mean cross-entropy −Σ m·log softmax(logits)[label] / Σ m of logits [N, C] against integer
 * labels [N], weighted by mask [N] (padding 0); in nats per counted token.
 */
export function maskedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, mask?: tf.Tensor1D): tf.Scalar {
  const C = logits.shape[1];
  const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, C)), 1));
  if (!mask) return tf.mean(nll) as tf.Scalar;
  return tf.div(tf.sum(tf.mul(nll, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
}

/** Validates a positive-integer config field with an expected/found/fix message. */
export function checkInt(where: string, name: string, v: number, min = 1): void {
  if (!(Number.isInteger(v) && v >= min)) throw new Error(`${where}: ${name} must be an integer ≥ ${min}, found ${v}`);
}
