/**
 * PyTorch `nn.LSTM` / `nn.GRU` / `nn.RNN` weights ⇄ our (Keras) layout.
 *
 * PyTorch stores, per layer `k` and direction (suffix `_reverse` for the backward one):
 * `weight_ih_l{k}` [G·H, I], `weight_hh_l{k}` [G·H, H], `bias_ih_l{k}` [G·H], `bias_hh_l{k}` [G·H].
 * The mapping onto our `kernel` [I, G·H], `recurrent_kernel` [H, G·H], `bias`:
 *
 * - Transposes: kernel = weight_ihᵀ, recurrent_kernel = weight_hhᵀ (PyTorch computes W·x, Keras x·W).
 * - LSTM: gate blocks i, f, g, o are Keras' i, f, c, o — same order. PyTorch adds two biases
 *   where Keras has one: bias = bias_ih + bias_hh (exact, they are only ever summed).
 * - GRU: PyTorch's blocks are r, z, n; Keras' z, r, h — swap the first two. PyTorch's GRU is
 *   reset-after (n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))), so both biases are kept:
 *   bias [2, 3H] = [[b_iz, b_ir, b_in], [b_hz, b_hr, b_hn]]; run it with `resetAfter: true`.
 *   Both write h' = (1 − z) ⊙ n + z ⊙ h: the same update convention.
 * - RNN: h' = φ(W_ih x + b_ih + W_hh h + b_hh): bias = bias_ih + bias_hh; φ = tanh or relu.
 * - `num_layers` and `bidirectional=True` map onto `layers.stacked(kind, { numLayers,
 *   bidirectional: 'concat' })` (PyTorch concatenates the directions); the weights come out in
 *   its order: layer 0 forward, layer 0 backward, layer 1 forward, …
 * - `batch_first=True` is our layout; with `batch_first=False` transpose the input [T, B, I].
 *   `proj_size` (LSTM projections) has no Keras equivalent and is refused.
 *
 * @example
 * ```ts
 * // state = torch's model.state_dict(), exported as { name: { shape, data } } (e.g. JSON from numpy).
 * const layer = layers.stacked('lstm', { units: 64, numLayers: 2, bidirectional: 'concat', returnSequences: true });
 * layer.apply(tf.zeros([1, 1, 16]));
 * layer.setWeights(pytorch.toKerasWeights('lstm', state, { numLayers: 2, bidirectional: true }));
 * ```
 */
import * as tf from '@tensorflow/tfjs';
import { RecurrentInputError } from '../ops/index.js';

export type PyTorchKind = 'lstm' | 'gru' | 'rnn';

/** A state-dict entry: a tensor, or plain data with its shape (row-major, as numpy / torch store it). */
export type StateDictEntry = tf.Tensor | { shape: number[]; data: ArrayLike<number> };

export interface PyTorchLayout {
  /** PyTorch's num_layers (default 1). */
  numLayers?: number;
  /** PyTorch's bidirectional (default false). */
  bidirectional?: boolean;
}

const GATES: Record<PyTorchKind, number> = { lstm: 4, gru: 3, rnn: 1 };
const fail = (message: string): never => {
  throw new RecurrentInputError(`pytorch: ${message}`);
};

function suffixes(layout: PyTorchLayout): string[] {
  const n = layout.numLayers ?? 1;
  if (!Number.isInteger(n) || n < 1) fail(`numLayers must be a positive integer, got ${JSON.stringify(layout.numLayers)}`);
  return Array.from({ length: n }, (_, k) => (layout.bidirectional ? [`_l${k}`, `_l${k}_reverse`] : [`_l${k}`])).flat();
}

function entry(state: Record<string, StateDictEntry>, name: string, shape: number[]): tf.Tensor {
  const e = state[name];
  if (e === undefined) return fail(`missing "${name}" in the state dict (have: ${Object.keys(state).join(', ')})`);
  const t = e instanceof tf.Tensor ? e : tf.tensor(Float32Array.from(e.data), e.shape);
  const ok = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
  if (!ok) {
    if (!(e instanceof tf.Tensor)) t.dispose();
    fail(`"${name}" must be [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
  return t;
}

/** Reorders PyTorch's GRU blocks (r, z, n) along `axis` into Keras' (z, r, h). */
function rzToZr(t: tf.Tensor, axis: number): tf.Tensor {
  const [r, z, n] = tf.split(t, 3, axis);
  return tf.concat([z!, r!, n!], axis);
}

/**
 * Converts a PyTorch state dict to our weights, in the order `layer.setWeights` expects for
 * `layers.lstm` / `gru` / `simpleRnn` (one layer, one direction), `layers.bidirectional` or
 * `layers.stacked` (more layers or directions). The caller disposes the returned tensors.
 */
export function toKerasWeights(kind: PyTorchKind, state: Record<string, StateDictEntry>, layout: PyTorchLayout = {}): tf.Tensor[] {
  if (!(kind in GATES)) fail(`kind must be 'lstm', 'gru' or 'rnn', got ${JSON.stringify(kind)}`);
  const G = GATES[kind];
  const hh = state['weight_hh_l0'];
  if (hh === undefined) return fail('missing "weight_hh_l0" in the state dict');
  const H = hh.shape[1]!;
  if (hh.shape[0] !== G * H) fail(`weight_hh_l0 is [${hh.shape.join(', ')}]; a ${kind} with hidden_size ${H} has [${G * H}, ${H}]${kind === 'lstm' ? ' (proj_size is not supported)' : ''}`);
  if (Object.keys(state).some((k) => k.startsWith('weight_hr'))) fail('proj_size (LSTM projections, weight_hr_l*) has no Keras equivalent');
  const out: tf.Tensor[] = [];
  // Layer 0 reads the input; later layers read the previous layer's (concatenated) output.
  let inputSize = (state['weight_ih_l0']?.shape[1] ?? fail('missing "weight_ih_l0"')) as number;
  const directions = layoutDirections(layout);
  suffixes(layout).forEach((s, k) => {
    if (k > 0 && k % directions === 0) inputSize = H * directions;
    const wih = entry(state, `weight_ih${s}`, [G * H, inputSize]);
    const whh = entry(state, `weight_hh${s}`, [G * H, H]);
    const bih = state[`bias_ih${s}`] === undefined ? tf.zeros([G * H]) : entry(state, `bias_ih${s}`, [G * H]);
    const bhh = state[`bias_hh${s}`] === undefined ? tf.zeros([G * H]) : entry(state, `bias_hh${s}`, [G * H]);
    out.push(
      ...tf.tidy(() => {
        if (kind === 'gru') return [rzToZr(tf.transpose(wih), 1), rzToZr(tf.transpose(whh), 1), tf.stack([rzToZr(bih, 0), rzToZr(bhh, 0)])];
        return [tf.transpose(wih), tf.transpose(whh), tf.add(bih, bhh)];
      }),
    );
    for (const t of [wih, whh, bih, bhh]) if (!Object.values(state).includes(t)) t.dispose();
  });
  return out;
}

const layoutDirections = (layout: PyTorchLayout) => (layout.bidirectional ? 2 : 1);

/**
 * Our weights (as `layer.getWeights()` returns them) → a PyTorch state dict. The single Keras
 * bias of an LSTM / RNN goes to `bias_ih` and `bias_hh` is zero (PyTorch only uses their sum).
 */
export function fromKerasWeights(kind: PyTorchKind, weights: tf.Tensor[], layout: PyTorchLayout = {}): Record<string, tf.Tensor> {
  if (!(kind in GATES)) fail(`kind must be 'lstm', 'gru' or 'rnn', got ${JSON.stringify(kind)}`);
  const names = suffixes(layout);
  if (weights.length !== 3 * names.length) fail(`expected ${3 * names.length} weights (kernel, recurrent_kernel, bias per layer and direction), got ${weights.length}`);
  const out: Record<string, tf.Tensor> = {};
  names.forEach((s, k) => {
    const [W, U, b] = weights.slice(3 * k, 3 * k + 3) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const back = (t: tf.Tensor, axis: number) => (kind === 'gru' ? rzToZr(t, axis) : t); // the swap is its own inverse
    Object.assign(out, tf.tidy(() => {
      const o: Record<string, tf.Tensor> = { [`weight_ih${s}`]: tf.transpose(back(W, 1)), [`weight_hh${s}`]: tf.transpose(back(U, 1)) };
      if (kind === 'gru') {
        if (b.rank !== 2) fail('a GRU bias must be [2, 3H] (reset-after, as PyTorch computes); reset-before GRUs have no PyTorch equivalent');
        const [bi, bh] = tf.unstack(b);
        o[`bias_ih${s}`] = back(bi!, 0);
        o[`bias_hh${s}`] = back(bh!, 0);
      } else {
        o[`bias_ih${s}`] = tf.clone(b);
        o[`bias_hh${s}`] = tf.zerosLike(b);
      }
      return o;
    }));
  });
  return out;
}

/** The PyTorch converters. */
export const pytorch = { toKerasWeights, fromKerasWeights } as const;
