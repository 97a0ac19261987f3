/**
 * Float64 reference LSTM (plain, diagonal peepholes, coupled input/forget gate), the oracle the
 * tfjs `ops.lstm` forward and its BPTT gradients (through finite differences) are checked against.
 */
import {
  addVecMat,
  block,
  checkCommon,
  expectShape,
  rowOrZeros,
  scan,
  sigmoid,
  stackRows,
  type CellState,
  type SequenceOptions,
  type SequenceResult,
} from './common.js';
import type { Mat } from './mat.js';

/**
 * LSTM parameters in the Keras layout. Plain: kernel [I, 4H], recurrentKernel [H, 4H],
 * bias [4H], gate blocks i, f, c, o. Coupled: kernel [I, 3H], recurrentKernel [H, 3H], bias [3H],
 * blocks f, c, o.
 */
export interface LstmParams {
  kernel: Mat;
  recurrentKernel: Mat;
  /** [4H] (coupled: [3H]); zeros when absent. */
  bias?: Mat;
  /**
   * Diagonal peephole weights, each [H]. `i` is required for the plain LSTM. With `coupled` the
   * input gate is 1 - f, so `i` has nothing to act on: it may be given (so one parameter record
   * serves both variants) and is then ignored, neither read nor shape-checked.
   */
  peephole?: { i?: Mat; f: Mat; o: Mat };
}

export interface LstmOptions extends SequenceOptions {
  /** Initial cell state [B, H]; zeros when absent. */
  c0?: Mat;
  /** Coupled input/forget gate: i_t = 1 - f_t, 3 gate blocks f, c, o. */
  coupled?: boolean;
}

export interface LstmResult extends SequenceResult {
  /** [B, H], the final cell state. */
  c: Mat;
}

interface LstmState extends CellState {
  c: Float64Array;
}

const OP = 'referenceLstm';

/**
 * Runs an LSTM over the whole sequence in float64 (σ = logistic sigmoid, ⊙ elementwise):
 *
 *     i_t = σ(x_t W_i + h_{t-1} U_i + b_i [+ p_i ⊙ c_{t-1}])     coupled: i_t = 1 - f_t
 *     f_t = σ(x_t W_f + h_{t-1} U_f + b_f [+ p_f ⊙ c_{t-1}])
 *     ĉ_t = tanh(x_t W_c + h_{t-1} U_c + b_c)
 *     c_t = f_t ⊙ c_{t-1} + i_t ⊙ ĉ_t
 *     o_t = σ(x_t W_o + h_{t-1} U_o + b_o [+ p_o ⊙ c_t])
 *     h_t = o_t ⊙ tanh(c_t)
 *
 * Shapes: x [B, T, I] → sequence [B, T, H] (h_t per position), h [B, H], c [B, H]. Masked steps
 * (mask[b, t] = 0) carry h and c over unchanged; `reverse` consumes t = T-1..0 with outputs kept
 * at their input positions.
 *
 * @example
 *   const out = referenceLstm(fromNested([[[0.5], [-1]]]), {
 *     kernel: fromNested([[0.1, 0.2, 0.3, 0.4]]),
 *     recurrentKernel: fromNested([[0.5, 0.6, 0.7, 0.8]]),
 *   });
 *   out.sequence.shape; // [1, 2, 1]
 */
export function referenceLstm(x: Mat, params: LstmParams, options: LstmOptions = {}): LstmResult {
  const coupled = options.coupled === true;
  const gates = coupled ? 3 : 4;
  const dims = checkCommon(OP, x, params.kernel, params.recurrentKernel, gates, options);
  const { batch, units: H } = dims;
  const gh = coupled ? '3H' : '4H';
  if (params.bias !== undefined) expectShape(OP, 'bias', params.bias, [gates * H], `[${gh}]`);
  if (options.c0 !== undefined) expectShape(OP, 'c0', options.c0, [batch, H], '[B, H]');
  const peephole = params.peephole;
  if (peephole !== undefined) {
    if (!coupled) {
      if (peephole.i === undefined) {
        throw new Error(
          `${OP}: peephole.i [H] is required unless coupled (got peephole with f and o only); pass coupled: true or add i`,
        );
      }
      expectShape(OP, 'peephole.i', peephole.i, [H], '[H]');
    }
    expectShape(OP, 'peephole.f', peephole.f, [H], '[H]');
    expectShape(OP, 'peephole.o', peephole.o, [H], '[H]');
  }

  // Gate block offsets (in units of H) inside the [G·H] pre-activation; coupled has no i block.
  const off = coupled ? { i: -1, f: 0, c: 1, o: 2 } : { i: 0, f: 1, c: 2, o: 3 };
  const G = gates * H;
  const bias = params.bias?.data ?? new Float64Array(G);
  const pI = coupled ? undefined : peephole?.i?.data;
  const pF = peephole?.f.data;
  const pO = peephole?.o.data;

  const step = (xt: Float64Array, { h: hPrev, c: cPrev }: LstmState): LstmState => {
    // a = x_t W + h_{t-1} U + b, all gate blocks at once.
    const a = Float64Array.from(bias);
    addVecMat(a, xt, params.kernel.data, G, 0);
    addVecMat(a, hPrev, params.recurrentKernel.data, G, 0);
    const aF = block(a, off.f * H, H);
    const aC = block(a, off.c * H, H);
    const aO = block(a, off.o * H, H);
    const aI = off.i >= 0 ? block(a, off.i * H, H) : undefined;
    const h = new Float64Array(H);
    const c = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      const cp = cPrev[j] ?? 0;
      const f = sigmoid((aF[j] ?? 0) + (pF?.[j] ?? 0) * cp);
      const i = aI === undefined ? 1 - f : sigmoid((aI[j] ?? 0) + (pI?.[j] ?? 0) * cp);
      const cHat = Math.tanh(aC[j] ?? 0);
      const cj = f * cp + i * cHat;
      const o = sigmoid((aO[j] ?? 0) + (pO?.[j] ?? 0) * cj);
      c[j] = cj;
      h[j] = o * Math.tanh(cj);
    }
    return { h, c };
  };

  const { sequence, finals } = scan<LstmState>(
    x,
    dims,
    options,
    (b) => ({ h: rowOrZeros(options.h0, b, H), c: rowOrZeros(options.c0, b, H) }),
    step,
  );
  return {
    sequence,
    h: stackRows(
      finals.map((s) => s.h),
      H,
    ),
    c: stackRows(
      finals.map((s) => s.c),
      H,
    ),
  };
}
