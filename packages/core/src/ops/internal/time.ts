/**
 * Time-axis plumbing shared by the recurrent ops: batch-major ⇄ time-major in processing order,
 * and per-step access to a time-major tensor.
 *
 * Internally an op runs over "processing order": step k reads time position k, or T-1-k when
 * `reverse` is set. Flipping the time axis once at the start (and back at the end) keeps the loop
 * itself free of index arithmetic and keeps outputs aligned with input positions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backendCapabilities } from '../../backend/index.js';

/** [B, T, F] → [T, B, F] in processing order. */
export function toSteps(x: tf.Tensor3D, reverse: boolean): tf.Tensor3D {
  const tm = tf.transpose(x, [1, 0, 2]);
  return reverse ? tf.reverse(tm, 0) : tm;
}

/** [T, B, F] in processing order → [B, T, F] aligned with input positions. */
export function fromSteps(y: tf.Tensor3D, reverse: boolean): tf.Tensor3D {
  const ordered = reverse ? tf.reverse(y, 0) : y;
  return tf.transpose(ordered, [1, 0, 2]);
}

/**
 * Per-step views of a time-major tensor [T, ...rest]: `at(k)` returns step k as [...rest].
 *
 * One `unstack` when slicing is cheap; on backends whose slices copy the whole input tensor
 * (stock wasm reads the full buffer for every slice, which makes an unstack O(T²)), one `gather`
 * per step instead, which copies only that step.
 */
export class Steps {
  private readonly parts: tf.Tensor[] | undefined;
  private readonly indices: tf.Scalar[] = [];

  constructor(readonly source: tf.Tensor) {
    if (!backendCapabilities().copyingSlices) this.parts = tf.unstack(source);
  }

  get length(): number {
    return this.source.shape[0]!;
  }

  at(k: number): tf.Tensor {
    if (this.parts !== undefined) return this.parts[k]!;
    // A scalar index drops the time axis: one kernel, one step copied.
    const index = (this.indices[k] ??= tf.scalar(k, 'int32'));
    return tf.gather(this.source, index);
  }
}

/** Stacks per-step tensors [...rest] into [T, ...rest]. */
export function stackSteps(steps: tf.Tensor[]): tf.Tensor {
  return tf.stack(steps, 0);
}

/**
 * The mask as time-major [T, B, 1] float32 in processing order, any nonzero value meaning "step
 * present" (Keras' boolean semantics).
 */
export function maskSteps(mask: tf.Tensor, reverse: boolean): tf.Tensor3D {
  const m = tf.cast(tf.notEqual(mask, 0), 'float32') as tf.Tensor2D;
  const tm = tf.expandDims(tf.transpose(m), 2) as tf.Tensor3D;
  return reverse ? tf.reverse(tm, 0) : tm;
}
