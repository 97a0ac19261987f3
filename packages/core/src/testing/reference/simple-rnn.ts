/**
 * Float64 reference simple (Elman) RNN with tanh or ReLU, the oracle for the tfjs
 * `ops.simpleRnn` forward and, through finite differences, its BPTT gradients.
 */
import {
  addVecMat,
  checkCommon,
  expectShape,
  rowOrZeros,
  scan,
  stackRows,
  type CellState,
  type SequenceOptions,
  type SequenceResult,
} from './common.js';
import type { Mat } from './mat.js';

/** Simple RNN parameters in the Keras layout: kernel [I, H], recurrentKernel [H, H], bias [H]. */
export interface SimpleRnnParams {
  kernel: Mat;
  recurrentKernel: Mat;
  /** [H]; zeros when absent. */
  bias?: Mat;
}

export type SimpleRnnActivation = 'tanh' | 'relu';

export interface SimpleRnnOptions extends SequenceOptions {
  /** φ in h_t = φ(...); 'tanh' when absent. ReLU with U = identity is the IRNN. */
  activation?: SimpleRnnActivation;
}

const OP = 'referenceSimpleRnn';

/**
 * Runs a simple RNN over the whole sequence in float64:
 *
 *     h_t = φ(x_t W + h_{t-1} U + b),   φ = tanh or ReLU
 *
 * Shapes: x [B, T, I] → sequence [B, T, H], h [B, H]. Masked steps (mask[b, t] = 0) carry h over
 * unchanged; `reverse` consumes t = T-1..0 with outputs kept at their input positions.
 *
 * @example
 *   const out = referenceSimpleRnn(fromNested([[[1], [2]]]), {
 *     kernel: fromNested([[1]]),
 *     recurrentKernel: fromNested([[1]]),
 *   }, { activation: 'relu' });
 *   out.h.data; // Float64Array [3]  (IRNN: a running sum of non-negative inputs)
 */
export function referenceSimpleRnn(
  x: Mat,
  params: SimpleRnnParams,
  options: SimpleRnnOptions = {},
): SequenceResult {
  const dims = checkCommon(OP, x, params.kernel, params.recurrentKernel, 1, options);
  const H = dims.units;
  if (params.bias !== undefined) expectShape(OP, 'bias', params.bias, [H], '[H]');
  const activation = options.activation ?? 'tanh';
  const phi = activationFunction(activation);
  const bias = params.bias?.data ?? new Float64Array(H);

  const step = (xt: Float64Array, { h: hPrev }: CellState): CellState => {
    const a = Float64Array.from(bias);
    addVecMat(a, xt, params.kernel.data, H, 0);
    addVecMat(a, hPrev, params.recurrentKernel.data, H, 0);
    return { h: a.map(phi) };
  };

  const { sequence, finals } = scan<CellState>(
    x,
    dims,
    options,
    (b) => ({ h: rowOrZeros(options.h0, b, H) }),
    step,
  );
  return {
    sequence,
    h: stackRows(
      finals.map((s) => s.h),
      H,
    ),
  };
}

function activationFunction(activation: SimpleRnnActivation): (a: number) => number {
  switch (activation) {
    case 'tanh':
      return Math.tanh;
    case 'relu':
      return (a) => Math.max(0, a);
    default: {
      const found: never = activation;
      throw new Error(`${OP}: activation must be 'tanh' or 'relu', got ${JSON.stringify(found)}`);
    }
  }
}
