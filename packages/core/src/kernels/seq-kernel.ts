/**
 * What the one-dispatch sequence kernels share (lstm-cell, gru-cell and rnn-cell `seq-kernel.ts`):
 * the forward or backward of a whole sequence as one kernel, registered where a backend can run
 * every time step in one launch (webgpu: gpu/webgpu-seq.ts), each with the per-step kernels' own
 * composite run step by step as its oracle and fallback.
 *
 * On webgpu each workgroup owns a few batch rows for the whole sequence and keeps their state in
 * workgroup memory; a kernel exists for H only where one row's state fits.
 *
 * A long sequence runs in chunks of at most {@link seqLimits}`.maxSteps` steps, one launch each,
 * the state handed from chunk to chunk through the records: one launch must not run for long
 * (a GPU watchdog resets a device whose dispatch takes seconds), and a few launches per thousand
 * steps cost nothing next to one per step.
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

/** The most time steps one launch runs (tests lower it to see the chunks join). */
export const seqLimits = { maxSteps: 512 };

const steps = (t: tf.Tensor3D, from: number, n: number) => tf.slice(t, [from, 0, 0], [n, t.shape[1], t.shape[2]]);

/**
 * Forward kernel `name` over the sequence, chunk by chunk: each chunk starts from the first
 * `stateWidth` columns of the previous chunk's last record (h, or h | c); the records are joined
 * in step order.
 */
export function runSeqForward(name: string, inputs: Record<string, tf.Tensor | undefined> & { xp: tf.Tensor3D; state0: tf.Tensor3D; mask?: tf.Tensor3D }, attrs: object, stateWidth: number): tf.Tensor3D {
  const [T, B] = inputs.xp.shape;
  const max = seqLimits.maxSteps;
  if (T <= max) return runSeqKernel(name, inputs, attrs);
  return tf.tidy(() => {
    const parts: tf.Tensor3D[] = [];
    let state0 = inputs.state0;
    for (let t0 = 0; t0 < T; t0 += max) {
      const n = Math.min(max, T - t0);
      const mask = inputs.mask && steps(inputs.mask, t0, n);
      const records = runSeqKernel(name, { ...inputs, xp: steps(inputs.xp, t0, n), state0, mask }, attrs);
      parts.push(records);
      state0 = tf.slice(records, [n - 1, 0, 0], [1, B, stateWidth]);
    }
    return tf.concat(parts, 0) as tf.Tensor3D;
  });
}

/**
 * Backward kernel `name` over the sequence, chunk by chunk from the last: a chunk reads its steps
 * of the records, dH and the mask, starts from the first backward record of the chunk after it,
 * and (where the kernel takes `state0`) sees the first `stateWidth` columns of the forward record
 * before it as its state0; the backward records are joined in step order.
 */
export function runSeqBackward(name: string, inputs: Record<string, tf.Tensor | undefined> & { records: tf.Tensor3D; dH: tf.Tensor3D; carry0: tf.Tensor3D; state0?: tf.Tensor3D; mask?: tf.Tensor3D }, attrs: object, stateWidth: number): tf.Tensor3D {
  const [T, B] = inputs.records.shape;
  const max = seqLimits.maxSteps;
  if (T <= max) return runSeqKernel(name, inputs, attrs);
  return tf.tidy(() => {
    const parts: tf.Tensor3D[] = [];
    let carry0 = inputs.carry0;
    for (let t0 = Math.floor((T - 1) / max) * max; t0 >= 0; t0 -= max) {
      const n = Math.min(max, T - t0);
      const state0 = inputs.state0 && (t0 === 0 ? inputs.state0 : tf.slice(inputs.records, [t0 - 1, 0, 0], [1, B, stateWidth]));
      const chunk = { records: steps(inputs.records, t0, n), dH: steps(inputs.dH, t0, n), mask: inputs.mask && steps(inputs.mask, t0, n), carry0, state0 };
      const out = runSeqKernel(name, { ...inputs, ...chunk }, attrs);
      parts.unshift(out);
      carry0 = tf.slice(out, [0, 0, 0], [1, B, out.shape[2]]);
    }
    return tf.concat(parts, 0) as tf.Tensor3D;
  });
}

/** Runs sequence kernel `name` on the named inputs (undefined ones, an absent mask, left out) in one launch. */
export function runSeqKernel(name: string, inputs: Record<string, tf.Tensor | undefined>, attrs: object): tf.Tensor3D {
  const named = Object.fromEntries(Object.entries(inputs).filter(([, t]) => t !== undefined)) as tf.NamedTensorMap;
  return tf.engine().runKernel(name, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor3D;
}
