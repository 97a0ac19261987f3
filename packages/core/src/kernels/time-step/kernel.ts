/**
 * `RecurrentTimeStep`: read step `index` of a time-major tensor [T, B, W] (or a [B, W] matrix,
 * as a single step) as column blocks [B, sizes[0]], [B, sizes[1]], … in one dispatch, optionally
 * adding `addend` [B, sizes[0]] to the first block.
 *
 * This is how a recurrent step reads its precomputed input projection in place: z_t = XP[t] + h·U
 * is one dispatch, not a slice and an add. The portable composite ({@link timeStepComposite}) is
 * `unstack` once per call plus a `split` and an `add` per step; stock wasm makes that O(T²) (each
 * slice copies the whole input buffer) and its `gather` walks elements one by one, so the
 * backends that pay for it get a direct kernel.
 */
import * as tf from '@tensorflow/tfjs-core';

export const TIME_STEP = 'RecurrentTimeStep';

export interface TimeStepAttrs {
  index: number;
  sizes: number[];
  /** Per block: out = x·scale + shift (default 1 and 0), e.g. ĉ = 2σ(2z) − 1 read off a sigmoid. */
  scale?: number[];
  shift?: number[];
}

type Flat = ArrayLike<number> & { subarray(begin: number, end: number): ArrayLike<number> };

/** [T, B, W] of x's shape, a rank-2 x being one step. */
export function stepShape(shape: readonly number[]): [number, number, number] {
  return shape.length === 2 ? [1, shape[0]!, shape[1]!] : [shape[0]!, shape[1]!, shape[2]!];
}

/** Copies step `index` of x (flat values) into one [B, size] array per block (+ addend on block 0). */
export function copyStep(x: Flat, shape: readonly number[], attrs: TimeStepAttrs, outputs: Float32Array[], addend?: ArrayLike<number>): void {
  const [, B, W] = stepShape(shape);
  const base = attrs.index * B * W;
  let col = 0;
  attrs.sizes.forEach((size, p) => {
    const out = outputs[p]!;
    if (size === W) {
      out.set(x.subarray(base, base + B * W));
    } else {
      for (let b = 0; b < B; b++) {
        const from = base + b * W + col;
        out.set(x.subarray(from, from + size), b * size);
      }
    }
    if (p === 0 && addend !== undefined) {
      for (let i = 0; i < out.length; i++) out[i]! += addend[i]!;
    }
    const scale = attrs.scale?.[p] ?? 1;
    const shift = attrs.shift?.[p] ?? 0;
    if (scale !== 1 || shift !== 0) {
      for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale + shift;
    }
    col += size;
  });
}

/** Whether the active backend has the direct kernel. */
export function hasTimeStepKernel(): boolean {
  return tf.getKernel(TIME_STEP, tf.getBackend()) !== undefined;
}

/** Runs the kernel (caller checked {@link hasTimeStepKernel}). */
export function runTimeStep(x: tf.Tensor, index: number, sizes: number[], addend?: tf.Tensor, affine?: BlockAffine): tf.Tensor2D[] {
  const attrs: TimeStepAttrs = { index, sizes, ...affine };
  const inputs: tf.NamedTensorMap = addend === undefined ? { x } : { x, addend };
  const out = tf.engine().runKernel(TIME_STEP, inputs, attrs as unknown as tf.NamedAttrMap);
  return (Array.isArray(out) ? out : [out]) as tf.Tensor2D[];
}

/** The portable composite of the kernel, on one already-unstacked step [B, W]. */
export function timeStepComposite(step: tf.Tensor2D, sizes: number[], addend?: tf.Tensor, affine?: BlockAffine): tf.Tensor2D[] {
  const parts = sizes.length === 1 ? [step] : (tf.split(step, sizes, 1) as tf.Tensor2D[]);
  if (addend !== undefined) parts[0] = tf.add(parts[0]!, addend);
  return parts.map((part, p) => {
    const scale = affine?.scale?.[p] ?? 1;
    const shift = affine?.shift?.[p] ?? 0;
    if (scale === 1 && shift === 0) return part;
    return tf.add(tf.mul(part, scale), shift);
  });
}

/** Optional per-block affine map applied to what is read. */
export type BlockAffine = Pick<TimeStepAttrs, 'scale' | 'shift'>;
