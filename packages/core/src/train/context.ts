/**
 * The step context a model's loss receives, and the gradient-flow diagnostic built on it.
 *
 * Gradient flow through time. The lecture's vanishing-gradient picture is the total derivative
 * ‖∂E/∂h_k‖ for k = 0..T−1: everything E receives from h_k, directly through the output at k and
 * through every later step, ∂E/∂h_k = ∂⁺E/∂h_k + ∂E/∂h_{k+1} · ∂h_{k+1}/∂h_k. It cannot be read
 * off a zero "probe" added to the op's output sequence: the gradient there is only the direct
 * term ∂⁺E/∂y_k (all zeros but the last step when only the last output is scored, as in the
 * adding problem); the recurrent term lives inside the op's BPTT. So when a measurement is
 * requested, {@link StepContext.recurrent} runs the op one time step at a time, each step
 * starting from the previous one's state, and passes h_k through a "tap": an identity whose
 * custom gradient records ‖dy‖ and passes dy on unchanged. h_k after the tap feeds both the output
 * at k and step k+1, so the gradient reaching the tap is exactly the total ∂E/∂h_k (tfjs sums
 * the contributions of all consumers before calling a node's gradient). For an LSTM this is the
 * derivative with respect to h_k with c_k held fixed.
 *
 * Cost: nothing on ordinary steps (one whole-sequence call); on measured steps one extra
 * forward + backward pass in T one-step calls, with the weights, batch, state and dropout masks
 * of the step it describes, and with its gradients discarded, so measuring never changes training.
 * The norm is Frobenius over the batch ([B, H]) of the gradient of the batch-mean loss.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dropout, Rng } from './rng.js';
import { collectTensors, paramEntries, type StateTree, type TrainModel } from './task.js';

/** A recurrent state with a hidden state h [B, H] (an LSTM's also has c). */
export interface HiddenState {
  h: tf.Tensor2D;
}

/** What one run of a whole-sequence recurrent op gives back. */
export interface RecurrentRun<S extends HiddenState> {
  /** [B, T, H]: the output at each position (the state h after consuming x_t, per SPEC.md). */
  sequence: tf.Tensor3D;
  /** The state after the last processed step. */
  state: S;
}

/**
 * Runs the op over `x` (a window of the full sequence when measuring) from `state`. `span` says
 * which positions of the full sequence `x` covers: slice any per-time tensor (a mask) with it.
 */
export type RecurrentFn<S extends HiddenState> = (x: tf.Tensor3D, state: S, span: { start: number; length: number }) => RecurrentRun<S>;

/** ‖∂E/∂h_k‖ for k = 0..T−1 (input positions) of each recurrent layer, in call order. */
export interface GradientFlow {
  layers: { name: string; norms: number[] }[];
}

/** Collects the taps' gradient norms during one measured pass. */
class GradientTaps {
  readonly layers: { name: string; slots: (tf.Tensor | undefined)[] }[] = [];

  layer(name: string, T: number): (tf.Tensor | undefined)[] {
    const taken = this.layers.filter((l) => l.name === name || l.name.startsWith(`${name}#`)).length;
    const slots = new Array<tf.Tensor | undefined>(T).fill(undefined);
    this.layers.push({ name: taken === 0 ? name : `${name}#${taken + 1}`, slots });
    return slots;
  }

  /** Reads and frees the recorded norms; a position no gradient reached reads 0. */
  async read(): Promise<GradientFlow> {
    const layers: GradientFlow['layers'] = [];
    for (const l of this.layers) {
      const norms: number[] = [];
      for (const t of l.slots) norms.push(t === undefined ? 0 : (await t.data())[0]!);
      layers.push({ name: l.name, norms });
    }
    this.dispose();
    return { layers };
  }

  dispose(): void {
    for (const l of this.layers) tf.dispose(l.slots.filter((t): t is tf.Tensor => t !== undefined));
  }
}

/** Identity on h whose gradient records ‖∂E/∂h‖ into `slots[k]`. */
function tap(h: tf.Tensor2D, slots: (tf.Tensor | undefined)[], k: number): tf.Tensor2D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => {
      slots[k]?.dispose();
      slots[k] = tf.keep(tf.norm(dy));
      return dy;
    },
  }));
  return f(h) as tf.Tensor2D;
}

export interface StepContextOptions {
  /** False during validation: dropout is the identity. */
  training: boolean;
  /** The 0-based step being trained (or evaluated after). */
  step: number;
  rng: Rng;
  /** Internal: set on measured passes. */
  taps?: GradientTaps;
}

/**
 * Passed to `TrainModel.loss`: the step, whether it is training, the seeded generator, dropout
 * drawn from it, and `recurrent`, through which recurrent ops are run.
 *
 * @example
 * ```ts
 * loss(batch, state, ctx) {
 *   const h0 = state ?? { h: tf.zeros([B, H]), c: tf.zeros([B, H]) };
 *   const r = ctx.recurrent('lstm', batch.x, h0, (x, s) => {
 *     const o = ops.lstm(x, p, { h0: s.h, c0: s.c });
 *     return { sequence: o.sequence, state: { h: o.h, c: o.c } };
 *   });
 *   const y = ctx.dropout(r.sequence, 0.2);
 *   ...
 * }
 * ```
 */
export class StepContext {
  readonly training: boolean;
  readonly step: number;
  readonly rng: Rng;
  private readonly taps: GradientTaps | undefined;

  constructor(o: StepContextOptions) {
    this.training = o.training;
    this.step = o.step;
    this.rng = o.rng;
    this.taps = o.taps;
  }

  /** Inverted dropout with a mask from the seeded generator; the identity when not training. */
  dropout<T extends tf.Tensor>(x: T, rate: number): T {
    return this.training ? dropout(x, rate, this.rng) : x;
  }

  /** True on the extra pass that measures ‖∂E/∂h_k‖. */
  get measuring(): boolean {
    return this.taps !== undefined;
  }

  /**
   * Runs a recurrent op over `x` [B, T, I] from `state`: one call of `run` normally; one call per
   * time step, with a gradient tap on each h_k, when measuring gradient flow (see the module
   * header). `reverse` must match the op's own direction so the per-step run follows it.
   */
  recurrent<S extends HiddenState>(name: string, x: tf.Tensor3D, state: S, run: RecurrentFn<S>, options: { reverse?: boolean } = {}): RecurrentRun<S> {
    const [B, T, I] = x.shape;
    if (this.taps === undefined) return run(x, state, { start: 0, length: T });
    const slots = this.taps.layer(name, T);
    const outputs = new Array<tf.Tensor3D>(T);
    let s = state;
    for (let n = 0; n < T; n++) {
      const k = options.reverse ? T - 1 - n : n;
      const r = run(tf.slice(x, [0, k, 0], [B, 1, I]), s, { start: k, length: 1 });
      const h = tap(r.state.h, slots, k);
      outputs[k] = tf.expandDims(h, 1) as tf.Tensor3D;
      s = { ...r.state, h };
    }
    return { sequence: tf.concat(outputs, 1), state: s };
  }
}

/**
 * Measures ‖∂E/∂h_k‖ of every `ctx.recurrent` layer of `model` on one batch: a forward and
 * backward pass in per-step mode whose gradients are discarded. `rng` is cloned, so the
 * measurement sees the dropout masks the training step with the same generator state will see,
 * and does not advance it.
 *
 * @example
 * ```ts
 * const flow = await measureGradientFlow(model, batch, undefined, new Rng(1));
 * flow.layers[0].norms; // [‖∂E/∂h_0‖, …, ‖∂E/∂h_{T−1}‖]
 * ```
 */
export async function measureGradientFlow<B, S extends StateTree>(model: TrainModel<B, S>, batch: B, state: S | undefined, rng: Rng, step = 0): Promise<GradientFlow> {
  const taps = new GradientTaps();
  const ctx = new StepContext({ training: true, step, rng: rng.clone(), taps });
  const vars = paramEntries(model.params).map(([, v]) => v);
  try {
    const { value, grads } = tf.variableGrads(() => model.loss(batch, state, ctx).loss, vars);
    tf.dispose([value, ...Object.values(grads)]);
  } catch (error) {
    taps.dispose();
    throw error;
  }
  if (taps.layers.length === 0) {
    throw new Error('measureGradientFlow: the model ran no recurrent op through ctx.recurrent(), so there is nothing to measure');
  }
  return taps.read();
}

/** Frees every tensor of a state tree (or anything holding tensors). */
export function disposeTree(value: unknown): void {
  tf.dispose(collectTensors(value));
}
