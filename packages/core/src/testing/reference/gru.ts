/**
 * Float64 reference GRU (reset-before and reset-after), the oracle for the tfjs `ops.gru` forward
 * and, through finite differences, its BPTT gradients.
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
import { checkMat, sameShape, shapeToString, type Mat } from './mat.js';

/**
 * GRU parameters in the Keras layout: kernel [I, 3H], recurrentKernel [H, 3H], gate blocks
 * z, r, h. Bias: reset-before [3H]; reset-after [2, 3H] or its flat form [6H] (row 0 the input
 * bias b_x, row 1 the recurrent bias b_h). Zeros when absent.
 */
export interface GruParams {
  kernel: Mat;
  recurrentKernel: Mat;
  bias?: Mat;
}

export interface GruOptions extends SequenceOptions {
  /** Apply the reset gate after the recurrent matmul (cuDNN / PyTorch / Keras 2+ default). */
  resetAfter?: boolean;
}

const OP = 'referenceGru';

/**
 * Runs a GRU over the whole sequence in float64, with the Keras update convention:
 *
 *     z_t = σ(x_t W_z + h_{t-1} U_z + b_z)
 *     r_t = σ(x_t W_r + h_{t-1} U_r + b_r)
 *     reset-before: ĥ_t = tanh(x_t W_h + (r_t ⊙ h_{t-1}) U_h + b_h)
 *     reset-after:  ĥ_t = tanh(x_t W_h + b_xh + r_t ⊙ (h_{t-1} U_h + b_hh))
 *     h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ ĥ_t
 *
 * With reset-after, b_z and b_r above are the sums of the input and recurrent biases of that
 * block (b_x,z + b_h,z), exactly as Keras computes them.
 *
 * Shapes: x [B, T, I] → sequence [B, T, H], h [B, H]. Masked steps (mask[b, t] = 0) carry h over
 * unchanged; `reverse` consumes t = T-1..0 with outputs kept at their input positions.
 *
 * @example
 *   const out = referenceGru(fromNested([[[1], [2]]]), {
 *     kernel: fromNested([[0.1, 0.2, 0.3]]),
 *     recurrentKernel: fromNested([[0.4, 0.5, 0.6]]),
 *     bias: fromNested([[0, 0, 0], [0.1, 0.1, 0.1]]),
 *   }, { resetAfter: true });
 */
export function referenceGru(x: Mat, params: GruParams, options: GruOptions = {}): SequenceResult {
  const dims = checkCommon(OP, x, params.kernel, params.recurrentKernel, 3, options);
  const H = dims.units;
  const G = 3 * H;
  const resetAfter = options.resetAfter === true;
  // Input bias (added to x_t W) and recurrent bias (added to h_{t-1} U), each [3H].
  let biasX: Float64Array = new Float64Array(G);
  let biasH: Float64Array = new Float64Array(G);
  const bias = params.bias;
  if (bias !== undefined) {
    if (!resetAfter) {
      expectShape(OP, 'bias', bias, [G], '[3H] (reset-before)');
      biasX = bias.data;
    } else {
      checkMat(OP, 'bias', bias);
      const ok = sameShape(bias.shape, [2, G]) || sameShape(bias.shape, [2 * G]);
      if (!ok) {
        throw new Error(
          `${OP}: bias must be [2, 3H] = [2, ${G}] or flat [6H] = [${2 * G}] with resetAfter, got ${shapeToString(bias.shape)}`,
        );
      }
      biasX = bias.data.subarray(0, G);
      biasH = bias.data.subarray(G, 2 * G);
    }
  }

  const step = (xt: Float64Array, { h: hPrev }: CellState): CellState => {
    const ax = Float64Array.from(biasX); // x_t W + b_x, blocks z, r, h
    addVecMat(ax, xt, params.kernel.data, G, 0);
    const h = new Float64Array(H);
    if (resetAfter) {
      const ah = Float64Array.from(biasH); // h_{t-1} U + b_h, blocks z, r, h
      addVecMat(ah, hPrev, params.recurrentKernel.data, G, 0);
      for (let j = 0; j < H; j++) {
        const z = sigmoid((ax[j] ?? 0) + (ah[j] ?? 0));
        const r = sigmoid((ax[H + j] ?? 0) + (ah[H + j] ?? 0));
        const hHat = Math.tanh((ax[2 * H + j] ?? 0) + r * (ah[2 * H + j] ?? 0));
        h[j] = z * (hPrev[j] ?? 0) + (1 - z) * hHat;
      }
      return { h };
    }
    // Reset-before: z and r first, then the candidate from (r ⊙ h_{t-1}) U_h.
    const azr = new Float64Array(2 * H); // h_{t-1} [U_z | U_r]
    addVecMat(azr, hPrev, params.recurrentKernel.data, G, 0);
    const z = new Float64Array(H);
    const rh = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      z[j] = sigmoid((ax[j] ?? 0) + (azr[j] ?? 0));
      rh[j] = sigmoid((ax[H + j] ?? 0) + (azr[H + j] ?? 0)) * (hPrev[j] ?? 0);
    }
    const aHat = Float64Array.from(block(ax, 2 * H, H)); // x_t W_h + b_h
    addVecMat(aHat, rh, params.recurrentKernel.data, G, 2 * H);
    for (let j = 0; j < H; j++) {
      const zj = z[j] ?? 0;
      h[j] = zj * (hPrev[j] ?? 0) + (1 - zj) * Math.tanh(aHat[j] ?? 0);
    }
    return { h };
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
