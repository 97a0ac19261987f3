/**
 * What the one-dispatch sequence kernels share (lstm-cell, gru-cell and rnn-cell `seq-kernel.ts`):
 * the forward or backward of a whole sequence as one kernel, registered where a backend can run
 * every time step in one launch (webgpu: gpu/webgpu-seq.ts), each with the per-step kernels' own
 * composite run step by step as its oracle and fallback.
 *
 * On webgpu each workgroup owns a few batch rows for the whole sequence and keeps their state in
 * workgroup memory; a kernel exists for H only where one row's state fits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasKernels } from './cell-kernel.js';

/** A forward sequence kernel's inputs: the input projection xp [T, B, ·], U, state0 [1, B, ·] and the mask [T, B, 1]. */
export interface SeqInputs {
  xp: tf.Tensor3D;
  U: tf.Tensor2D;
  state0: tf.Tensor3D;
  mask?: tf.Tensor3D;
}

/**
 * A backward sequence kernel's inputs: the training records [T, B, ·], state0, dH [T, B, H],
 * UT = Uᵀ, carry0 [1, B, ·] (the backward record "of step T") and the mask.
 */
export interface SeqGradInputs {
  records: tf.Tensor3D;
  state0: tf.Tensor3D;
  dH: tf.Tensor3D;
  UT: tf.Tensor2D;
  carry0: tf.Tensor3D;
  mask?: tf.Tensor3D;
}

/** The workgroup memory every webgpu adapter offers (maxComputeWorkgroupStorageSize ≥ 16 KiB), in floats. */
export const SEQ_WORKGROUP_FLOATS = 4096;

/** Whether the active backend registers `name` and one batch row's `floatsPerRow` fit a workgroup. */
export function hasSeqKernel(name: string, floatsPerRow: number): boolean {
  return floatsPerRow <= SEQ_WORKGROUP_FLOATS && hasKernels(name);
}

/** Batch rows per workgroup: 4 where their workgroup memory fits, else 2, else 1. */
export function seqRows(floatsPerRow: number): number {
  return [4, 2, 1].find((n) => n * floatsPerRow <= SEQ_WORKGROUP_FLOATS) ?? 1;
}

/** Runs sequence kernel `name` on the named inputs (undefined ones, an absent mask, left out). */
export function runSeqKernel(name: string, inputs: Record<string, tf.Tensor | undefined>, attrs: object): tf.Tensor3D {
  const named = Object.fromEntries(Object.entries(inputs).filter(([, t]) => t !== undefined)) as tf.NamedTensorMap;
  return tf.engine().runKernel(name, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor3D;
}
