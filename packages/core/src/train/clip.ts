/**
 * Gradient clipping as pure functions over a gradient map, to chain with any `tf.train`
 * optimizer (tfjs has none; Keras' `clipnorm` is per tensor, which is not what the lecture means).
 *
 * Global-norm clipping (Pascanu, Mikolov & Bengio 2013), with the norm over all tensors together:
 *
 *     g ← ∂E/∂θ
 *     if ‖g‖ ≥ threshold:  g ← (threshold / ‖g‖) · g
 *
 * @example
 * ```ts
 * const { value, grads } = tf.variableGrads(loss);
 * const { grads: clipped, norm } = clipByGlobalNorm(grads, 5);
 * optimizer.applyGradients(clipped);
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';

export type GradientMap = Record<string, tf.Tensor>;

export interface ClipResult {
  /** The clipped gradients (new tensors; the inputs are left alone). */
  grads: GradientMap;
  /** ‖g‖ over all tensors before clipping, as a scalar tensor (read it when you need it). */
  norm: tf.Scalar;
  /** Whether the threshold was reached, as a scalar bool tensor. */
  clipped: tf.Scalar;
}

/** √(Σ_tensors Σ_elements g²): one norm over every gradient together. */
export function globalNorm(grads: GradientMap | tf.Tensor[]): tf.Scalar {
  const list = Array.isArray(grads) ? grads : Object.values(grads);
  if (list.length === 0) throw new Error('globalNorm: expected at least one gradient tensor, got none');
  return tf.tidy(() => tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/**
 * Scales all gradients by threshold/‖g‖ when ‖g‖ ≥ threshold (the lecture's pseudo-code, on the
 * device: no read-back, so it costs no synchronisation).
 */
export function clipByGlobalNorm(grads: GradientMap, threshold: number): ClipResult {
  if (!(threshold > 0) || !Number.isFinite(threshold)) {
    throw new Error(`clipByGlobalNorm: threshold must be a positive finite number, got ${threshold}`);
  }
  return tf.tidy(() => {
    const norm = globalNorm(grads);
    const clipped = tf.greaterEqual(norm, threshold) as tf.Scalar;
    // where(‖g‖ ≥ t, t/‖g‖, 1): the ratio is only used where the norm is at least t > 0.
    const scale = tf.where(clipped, tf.div(threshold, tf.maximum(norm, threshold)), tf.scalar(1));
    const out: GradientMap = {};
    for (const [name, g] of Object.entries(grads)) out[name] = tf.mul(g, scale);
    return { grads: out, norm, clipped };
  });
}

/** Clips every gradient element to [−limit, limit]. */
export function clipByValue(grads: GradientMap, limit: number): GradientMap {
  if (!(limit > 0) || !Number.isFinite(limit)) throw new Error(`clipByValue: limit must be a positive finite number, got ${limit}`);
  return tf.tidy(() => {
    const out: GradientMap = {};
    for (const [name, g] of Object.entries(grads)) out[name] = tf.clipByValue(g, -limit, limit);
    return out;
  });
}
