/**
 * Time-axis plumbing shared by the recurrent ops: batch-major ⇄ time-major in processing order,
 * and per-step access to a time-major tensor.
 *
 * Internally an op runs over "processing order": step k reads time position k, or T-1-k when
 * `reverse` is set. Flipping the time axis once at the start (and back at the end) keeps the loop
 * itself free of index arithmetic and keeps outputs aligned with input positions.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../../kernels/register.js';
import { hasTimeStepKernel, runTimeStep, timeStepComposite, type BlockAffine } from '../../kernels/time-step/kernel.js';

/** [B, T, F] → [T, B, F] in processing order. */
export function toSteps(x: tf.Tensor3D, reverse: boolean): tf.Tensor3D {
  const [B, T, F] = x.shape;
  return flipTime(swapBatchTime(x, [T, B, F]), reverse);
}

/** [T, B, F] in processing order → [B, T, F] aligned with input positions. */
export function fromSteps(y: tf.Tensor3D, reverse: boolean): tf.Tensor3D {
  const [T, B, F] = y.shape;
  return swapBatchTime(flipTime(y, reverse), [B, T, F]);
}

/** Swaps the first two axes into `shape`: a reshape (no copy) when either has length 1, as in step-by-step generation. */
function swapBatchTime(x: tf.Tensor3D, shape: [number, number, number]): tf.Tensor3D {
  return x.shape[0] === 1 || x.shape[1] === 1 ? tf.reshape(x, shape) : tf.transpose(x, [1, 0, 2]);
}

/** Reverses the time axis (axis 0) where asked and there is more than one step. */
function flipTime(x: tf.Tensor3D, reverse: boolean): tf.Tensor3D {
  return reverse && x.shape[0] > 1 ? tf.reverse(x, 0) : x;
}

/**
 * Per-step access to a time-major tensor [T, B, W], read as column blocks of the given widths:
 * `at(k)` returns step k as [B, sizes[0]], [B, sizes[1]], ….
 *
 * Where the backend has the `RecurrentTimeStep` kernel (wasm, cpu) that is one dispatch per step
 * copying only that step; elsewhere one `unstack` per call and a `split` per step (webgl's
 * contiguous slices are views, so the unstack costs no copy there).
 */
export class Steps {
  private readonly parts: tf.Tensor[] | undefined;
  private readonly sizes: number[];

  constructor(readonly source: tf.Tensor3D, sizes?: number[]) {
    this.sizes = sizes ?? [source.shape[2]];
    if (!hasTimeStepKernel()) this.parts = tf.unstack(source);
  }

  get length(): number {
    return this.source.shape[0];
  }

  /** Step k as its column blocks, with `addend` [B, sizes[0]] added to the first block. */
  at(k: number, addend?: tf.Tensor): tf.Tensor2D[] {
    if (this.parts === undefined) return runTimeStep(this.source, k, this.sizes, addend);
    return timeStepComposite(this.parts[k] as tf.Tensor2D, this.sizes, addend);
  }
}

/** Splits [B, W] into column blocks [B, sizes[i]]: one direct copy where the backend has the kernel. */
export function splitColumns(x: tf.Tensor2D, sizes: number[], affine?: BlockAffine): tf.Tensor2D[] {
  return hasTimeStepKernel() ? runTimeStep(x, 0, sizes, undefined, affine) : timeStepComposite(x, sizes, undefined, affine);
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

/** Position `t` of a batch-major sequence [B, T, H] as [B, H] (the last state: t = reverse ? 0 : T − 1). */
export function stepAt(seq: tf.Tensor3D, t: number): tf.Tensor2D {
  const [B, , H] = seq.shape;
  return tf.reshape(tf.slice(seq, [0, t, 0], [B, 1, H]), [B, H]) as tf.Tensor2D;
}
