/**
 * Input validation shared by the recurrent ops. Everything is checked before any kernel runs, and
 * every message names the op, the argument, what was expected and what was found, e.g.
 * `lstm: recurrentKernel must be [H, 4H] = [128, 512], got [128, 384]`.
 */
import type * as tf from '@tensorflow/tfjs-core';

export class RecurrentInputError extends Error {
  override name = 'RecurrentInputError';
}

function fail(message: string): never {
  throw new RecurrentInputError(message);
}

function isTensor(v: unknown): v is tf.Tensor {
  return v !== null && typeof v === 'object' && 'dataId' in v && 'shape' in v && 'dtype' in v;
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** Asserts `value` is a float32 tensor of exactly `shape`; `formula` describes the shape symbolically. */
export function expectShape(op: string, name: string, value: unknown, shape: readonly number[], formula: string): asserts value is tf.Tensor {
  if (!isTensor(value)) fail(`${op}: ${name} must be a tf.Tensor of shape ${formula} = ${fmt(shape)}, got ${describe(value)}`);
  if (value.isDisposed) fail(`${op}: ${name} has been disposed`);
  if (value.dtype !== 'float32') fail(`${op}: ${name} must be float32, got ${value.dtype}`);
  const same = value.shape.length === shape.length && value.shape.every((d, i) => d === shape[i]);
  if (!same) fail(`${op}: ${name} must be ${formula} = ${fmt(shape)}, got ${fmt(value.shape)}`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a plain array (wrap it with tf.tensor)';
  return typeof value;
}

/** Sizes read off `x` [B, T, I] and the recurrent kernel [H, G·H]. */
export interface Dims {
  batch: number;
  time: number;
  inputSize: number;
  units: number;
}

/**
 * Checks `x` and the kernels, and returns the sizes. `gates` is the number of H-wide blocks in
 * the kernels (LSTM 4, coupled LSTM 3, GRU 3, simple RNN 1).
 */
export function checkCore(op: string, x: unknown, kernel: unknown, recurrentKernel: unknown, gates: number, gateNames: string): Dims {
  if (!isTensor(x)) fail(`${op}: x must be a tf.Tensor [batch, time, features], got ${describe(x)}`);
  if (x.isDisposed) fail(`${op}: x has been disposed`);
  if (x.rank !== 3) fail(`${op}: x must be rank 3 [batch, time, features], got rank ${x.rank} ${fmt(x.shape)}`);
  if (x.dtype !== 'float32') fail(`${op}: x must be float32, got ${x.dtype}`);
  const [batch, time, inputSize] = x.shape as [number, number, number];
  if (batch < 1 || time < 1 || inputSize < 1) fail(`${op}: x must have batch, time and features ≥ 1, got ${fmt(x.shape)}`);
  if (!isTensor(recurrentKernel)) fail(`${op}: recurrentKernel must be a tf.Tensor [H, ${gates === 1 ? 'H' : `${gates}H`}], got ${describe(recurrentKernel)}`);
  if (recurrentKernel.rank !== 2) fail(`${op}: recurrentKernel must be rank 2 [H, ${gates === 1 ? 'H' : `${gates}H`}], got ${fmt(recurrentKernel.shape)}`);
  const units = recurrentKernel.shape[0]!;
  const g = gates === 1 ? 'H' : `${gates}H`;
  expectShape(op, 'recurrentKernel', recurrentKernel, [units, gates * units], `[H, ${g}] (blocks ${gateNames})`);
  expectShape(op, 'kernel', kernel, [inputSize, gates * units], `[I, ${g}] (I = x's features)`);
  return { batch, time, inputSize, units };
}

/** Checks an initial state [B, H]. */
export function checkState(op: string, name: string, state: unknown, dims: Dims): void {
  if (state === undefined) return;
  expectShape(op, name, state, [dims.batch, dims.units], '[B, H]');
}

/** Checks a mask [B, T] of zeros and ones (values are read: call before any kernel). */
export function checkMask(op: string, mask: unknown, dims: Dims): void {
  if (mask === undefined) return;
  if (!isTensor(mask)) fail(`${op}: mask must be a tf.Tensor [B, T] of 0/1, got ${describe(mask)}`);
  if (mask.isDisposed) fail(`${op}: mask has been disposed`);
  const same = mask.rank === 2 && mask.shape[0] === dims.batch && mask.shape[1] === dims.time;
  if (!same) fail(`${op}: mask must be [B, T] = ${fmt([dims.batch, dims.time])}, got ${fmt(mask.shape)}`);
  if (mask.dtype !== 'float32' && mask.dtype !== 'int32' && mask.dtype !== 'bool') {
    fail(`${op}: mask must be float32, int32 or bool, got ${mask.dtype}`);
  }
}

/** Rejects option keys the op does not know (no option is accepted and ignored). */
export function checkKeys(op: string, what: string, record: object | undefined, allowed: readonly string[]): void {
  if (record === undefined) return;
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key) && (record as Record<string, unknown>)[key] !== undefined) {
      fail(`${op}: unknown ${what} "${key}"; expected one of ${allowed.join(', ')}`);
    }
  }
}

export { fail as invalid };
