/**
 * Shared pieces of the float64 reference recurrences: shape checks, the row-vector × matrix
 * product, the activations, and the time loop that applies masking and reverse.
 *
 * Everything works on one batch row at a time with plain loops, deliberately the most literal
 * transcription of SPEC.md, so it shares no structure (and no bugs) with the tfjs ops it checks.
 */
import { checkMat, sameShape, shapeToString, sizeOf, type Mat } from './mat.js';

/** Options every reference recurrence accepts (LSTM adds `c0` and `coupled`). */
export interface SequenceOptions {
  /** Initial hidden state [B, H]; zeros when absent. */
  h0?: Mat;
  /** [B, T] of 0/1. Where 0 the state is carried over unchanged and output t equals that h. */
  mask?: Mat;
  /** Consume time from T-1 down to 0; output t is still the state after consuming x_t. */
  reverse?: boolean;
}

/** Result of a reference recurrence: every per-step output and the final hidden state. */
export interface SequenceResult {
  /** [B, T, H], aligned with the input positions (also when `reverse`). */
  sequence: Mat;
  /** [B, H], the state after the last consumed step (x_0 when `reverse`). */
  h: Mat;
}

/** Dimensions of a recurrence call, read from x [B, T, I] and recurrentKernel [H, G·H]. */
export interface Dims {
  batch: number;
  time: number;
  inputSize: number;
  units: number;
}

/** The logistic sigmoid σ(a) = 1 / (1 + e^{-a}), in the form that cannot overflow. */
export function sigmoid(a: number): number {
  if (a >= 0) return 1 / (1 + Math.exp(-a));
  const e = Math.exp(a);
  return e / (1 + e);
}

/**
 * out[j] += Σ_k v[k] · m[k, colStart + j] for j < out.length, where m is row-major with `cols`
 * columns and v.length rows: a row vector times a column block of a [K, cols] matrix.
 */
export function addVecMat(
  out: Float64Array,
  v: Float64Array,
  m: Float64Array,
  cols: number,
  colStart: number,
): void {
  for (let k = 0; k < v.length; k++) {
    const vk = v[k] ?? 0;
    const row = k * cols + colStart;
    for (let j = 0; j < out.length; j++) out[j] = (out[j] ?? 0) + vk * (m[row + j] ?? 0);
  }
}

/** Throws `${op}: ${name} must be ${description} = [..], got [..]` unless the shape matches. */
export function expectShape(
  op: string,
  name: string,
  m: Mat,
  expected: readonly number[],
  description: string,
): void {
  checkMat(op, name, m);
  if (!sameShape(m.shape, expected)) {
    throw new Error(
      `${op}: ${name} must be ${description} = ${shapeToString(expected)}, got ${shapeToString(m.shape)}`,
    );
  }
}

/**
 * Reads B, T, I from x [B, T, I] and H from recurrentKernel [H, gates·H], and checks x, kernel,
 * recurrentKernel, h0 and mask against them. `gates` is 4 for LSTM, 3 for coupled LSTM and GRU,
 * 1 for the simple RNN.
 */
export function checkCommon(
  op: string,
  x: Mat,
  kernel: Mat,
  recurrentKernel: Mat,
  gates: number,
  options: SequenceOptions,
): Dims {
  checkMat(op, 'x', x);
  checkMat(op, 'recurrentKernel', recurrentKernel);
  if (x.shape.length !== 3) {
    throw new Error(`${op}: x must be [batch, time, features], got ${shapeToString(x.shape)}`);
  }
  const [batch = 0, time = 0, inputSize = 0] = x.shape;
  const gh = gates === 1 ? 'H' : `${gates}H`;
  const units = recurrentKernel.shape[0] ?? 0;
  if (recurrentKernel.shape.length !== 2) {
    throw new Error(
      `${op}: recurrentKernel must be [H, ${gh}], got ${shapeToString(recurrentKernel.shape)}`,
    );
  }
  expectShape(op, 'recurrentKernel', recurrentKernel, [units, gates * units], `[H, ${gh}]`);
  expectShape(op, 'kernel', kernel, [inputSize, gates * units], `[I, ${gh}]`);
  if (options.h0 !== undefined) expectShape(op, 'h0', options.h0, [batch, units], '[B, H]');
  if (options.mask !== undefined) {
    expectShape(op, 'mask', options.mask, [batch, time], '[B, T]');
    options.mask.data.forEach((v, k) => {
      if (v !== 0 && v !== 1) {
        throw new Error(`${op}: mask must hold only 0 and 1, got ${v} at flat index ${k}`);
      }
    });
  }
  return { batch, time, inputSize, units };
}

/** Row b of a [B, H] Mat as a fresh vector, or zeros when the Mat is absent. */
export function rowOrZeros(m: Mat | undefined, b: number, units: number): Float64Array {
  if (m === undefined) return new Float64Array(units);
  return m.data.slice(b * units, (b + 1) * units);
}

/** Column block [start, start + n) of a flat vector, e.g. gate block g of a [G·H] bias. */
export function block(v: Float64Array, start: number, n: number): Float64Array {
  return v.subarray(start, start + n);
}

/** Any recurrent state: the hidden state plus whatever else the cell carries (LSTM: c). */
export interface CellState {
  h: Float64Array;
}

/**
 * The time loop shared by all cells: for each batch row, start from `initial(b)` and apply
 * `step(x_t, state)` over t = 0..T-1 (or T-1..0 when `reverse`), carrying the state unchanged
 * where mask[b, t] = 0. Writes the h of the state after position t to sequence[b, t, :].
 * Returns the sequence [B, T, H] and the final state of each batch row.
 */
export function scan<S extends CellState>(
  x: Mat,
  dims: Dims,
  options: SequenceOptions,
  initial: (b: number) => S,
  step: (xt: Float64Array, state: S) => S,
): { sequence: Mat; finals: S[] } {
  const { batch, time, inputSize, units } = dims;
  const sequence = new Float64Array(sizeOf([batch, time, units]));
  const finals: S[] = [];
  for (let b = 0; b < batch; b++) {
    let state = initial(b);
    for (let n = 0; n < time; n++) {
      const t = options.reverse === true ? time - 1 - n : n;
      const keep = options.mask === undefined || options.mask.data[b * time + t] === 1;
      if (keep) {
        const start = (b * time + t) * inputSize;
        state = step(x.data.subarray(start, start + inputSize), state);
      }
      sequence.set(state.h, (b * time + t) * units);
    }
    finals.push(state);
  }
  return { sequence: { shape: [batch, time, units], data: sequence }, finals };
}

/** Stacks per-row vectors [H] into a [B, H] Mat. */
export function stackRows(rows: readonly Float64Array[], units: number): Mat {
  const data = new Float64Array(rows.length * units);
  rows.forEach((r, b) => data.set(r, b * units));
  return { shape: [rows.length, units], data };
}
