/**
 * What the trainer trains: a model (named variables and a loss over one batch, from a carried
 * recurrent state) and a data source (the batch at each position). Both are plain interfaces, so
 * any model fits — a char-rnn is `params: model.variables` and `loss: (b, s) => model.loss(b.x,
 * b.y, s ?? model.zeroState(B))`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from './rng.js';
import type { StepContext } from './context.js';

/** A recurrent state: tensors in (nested) arrays and plain objects, e.g. `{ h, c }[]` per layer. */
export type StateTree = tf.Tensor | readonly StateTree[] | { readonly [key: string]: StateTree };

/** The trainable variables, by stable name (checkpoint keys), or a list named "0", "1", … by position. */
export type Params = Record<string, tf.Variable> | readonly tf.Variable[];

/** The result of one batch's loss. */
export interface LossResult<S extends StateTree> {
  /** The mean loss of the batch (what is minimised). */
  loss: tf.Scalar;
  /**
   * The state after the batch, carried into the next one (truncated BPTT). It enters the next
   * batch as a constant: gradients never cross a batch boundary. Omit for independent batches.
   */
  state?: S;
}

/**
 * A model the trainer can train.
 *
 * @example
 * ```ts
 * const model: TrainModel<{ x: tf.Tensor2D; y: tf.Tensor2D }, LstmState> = {
 *   params: charLstm.variables,
 *   loss: (b, state, ctx) => charLstm.loss(b.x, b.y, state ?? charLstm.zeroState(32)),
 * };
 * ```
 */
export interface TrainModel<B, S extends StateTree = StateTree> {
  params: Params;
  /**
   * The loss of `batch` starting from `state` (undefined: start fresh, e.g. zeros). Runs inside
   * `tf.variableGrads`; tensors it creates are freed by the trainer. Draw randomness only through
   * `ctx` (`ctx.dropout`, `ctx.rng`), and run recurrent ops through `ctx.recurrent` to make the
   * per-step gradient flow observable.
   */
  loss(batch: B, state: S | undefined, ctx: StepContext): LossResult<S>;
}

/** A source of batches, addressed by position (0, 1, 2, … in training order). */
export interface TrainData<B> {
  /**
   * The batch at `position`. Must depend only on `position` and on draws from `rng` (the trainer's
   * checkpointed generator), so a resumed run sees the same batches. Its tensors are disposed by
   * the trainer after use.
   */
  batch(position: number, rng: Rng): B;
  /** True when the carried state must start fresh before this batch (e.g. a new pass over the streams). */
  resetsState?(position: number): boolean;
  /** Tokens per batch (B·T for a language model), for tokens/s; default 1 per batch. */
  tokensPerBatch?: number;
}

/** Every tensor in a tree of arrays and plain objects (anything else is ignored). */
export function collectTensors(value: unknown, out: tf.Tensor[] = []): tf.Tensor[] {
  if (value instanceof tf.Tensor) out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, out);
  else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value as Record<string, unknown>)) collectTensors(v, out);
  }
  return out;
}

/** The params as [stable name, variable] pairs, in a fixed order. */
export function paramEntries(params: Params): [string, tf.Variable][] {
  const entries: [string, tf.Variable][] = Array.isArray(params)
    ? (params as readonly tf.Variable[]).map((v, i) => [String(i), v])
    : Object.entries(params as Record<string, tf.Variable>);
  if (entries.length === 0) throw new Error('Trainer: model.params is empty; pass the trainable tf.Variables');
  for (const [name, v] of entries) {
    if (!(v instanceof tf.Variable)) throw new Error(`Trainer: model.params["${name}"] must be a tf.Variable, got ${typeof v}`);
    if (!v.trainable) throw new Error(`Trainer: model.params["${name}"] (variable "${v.name}") is not trainable`);
    if (v.dtype !== 'float32') throw new Error(`Trainer: model.params["${name}"] must be float32, got ${v.dtype}`);
  }
  return entries;
}

/** The structure of a state tree with tensors replaced by their index (to store it as JSON). */
export type StateSpec = number | StateSpec[] | { [key: string]: StateSpec };

/** Flattens a state tree: its tensors in order, and the structure to rebuild it. */
export function flattenState(state: StateTree): { tensors: tf.Tensor[]; spec: StateSpec } {
  const tensors: tf.Tensor[] = [];
  const walk = (s: StateTree): StateSpec => {
    if (s instanceof tf.Tensor) return tensors.push(s) - 1;
    if (Array.isArray(s)) return (s as readonly StateTree[]).map(walk);
    return Object.fromEntries(Object.entries(s as { [key: string]: StateTree }).map(([k, v]) => [k, walk(v)]));
  };
  return { tensors, spec: walk(state) };
}

/** Rebuilds a state tree from {@link flattenState}'s spec and tensors. */
export function unflattenState(spec: StateSpec, tensors: tf.Tensor[]): StateTree {
  if (typeof spec === 'number') {
    const t = tensors[spec];
    if (t === undefined) throw new Error(`unflattenState: no tensor at index ${spec} (have ${tensors.length})`);
    return t;
  }
  if (Array.isArray(spec)) return spec.map((s) => unflattenState(s, tensors));
  return Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, unflattenState(v, tensors)]));
}
