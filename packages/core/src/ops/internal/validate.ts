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

/** Extra words for a shape message: the condition the shape depends on, and what to do about a mismatch. */
export interface ShapeNote {
  /** Follows the expected shape, e.g. `with resetAfter: true`. */
  when?: string;
  /** Follows what was found, e.g. `stack the input and recurrent biases: tf.stack([bx, bh])`. */
  fix?: string;
}

/**
 * Asserts `value` is a float32 tensor of exactly `shape`; `formula` describes the shape symbolically.
 * `note` (optional) adds the condition and the fix to the mismatch message.
 */
export function expectShape(op: string, name: string, value: unknown, shape: readonly number[], formula: string, note: ShapeNote = {}): asserts value is tf.Tensor {
  const when = note.when === undefined ? '' : ` ${note.when}`;
  if (!isTensor(value)) fail(`${op}: ${name} must be a tf.Tensor of shape ${formula} = ${fmt(shape)}${when}, got ${describe(value)}`);
  if (value.isDisposed) fail(`${op}: ${name} has been disposed`);
  if (value.dtype !== 'float32') fail(`${op}: ${name} must be float32, got ${value.dtype}`);
  const same = value.shape.length === shape.length && value.shape.every((d, i) => d === shape[i]);
  if (!same) fail(`${op}: ${name} must be ${formula} = ${fmt(shape)}${when}, got ${fmt(value.shape)}${note.fix === undefined ? '' : `; ${note.fix}`}`);
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
  const blocks = gateNames === '' ? {} : { when: `(blocks ${gateNames})` }; // none for a single block (simple RNN)
  expectShape(op, 'recurrentKernel', recurrentKernel, [units, gates * units], `[H, ${g}]`, blocks);
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

/**
 * Checks the mask's values are 0 or 1. Reads the values synchronously, so call it only where that
 * is free (`backendCapabilities().hostMemory`), and before any kernel runs.
 */
export function checkMaskValues(op: string, mask: tf.Tensor): void {
  const values = mask.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== 0 && v !== 1) fail(`${op}: mask values must be 0 or 1, got ${v} at flat index ${i}`);
  }
}

/** Data buffers already found finite (keyed by `dataId`, which changes whenever the values do). */
const finiteData = new WeakSet<object>();

/** `[i, j, …]` of flat index `k` in `shape`. */
function position(shape: readonly number[], k: number): string {
  const at: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(k % shape[d]!);
    k = Math.floor(k / shape[d]!);
  }
  return fmt(at);
}

/**
 * Checks that x, the initial states and every parameter hold no NaN or ±Inf, naming the first
 * one found and where. Reads the values synchronously: call it only where that is free
 * (`backendCapabilities().hostMemory`), before any kernel. Each distinct data buffer is scanned
 * once, so weights reused call after call (generation) cost one scan, not one per call.
 */
export function checkFinite(op: string, x: tf.Tensor, params: object, options: object): void {
  const named: [string, unknown][] = [['x', x]];
  for (const [k, v] of Object.entries(params)) {
    if (k === 'peephole' && v !== null && typeof v === 'object' && !isTensor(v)) for (const [g, p] of Object.entries(v)) named.push([`peephole.${g}`, p]);
    else named.push([k, v]);
  }
  for (const k of ['h0', 'c0']) named.push([k, (options as Record<string, unknown>)[k]]);
  for (const [name, t] of named) {
    if (!isTensor(t) || finiteData.has(t.dataId as object)) continue;
    const values = t.dataSync();
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (Number.isFinite(v)) continue;
      const fix = name === 'x' || name === 'h0' || name === 'c0'
        ? 'the input must be finite: replace missing values (e.g. tf.where(tf.isNaN(x), tf.zerosLike(x), x)) and mask those steps instead'
        : 'the weights diverged or were loaded damaged: reload good weights, and lower the learning rate or clip gradients';
      fail(`${op}: ${name} holds ${v} at ${position(t.shape, i)}; ${fix}`);
    }
    finiteData.add(t.dataId as object);
  }
}

/** Checks an optional boolean option (`reverse: 'yes'` would otherwise be silently truthy). */
export function checkFlag(op: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') fail(`${op}: ${name} must be true or false, got ${quote(value)}`);
}

/** Checks an optional option whose value is one of a few strings. */
export function checkChoice<C extends string>(op: string, name: string, value: unknown, choices: readonly C[]): asserts value is C | undefined {
  if (value !== undefined && !(choices as readonly unknown[]).includes(value)) {
    fail(`${op}: ${name} must be ${choices.map((c) => `'${c}'`).join(' or ')}, got ${quote(value)}`);
  }
}

/** A found value for a message: strings quoted, objects by kind. */
function quote(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (isTensor(value)) return 'a tf.Tensor';
  return typeof value === 'object' && value !== null ? describe(value) : String(value);
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
