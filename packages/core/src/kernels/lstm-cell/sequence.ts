/**
 * The LSTM sequence loop over the fused cell kernels (kernel.ts): one launch per step forward and
 * one per step backward, the step records gathered after each loop with one `gatherSteps`
 * (gather-steps/kernel.ts). The plain LSTM at small H on webgpu: one launch for the whole
 * sequence, forward and backward (seq-kernel.ts).
 *
 * ops.lstm takes this path where the active backend registers both kernels; its own per-step loop
 * stays the path everywhere else. Inputs are in processing order (the op flips the time axis for
 * `reverse`), time-major.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gradsAgainst, shiftIn, transposeOnce } from '../../ops/internal/math.js';
import { backwardSteps, forwardSteps, fromSeqBackward, projectSteps } from '../cell-sequence.js';
import { recordWidth, runLstmCell, runLstmCellGrad } from './kernel.js';
import { hasLstmSeqGradKernel, hasLstmSeqKernel, runLstmSeq, runLstmSeqGrad } from './seq-kernel.js';

/**
 * The widest H for which the forward takes the one-dispatch kernel (seq-kernel.ts) where a backend
 * has it (webgpu). Measured on Dawn/llvmpipe, 13:05–13:20 UTC, one process, per-step kernels ÷
 * one dispatch, inference (training records): B 8 × T 16 at H 16, 32, 64: 3.2× (4.9×), 2.3×
 * (5.8×), 1.3× (2.4×); B 8 × T 64 at H 32, 128: 3.2× (3.2×), 1.6× (1.4×); B 32 × T 64 at H 64,
 * 128, 256: 2.1× (2.2×), 1.2× (1.15×), 0.84× (0.86×) — each workgroup of up to 4 rows re-reads U
 * every step, which stops paying once U is large. Every variant takes it (coupled gates,
 * peepholes); with peepholes, 14:55 UTC, inference (a whole gradient, both kernels): B 8 × T 64
 * at H 32: 3.28× (1.63×); B 32 × T 64 at H 64, 128: 1.36× (1.15×), 1.10× (1.00×).
 */
export const SEQ_WINS_UP_TO = 128;

/**
 * The widest H for which the backward takes the one-dispatch kernel where a backend has it.
 * Measured on Dawn/llvmpipe, 14:10–14:20 UTC, one process, a whole gradient (the forward one
 * dispatch in both), per-step backward ÷ one-dispatch backward, medians of 8 alternated pairs,
 * two runs: B 8 × T 16 at H 16, 64: 0.98–1.37×, 1.01–1.12×; B 8 × T 64 at H 32, 128: 1.44–1.71×,
 * 0.91–1.07×; B 32 × T 64 at H 64, 128: 0.96–1.42×, 0.84–1.02× (the per-step kernels' 4 × 4
 * tiles serve more threads once H is large).
 */
export const SEQ_GRAD_WINS_UP_TO = 64;

/** Whether a pass of this plan may take a one-dispatch kernel (seq-kernel.ts): H up to `upTo`. */
function oneDispatch({ T, H }: LstmCellPlan, upTo: number): boolean {
  return T > 1 && H <= upTo;
}

export interface LstmCellPlan {
  B: number;
  T: number;
  H: number;
  gates: number;
  coupled: boolean;
  peephole: boolean;
}

/** The peepholes as the kernels' [3, H] (rows i, f, o; i zero when coupled). */
export function peepholeRows(plan: LstmCellPlan, peep: tf.Tensor[]): tf.Tensor2D | undefined {
  if (!plan.peephole) return undefined;
  const rows = plan.coupled ? [tf.zeros([plan.H]), peep[0]!, peep[1]!] : peep;
  return tf.stack(rows) as tf.Tensor2D;
}

export interface FusedForward {
  /** [T, B, R]: every step's record (kernel.ts). */
  records: tf.Tensor3D;
  /** [1, B, 2H]: h0 | c0, as the kernels read it. */
  state0: tf.Tensor3D;
  /** [T, B, H]: carried h per step. */
  hs: tf.Tensor3D;
  hLast: tf.Tensor2D;
  cLast: tf.Tensor2D;
}

export function lstmFusedForward(
  plan: LstmCellPlan, X: tf.Tensor3D, W: tf.Tensor, U: tf.Tensor, b: tf.Tensor, h0: tf.Tensor, c0: tf.Tensor,
  P: tf.Tensor2D | undefined, M: tf.Tensor3D | undefined, training: boolean,
): FusedForward {
  const { B, T, H, gates, coupled, peephole } = plan;
  const XP = projectSteps(X, W, b, gates * H);
  const state0 = tf.expandDims(tf.concat([h0, c0], 1), 0) as tf.Tensor3D;
  const attrs = { coupled, peephole, masked: M !== undefined, training };
  const R = recordWidth(H, gates, training);
  let records: tf.Tensor3D;
  let last: tf.Tensor2D;
  if (oneDispatch(plan, SEQ_WINS_UP_TO) && hasLstmSeqKernel(H)) {
    records = runLstmSeq({ xp: XP, U: U as tf.Tensor2D, state0, mask: M, peephole: P }, training, { coupled, peephole });
    last = tf.reshape(tf.slice(records, [T - 1, 0, 0], [1, B, R]), [B, R]) as tf.Tensor2D;
  } else {
    const steps = forwardSteps(T, state0, (state, k) => runLstmCell({ xp: XP, U: U as tf.Tensor2D, state, mask: M, peephole: P }, { ...attrs, step: k }));
    records = steps.records;
    last = tf.reshape(steps.last, [B, R]) as tf.Tensor2D;
  }
  return {
    records,
    state0,
    hs: tf.slice(records, [0, 0, 0], [T, B, H]),
    hLast: tf.slice(last, [0, 0], [B, H]),
    cLast: tf.slice(last, [0, H], [B, H]),
  };
}

export interface FusedSaved {
  X: tf.Tensor3D;
  W: tf.Tensor;
  U: tf.Tensor;
  h0: tf.Tensor;
  c0: tf.Tensor;
  records: tf.Tensor3D;
  state0: tf.Tensor3D;
  M: tf.Tensor3D | undefined;
  P: tf.Tensor2D | undefined;
}

/**
 * BPTT over the records: per step one kernel (k = T−1 … 0) carrying dz | dc | keep; then the
 * weight gradients as single matMuls over all steps, as in ops/lstm.ts.
 */
export function lstmFusedBackward(plan: LstmCellPlan, s: FusedSaved, dH: tf.Tensor3D, dcLast: tf.Tensor) {
  const { B, T, H, gates, coupled, peephole } = plan;
  const GH = gates * H;
  const attrs = { coupled, peephole, masked: s.M !== undefined };
  const carry0 = tf.expandDims(tf.concat([tf.zeros([B, GH]), dcLast, tf.zeros([B, H])], 1), 0) as tf.Tensor3D;
  const UT = transposeOnce(s.U);
  // C [T, B, GH]: the dz columns of every carry (kernel.ts carryWidth); first: step 0's whole carry
  const { C, first } = oneDispatch(plan, SEQ_GRAD_WINS_UP_TO) && hasLstmSeqGradKernel(H)
    ? fromSeqBackward(runLstmSeqGrad({ records: s.records, state0: s.state0, dH, UT, carry0, mask: s.M, peephole: s.P }, { coupled, peephole }), { from: 0, width: GH })
    : backwardSteps(T, carry0, (carry, k) => runLstmCellGrad({ records: s.records, state0: s.state0, dH, UT, carry, mask: s.M, peephole: s.P }, { ...attrs, step: k }), { from: 0, width: GH });
  const dh0 = tf.add(tf.matMul(tf.slice(first, [0, 0], [B, GH]), UT), tf.slice(first, [0, GH + H], [B, H]));
  const dc0 = tf.slice(first, [0, GH], [B, H]);
  const dZflat = tf.reshape(C, [T * B, GH]) as tf.Tensor2D;
  const Xflat = tf.reshape(s.X, [T * B, -1]) as tf.Tensor2D;
  const hs = tf.slice(s.records, [0, 0, 0], [T, B, H]);
  const Hprev = tf.reshape(shiftIn(s.h0, hs), [T * B, H]) as tf.Tensor2D;
  const grads = gradsAgainst(dZflat);
  const dW = grads.weight(Xflat);
  const dU = grads.weight(Hprev);
  const db = grads.bias();
  const dX = tf.reshape(tf.matMul(dZflat, transposeOnce(s.W)), [T, B, -1]) as tf.Tensor3D;
  let dPeep: tf.Tensor[] = [];
  if (peephole) {
    const dz = (g: number) => tf.slice(C, [0, 0, g * H], [T, B, H]);
    const cPrev = shiftIn(s.c0, tf.slice(s.records, [0, 0, H], [T, B, H]));
    const cNew = tf.slice(s.records, [0, 0, 2 * H], [T, B, H]);
    const sumBT = (t: tf.Tensor) => tf.sum(t, [0, 1]);
    const dpo = sumBT(tf.mul(dz(gates - 1), cNew));
    dPeep = coupled ? [sumBT(tf.mul(dz(0), cPrev)), dpo] : [sumBT(tf.mul(dz(0), cPrev)), sumBT(tf.mul(dz(1), cPrev)), dpo];
  }
  return { dX, dW, dU, db, dh0, dc0, dPeep };
}
