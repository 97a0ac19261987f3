/**
 * FLOP counting for the recurrences, as pure functions of the cell, the mode and the shape.
 *
 * Convention (also in the bench README section):
 * - A matMul [M, K] × [K, N] counts 2·M·K·N (a multiply and an add per term).
 * - Every elementwise add, multiply, subtraction or nonlinearity counts 1 per element.
 * - Forward, per token (one batch row at one time step), with G gate blocks (LSTM 4, GRU 3,
 *   simple RNN 1): input projection 2·I·G·H, recurrent product 2·H·G·H, plus P·H pointwise:
 *     LSTM  P = 17: x·W + h·U (4), + b (4), σ on i, f, o (3), tanh ĉ (1), c = f⊙c + i⊙ĉ (3),
 *                   tanh c (1), h = o⊙tanh c (1).
 *     GRU   P = 14 (reset-before, as tf.layers.gru): + b (3), x·W_zr + h·U_zr (2), σ on z, r (2),
 *                   r⊙h (1), + (r⊙h)·U_h (1), tanh (1), h = z⊙h + (1 − z)⊙ĥ (4).
 *     RNN   P = 3:  + b, + h·U, tanh.
 * - Training counts 3× the forward (the backward of a matMul is two matMuls of the same size; the
 *   pointwise backward is taken at the same factor), plus the dense softmax head [H, C] at every
 *   step, also 3 × 2·H·C per token. The loss, the softmax and the Adam update are not counted.
 * - Inference: the forward over B·T tokens. Generation: the forward over B tokens (one step).
 */
import type { Cell, Mode, Shape } from './types.js';

/** Gate blocks per cell: the width of the fused kernel is G·H. */
export function gateCount(cell: Cell): number {
  switch (cell) {
    case 'lstm':
      return 4;
    case 'gru':
      return 3;
    case 'rnn':
      return 1;
    default:
      cell satisfies never;
      throw new Error(`gateCount: unknown cell "${String(cell)}"; expected lstm, gru or rnn`);
  }
}

/** Pointwise FLOPs per hidden unit per token in the forward (see the module comment). */
export function pointwisePerUnit(cell: Cell): number {
  switch (cell) {
    case 'lstm':
      return 17;
    case 'gru':
      return 14;
    case 'rnn':
      return 3;
    default:
      cell satisfies never;
      throw new Error(`pointwisePerUnit: unknown cell "${String(cell)}"`);
  }
}

/** Forward FLOPs of one token through the cell, by part. */
export interface TokenFlops {
  inputMatMul: number;
  recurrentMatMul: number;
  pointwise: number;
}

/** Forward FLOPs of one token: 2·I·G·H + 2·H·G·H + P·H. */
export function tokenFlops(cell: Cell, inputs: number, hidden: number): TokenFlops {
  const g = gateCount(cell);
  return {
    inputMatMul: 2 * inputs * g * hidden,
    recurrentMatMul: 2 * hidden * g * hidden,
    pointwise: pointwisePerUnit(cell) * hidden,
  };
}

/** FLOPs of one timed unit of a mode, by part. */
export interface UnitFlops {
  /** Tokens one unit processes: B·T (training, inference) or B (generation). */
  tokens: number;
  /** Recurrence matMul FLOPs, input projection part. */
  inputMatMul: number;
  /** Recurrence matMul FLOPs, recurrent product part. */
  recurrentMatMul: number;
  pointwise: number;
  /** Dense softmax head (training only). */
  head: number;
  total: number;
}

/** The factor training applies to forward FLOPs (forward + two backward matMuls per matMul). */
export const TRAINING_FACTOR = 3;

/**
 * FLOPs of one timed unit: a training step or a forward pass over B×T, or one generation step
 * over B. `classes` only matters in training.
 */
export function countFlops(cell: Cell, mode: Mode, shape: Shape): UnitFlops {
  const perToken = tokenFlops(cell, shape.inputs, shape.hidden);
  const tokens = mode === 'generation' ? shape.batch : shape.batch * shape.time;
  const factor = mode === 'training' ? TRAINING_FACTOR : 1;
  const inputMatMul = factor * tokens * perToken.inputMatMul;
  const recurrentMatMul = factor * tokens * perToken.recurrentMatMul;
  const pointwise = factor * tokens * perToken.pointwise;
  const head = mode === 'training' ? TRAINING_FACTOR * tokens * 2 * shape.hidden * shape.classes : 0;
  return { tokens, inputMatMul, recurrentMatMul, pointwise, head, total: inputMatMul + recurrentMatMul + pointwise + head };
}

/** The matMul shapes a case's matMul rate is measured on: [M, K] × [K, N]. */
export interface MatMulShapes {
  recurrent: [number, number, number];
  input: [number, number, number];
}

/** [B, H] × [H, G·H] and [rows, I] × [I, G·H], rows = B·T (B in generation). */
export function matMulShapes(cell: Cell, mode: Mode, shape: Shape): MatMulShapes {
  const gh = gateCount(cell) * shape.hidden;
  const rows = mode === 'generation' ? shape.batch : shape.batch * shape.time;
  return { recurrent: [shape.batch, shape.hidden, gh], input: [rows, shape.inputs, gh] };
}

/** FLOPs of one [M, K] × [K, N] matMul. */
export function matMulFlops([m, k, n]: readonly [number, number, number]): number {
  return 2 * m * k * n;
}

/**
 * The rate (GFLOP/s) the case's matMuls would run at if each ran at its measured rate: their
 * FLOPs over the time they would take, Σf / Σ(f_i / r_i) — a FLOP-weighted harmonic mean.
 */
export function matMulLimit(flops: Pick<UnitFlops, 'inputMatMul' | 'recurrentMatMul'>, inputGflops: number, recurrentGflops: number): number {
  const time = flops.inputMatMul / inputGflops + flops.recurrentMatMul / recurrentGflops;
  return time > 0 ? (flops.inputMatMul + flops.recurrentMatMul) / time : 0;
}
