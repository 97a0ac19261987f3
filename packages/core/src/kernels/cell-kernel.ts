/**
 * What the fused cell kernels' entry points share (lstm-cell, gru-cell, rnn-cell `kernel.ts`):
 * running a step as its registered kernel or else its composite, the check that an optional
 * input is given exactly when its attr says so, and the slicing the composites are written with.
 */
import * as tf from '@tensorflow/tfjs-core';
import { simdCellsReady } from './wasm/simd/module.js';

/** Attrs every step kernel takes (kernel.ts contracts); the backward ones all but `training`. */
export interface StepAttrs {
  step: number;
  masked: boolean;
  /** Write the training record rather than the carried state alone. */
  training: boolean;
}

/** Inputs every forward step kernel takes: xp [T, B, ·], U [H, ·], the previous record, the mask [T, B, 1]. */
export interface StepInputs {
  xp: tf.Tensor3D;
  U: tf.Tensor2D;
  state: tf.Tensor3D;
  mask?: tf.Tensor3D;
}

/** Inputs every backward step kernel takes: the records, dH, Uᵀ, the carry of step k + 1, the mask. */
export interface StepGradInputs {
  records: tf.Tensor3D;
  dH: tf.Tensor3D;
  UT: tf.Tensor2D;
  carry: tf.Tensor3D;
  mask?: tf.Tensor3D;
}

/**
 * Whether the active backend registers every kernel named (and, on wasm, can run the SIMD module
 * the cell kernels' pointwise passes live in: kernels/wasm/simd/module.ts).
 */
export function hasKernels(...names: string[]): boolean {
  const backend = tf.getBackend();
  if (!names.every((name) => tf.getKernel(name, backend) !== undefined)) return false;
  return backend !== 'wasm' || simdCellsReady(tf.backend());
}

/**
 * One step: the kernel `name` where the active backend registers it (and `usable`, when given,
 * allows it), else the composite. Inputs left undefined (an absent mask) are not passed.
 */
export function runCellKernel<I extends object, A extends object>(name: string, inputs: I, attrs: A, composite: (inputs: I, attrs: A) => tf.Tensor3D, usable = true): tf.Tensor3D {
  if (!usable || !hasKernels(name)) return composite(inputs, attrs);
  const named = Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined)) as tf.NamedTensorMap;
  return tf.engine().runKernel(name, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor3D;
}

/** Throws unless the optional input `what` is given exactly when its attr `flag` is true. */
export function checkPaired(op: string, flag: string, on: boolean, what: string, tensor: tf.Tensor | undefined): void {
  if (on !== (tensor !== undefined)) throw new Error(`${op}: ${flag} is ${on} but ${what} was ${tensor ? '' : 'not '}given; pass both or neither`);
}

/** Columns [from, from + width) of x. */
export const cols = (x: tf.Tensor2D, from: number, width: number) => tf.slice(x, [0, from], [x.shape[0], width]) as tf.Tensor2D;

/** Step k of x [T, B, W] as [B, W]. */
export const stepOf = (x: tf.Tensor3D, k: number) => tf.reshape(tf.slice(x, [k, 0, 0], [1, x.shape[1], x.shape[2]]), [x.shape[1], x.shape[2]]) as tf.Tensor2D;

/** The first H columns of the record `state` [1, B, S] as [B, H]: the previous h. */
export const prevH = (state: tf.Tensor3D, H: number) => cols(tf.reshape(state, [state.shape[1], state.shape[2]]) as tf.Tensor2D, 0, H);

/** h + m ⊙ (hn − h) at step k, or hn without a mask. */
export const masked = (hp: tf.Tensor, hn: tf.Tensor, mask: tf.Tensor3D | undefined, k: number) => (mask === undefined ? hn : tf.add(hp, tf.mul(stepOf(mask, k), tf.sub(hn, hp))));

/**
 * The sizes a step kernel reads off its inputs (kernel.ts contracts): H and GH from U [H, GH]
 * forward or Uᵀ [GH, H] backward; B and the width S of the record read from `state` [1, B, S]
 * forward or `records` [T, B, S] backward.
 */
export function stepSizes(inputs: tf.NamedTensorInfoMap): { H: number; GH: number; B: number; S: number } {
  const U = inputs.U;
  const [H, GH] = U !== undefined ? U.shape : [inputs.UT!.shape[1], inputs.UT!.shape[0]];
  const record = (U !== undefined ? inputs.state : inputs.records)!;
  return { H: H!, GH: GH!, B: record.shape[1]!, S: record.shape[2]! };
}
