/** Leak checks: the number of live tensors must be the same before and after. */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/**
 * Runs `fn` and asserts it leaves no tensor behind (`tf.memory().numTensors` before = after).
 * Returns what `fn` returned; tensors in it count as leaks, so return plain data.
 */
export async function expectNoLeaks<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  expect(after - before, `tensors leaked (live tensors went from ${before} to ${after})`).toBe(0);
  return result;
}

/** Reads a tensor (or several) into plain arrays and disposes nothing: the caller owns them. */
export async function read(t: tf.Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}
