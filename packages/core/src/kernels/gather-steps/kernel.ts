/**
 * `RecurrentGatherSteps`: the per-step outputs of a recurrent loop, parts [n_i, B, W] (usually
 * n_i = 1: one record or carry per step), stacked along time into [Σ n_i, B, width], keeping
 * columns [from, from + width) of each — a concat along axis 0 and a column slice in one pass.
 *
 * Why a kernel: on webgl tfjs' concat of many packed inputs runs, per output texel, a chain of
 * comparisons over its inputs and four separate texel fetches (one per value), in rounds of at
 * most 16 inputs with a second concat over the rounds; for the LSTM's 64 records of 1,792 columns
 * that cost more than all 64 forward steps together. Here every output texel is one texel of one
 * part (the step picks the part, the texel layout is the same), so it is one fetch and a copy.
 * The composite is `tf.concat` (and `tf.slice` for a column range): the fallback everywhere else,
 * and the oracle of the kernel's tests.
 */
import * as tf from '@tensorflow/tfjs-core';

export const GATHER_STEPS = 'RecurrentGatherSteps';

export interface GatherStepsAttrs {
  /** First column kept (even on webgl: whole texels). */
  from: number;
  /** Columns kept. */
  width: number;
}

/** The contract in plain tfjs ops. */
export function gatherStepsComposite(parts: tf.Tensor3D[], attrs: GatherStepsAttrs): tf.Tensor3D {
  return tf.tidy(() => {
    // One concat, then one slice: a slice per part would be a launch per step on the GPU backends.
    const all = (parts.length === 1 ? tf.clone(parts[0]!) : tf.concat(parts, 0)) as tf.Tensor3D;
    const [T, B, W] = all.shape;
    return (attrs.from === 0 && attrs.width === W ? all : tf.slice(all, [0, 0, attrs.from], [T, B, attrs.width])) as tf.Tensor3D;
  });
}

/**
 * Parts [n_i, B, W] (same B and W) → [Σ n_i, B, width], columns [from, from + width) of each,
 * stacked in order: the kernel where the active backend registers it, else the composite.
 */
export function gatherSteps(parts: tf.Tensor3D[], from = 0, width?: number): tf.Tensor3D {
  const [, B, W] = parts[0]!.shape;
  const w = width ?? W - from;
  const op = GATHER_STEPS;
  for (const p of parts) {
    if (p.rank !== 3 || p.shape[1] !== B || p.shape[2] !== W) throw new Error(`${op}: every part must be [n, ${B}, ${W}] like the first; found [${p.shape.join(', ')}]`);
  }
  if (from < 0 || w < 1 || from + w > W) throw new Error(`${op}: columns [${from}, ${from + w}) must lie within [0, ${W}); pass 0 ≤ from < from + width ≤ ${W}`);
  const attrs: GatherStepsAttrs = { from, width: w };
  if (tf.getKernel(op, tf.getBackend()) === undefined) return gatherStepsComposite(parts, attrs);
  return tf.engine().runKernel(op, parts as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor3D;
}
