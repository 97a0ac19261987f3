/**
 * `ops.gru`: the whole GRU sequence as one differentiable op, with our own BPTT.
 *
 *     z_t = σ(x_t W_z + h_{t-1} U_z + b_z)
 *     r_t = σ(x_t W_r + h_{t-1} U_r + b_r)
 *     reset-before: ĥ_t = tanh(x_t W_h + (r_t ⊙ h_{t-1}) U_h + b_h)
 *     reset-after:  ĥ_t = tanh(x_t W_h + b_xh + r_t ⊙ (h_{t-1} U_h + b_hh))
 *     h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ ĥ_t
 *
 * Keras layout and update convention: kernel [I, 3H], recurrentKernel [H, 3H], blocks z, r, h;
 * bias [3H] (reset-before) or [2, 3H] (reset-after: row 0 the input bias, row 1 the recurrent
 * bias; for z and r they are simply summed). z near 1 keeps the old state; the textbook form
 * h_t = (1 − z_t) ⊙ h_{t-1} + z_t ⊙ ĥ_t is the same model with z negated.
 *
 * Speed structure (as ops.lstm): the input projections x·W + b for all steps are computed before
 * the loop; each step is h·U_zr, one sigmoid for z and r together, the candidate's matMul and a
 * few elementwise kernels; the backward's weight gradients are single matMuls after the loop.
 * The loop runs on g = 1 − z = σ(−a_z) (W, U, b's z columns negated once per call), so that
 * h_t = h + g ⊙ (ĥ − h) and a mask m enters as one multiply, h + (m ⊙ g) ⊙ (ĥ − h), which
 * carries h over exactly where m = 0. Where tanh is slow the candidate's columns are scaled by 2
 * and ĥ = 2σ(2a) − 1 = tanh(a).
 *
 * Reset-after takes h·U_zr and h·U_h + b_hh as two matMuls (the second with its bias fused) rather
 * than one h·U split in two: the same kernel count on cpu and wasm, one launch fewer on GPUs (no
 * split), and the step keeps reset-before's shape. Its backward is one matMul with Uᵀ per step.
 *
 * Where the backend registers the fused cell kernels (kernels/gru-cell: both forms on wasm, webgl
 * and webgpu), a step is instead one kernel forward and one backward, matMul included
 * (`gruFusedWithGrad`).
 */
import * as tf from '@tensorflow/tfjs-core';
import '../tfjs-setup.js';
import { backendCapabilities } from '../backend/index.js';
import { hasGruCellKernels, hasGruRbCellKernels } from '../kernels/gru-cell/kernel.js';
import { gruFusedBackward, gruFusedForward, gruRbFusedBackward, gruRbFusedForward } from '../kernels/gru-cell/sequence.js';
import { fusedArgs } from '../kernels/cell-sequence.js';
import { checkCore, checkFinite, checkFlag, checkKeys, checkMask, checkMaskValues, checkState, expectShape } from './internal/validate.js';
import { fromSteps, maskSteps, stepAt, splitColumns, Steps, toSteps } from './internal/time.js';
import { affine, blockConstants, gradsAgainst, shiftIn, tanhOfDoubled, transposeOnce } from './internal/math.js';

export interface GruParams {
  /** [I, 3H], blocks z, r, h. */
  kernel: tf.Tensor2D;
  /** [H, 3H], blocks z, r, h. */
  recurrentKernel: tf.Tensor2D;
  /** [3H]; with `resetAfter`, [2, 3H] (row 0 input bias, row 1 recurrent bias). Zeros when absent. */
  bias?: tf.Tensor1D | tf.Tensor2D;
}

export interface GruOptions {
  /** Initial hidden state [B, H]; zeros when absent. */
  h0?: tf.Tensor2D;
  /** [B, T]: where 0 the state is carried over and the output repeats it. */
  mask?: tf.Tensor2D;
  /** Run from T−1 down to 0; outputs stay aligned with input positions. */
  reverse?: boolean;
  /** Apply the reset gate after the recurrent matMul (cuDNN, PyTorch, Keras 2+ default). */
  resetAfter?: boolean;
}

export interface GruResult {
  /** [B, T, H]: h after consuming x_t, at position t. */
  sequence: tf.Tensor3D;
  /** [B, H]: the last state (after the last processed step). */
  h: tf.Tensor2D;
}

const OPTION_KEYS = ['h0', 'mask', 'reverse', 'resetAfter'] as const;
const PARAM_KEYS = ['kernel', 'recurrentKernel', 'bias'] as const;

/**
 * Runs a GRU over `x` [B, T, I] → sequence [B, T, H] and the last state h [B, H]. Differentiable
 * with respect to x, h0 and every parameter (`tf.grads`, `tf.variableGrads`,
 * `optimizer.minimize`); the gradient is hand-written BPTT.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { ops } from '@recurrent/core';
 *
 * const [B, T, I, H] = [2, 5, 3, 4];
 * const x = tf.randomNormal<tf.Rank.R3>([B, T, I]);
 * const kernel = tf.randomNormal<tf.Rank.R2>([I, 3 * H], 0, 0.5);          // blocks z, r, h
 * const recurrentKernel = tf.randomNormal<tf.Rank.R2>([H, 3 * H], 0, 0.5);
 * const bias = tf.zeros<tf.Rank.R2>([2, 3 * H]);                            // input row, recurrent row
 * const { sequence, h } = ops.gru(x, { kernel, recurrentKernel, bias }, { resetAfter: true });
 * sequence.shape; // [2, 5, 4]
 * h.shape;        // [2, 4]
 * ```
 */
export function gru(x: tf.Tensor3D, params: GruParams, options: GruOptions = {}): GruResult {
  const op = 'gru';
  checkKeys(op, 'option', options, OPTION_KEYS);
  checkKeys(op, 'parameter', params, PARAM_KEYS);
  checkFlag(op, 'reverse', options.reverse);
  checkFlag(op, 'resetAfter', options.resetAfter);
  const resetAfter = options.resetAfter ?? false;
  const dims = checkCore(op, x, params.kernel, params.recurrentKernel, 3, 'z, r, h');
  const { batch: B, time: T, units: H } = dims;
  const G = 3 * H;
  if (params.bias !== undefined) {
    if (resetAfter) {
      const fix = 'its rows are the input and the recurrent bias: tf.stack([inputBias, recurrentBias]), e.g. tf.stack([bias, tf.zerosLike(bias)]) for one [3H] bias';
      expectShape(op, 'bias', params.bias, [2, G], '[2, 3H]', { when: 'with resetAfter: true', fix });
    } else {
      const rank2 = (params.bias as { shape?: unknown[] } | null)?.shape?.length === 2;
      const fix = rank2 ? 'a [2, 3H] bias (input and recurrent rows) is for resetAfter: true' : undefined;
      expectShape(op, 'bias', params.bias, [G], '[3H]', { fix });
    }
  }
  checkState(op, 'h0', options.h0, dims);
  checkMask(op, options.mask, dims);
  const mask = options.mask;
  const caps = backendCapabilities();
  if (mask !== undefined && caps.hostMemory) checkMaskValues(op, mask);
  if (caps.hostMemory) checkFinite(op, x, params, options); // NaN/Inf: a free host read here only
  const reverse = options.reverse ?? false;

  return tf.tidy(() => {
    const h0 = options.h0 ?? tf.zeros([B, H]);
    const bias = params.bias ?? tf.zeros(resetAfter ? [2, G] : [G]);
    const plan: Plan = { B, T, H, resetAfter, reverse, mask, hScale: caps.slowTanh ? 2 : 1 };
    const fused = resetAfter ? hasGruCellKernels() : hasGruRbCellKernels(H); // kernels/gru-cell
    let sequence: tf.Tensor3D;
    if (!tf.engine().isTapeOn()) {
      // No gradient is being recorded (inference, generation): the forward alone, keeping only h.
      const M = mask === undefined ? undefined : maskSteps(mask, reverse);
      const X = toSteps(x, reverse);
      const fusedForward = !fused ? undefined : resetAfter ? gruFusedForward : gruRbFusedForward;
      sequence = fusedForward
        ? fromSteps(fusedForward(plan, X, params.kernel, params.recurrentKernel, bias, h0, M, false).hs, reverse)
        : fromSteps(forward(plan, X, params.kernel, params.recurrentKernel, bias, h0, M, false).hs, reverse);
    } else {
      const withGrad = fused ? gruFusedWithGrad : gruWithGrad;
      const run = tf.customGrad((...args: unknown[]) => withGrad(plan, args));
      sequence = run(x, params.kernel, params.recurrentKernel, bias, h0) as tf.Tensor3D;
    }
    return { sequence, h: stepAt(sequence, reverse ? 0 : T - 1) };
  });
}

interface Plan {
  B: number;
  T: number;
  H: number;
  resetAfter: boolean;
  reverse: boolean;
  mask: tf.Tensor2D | undefined;
  /** The candidate's pre-activation is computed ×hScale: 2 where ĥ is read off σ(2a) (slow tanh). */
  hScale: 1 | 2;
}

type Saver = (tensors: tf.Tensor[]) => void;

/** The customGrad body: forward over all steps, saving what the BPTT below needs. */
function gruWithGrad(plan: Plan, args: unknown[]) {
  const save = args[args.length - 1] as Saver;
  const [x, W, U, b, h0] = args.slice(0, -1) as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor, tf.Tensor2D];
  const { reverse } = plan;
  const X = toSteps(x, reverse); // [T, B, I]
  const M = plan.mask === undefined ? undefined : maskSteps(plan.mask, reverse); // [T, B, 1]
  const fwd = forward(plan, X, W, U, b, h0, M, true);
  const value = fromSteps(fwd.hs, reverse);
  // The weights are the caller's tensors, held by the tape until the backward has run, so the
  // gradient reads them directly instead of saving a clone each.
  save([X, h0, fwd.gates!, fwd.cand!, fwd.hs, ...(fwd.hU ? [fwd.hU] : []), ...(M ? [M] : [])]);

  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [Xs, h0s, gates, cand, hs, ...rest] = saved as tf.Tensor3D[];
    const hU = plan.resetAfter ? rest.shift() : undefined;
    const s: Saved = { X: Xs!, W, U, h0: h0s!, gates: gates!, cand: cand!, hs: hs!, hU, M: rest[0] };
    const g = backward(plan, s, toSteps(dy as tf.Tensor3D, reverse));
    return [fromSteps(g.dX, reverse), g.dW, g.dU, g.db, g.dh0];
  };
  return { value, gradFunc };
}

/** The customGrad body over the fused cell kernels of the plan's reset form (kernels/gru-cell): one launch per step each way. */
function gruFusedWithGrad(plan: Plan, args: unknown[]) {
  const { save, X, M, params: [W, U, b, h0] } = fusedArgs<[W: tf.Tensor2D, U: tf.Tensor2D, b: tf.Tensor, h0: tf.Tensor2D]>(plan, args);
  const { reverse } = plan;
  const fwd = (plan.resetAfter ? gruFusedForward : gruRbFusedForward)(plan, X, W, U, b, h0, M, true);
  save([X, fwd.records, fwd.state0, ...(M ? [M] : [])]);
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [Xs, records, state0, Ms] = saved as tf.Tensor3D[];
    const g = (plan.resetAfter ? gruFusedBackward : gruRbFusedBackward)(plan, { X: Xs!, W, U, records: records!, state0: state0!, M: Ms }, toSteps(dy as tf.Tensor3D, reverse));
    return [fromSteps(g.dX, reverse), g.dW, g.dU, g.db, g.dh0];
  };
  return { value: fromSteps(fwd.hs, reverse), gradFunc };
}

interface Forward {
  /** [T, B, H] carried h per step (processing order). */
  hs: tf.Tensor3D;
  /** [T, B, 2H] the one sigmoid's output per step: g = 1 − z, then r. */
  gates: tf.Tensor3D | undefined; // kept for the backward only
  /** [T, B, H] the candidate ĥ per step. */
  cand: tf.Tensor3D | undefined; // kept for the backward only
  /** [T, B, H] reset-after only: (h_{t-1} U_h + b_hh)·hScale per step. */
  hU: tf.Tensor3D | undefined;
}

function forward(plan: Plan, X: tf.Tensor3D, W: tf.Tensor2D, U: tf.Tensor2D, b: tf.Tensor, h0: tf.Tensor, M: tf.Tensor3D | undefined, keepForBackward: boolean): Forward {
  const { B, T, H, resetAfter, hScale } = plan;
  const I = X.shape[2];
  // −1 on z (the loop computes g = σ(−a_z) = 1 − z), hScale on the candidate.
  const scale = blockConstants([-1, 1, hScale], H);
  const Ws = tf.mul(W, scale);
  const Us = tf.mul(U, scale);
  // Input-side bias [3H]; reset-after: b_x + b_h on z and r, b_x on h, and b_hh [H] per step.
  let bIn = b;
  let bRec: tf.Tensor | undefined;
  if (resetAfter) {
    const [bx, bh] = tf.unstack(b);
    bIn = tf.add(bx!, tf.mul(bh!, blockConstants([1, 1, 0], H)));
    bRec = tf.mul(tf.slice(bh!, [2 * H], [H]), hScale);
  }
  const bs = tf.mul(bIn, scale);
  const Uzr = tf.slice(Us, [0, 0], [H, 2 * H]);
  const Uh = tf.slice(Us, [0, 2 * H], [H, H]);
  const Xflat = tf.reshape(X, [T * B, I]);
  const project = (from: number, width: number) =>
    new Steps(tf.reshape(affine(Xflat, tf.slice(Ws, [0, from], [I, width]), tf.slice(bs, [from], [width])), [T, B, width]) as tf.Tensor3D);
  const xzr = project(0, 2 * H); // x·W_zr + b_zr for all steps
  const xh = project(2 * H, H); // x·W_h + b_h
  const masks = M === undefined ? undefined : new Steps(M);
  let h = h0;
  const hs: tf.Tensor[] = [];
  const gates: tf.Tensor[] = [];
  const cands: tf.Tensor[] = [];
  const hUs: tf.Tensor[] = [];
  for (let k = 0; k < T; k++) {
    const S = tf.sigmoid(xzr.at(k, tf.matMul(h, Uzr))[0]!); // [g, r], XP[k] + h·U_zr in one read
    const [g, r] = splitColumns(S, [H, H]) as [tf.Tensor2D, tf.Tensor2D];
    let rec: tf.Tensor; // the candidate's recurrent term
    if (resetAfter) {
      const hU = affine(h, Uh, bRec!);
      if (keepForBackward) hUs.push(hU);
      rec = tf.mul(r, hU);
    } else {
      rec = tf.matMul(tf.mul(r, h), Uh);
    }
    const a = xh.at(k, rec)[0]!;
    const cand = hScale === 2 ? tanhOfDoubled(a) : tf.tanh(a);
    const gm = masks === undefined ? g : tf.mul(masks.at(k)[0]!, g);
    h = tf.add(h, tf.mul(gm, tf.sub(cand, h))); // z ⊙ h + (1 − z) ⊙ ĥ
    hs.push(h);
    if (keepForBackward) {
      gates.push(S);
      cands.push(cand);
    }
  }
  return {
    hs: tf.stack(hs) as tf.Tensor3D,
    gates: keepForBackward ? (tf.stack(gates) as tf.Tensor3D) : undefined,
    cand: keepForBackward ? (tf.stack(cands) as tf.Tensor3D) : undefined,
    hU: resetAfter && keepForBackward ? (tf.stack(hUs) as tf.Tensor3D) : undefined,
  };
}

interface Saved {
  X: tf.Tensor3D;
  W: tf.Tensor2D;
  U: tf.Tensor2D;
  h0: tf.Tensor;
  gates: tf.Tensor3D;
  cand: tf.Tensor3D;
  hs: tf.Tensor3D;
  hU: tf.Tensor3D | undefined;
  M: tf.Tensor3D | undefined;
}

/**
 * BPTT, processing order reversed (k = T−1 … 0), carrying dh. With the mask folded into the
 * factors (m = 1 without one), step k of h = h' + m g ⊙ (ĥ − h') has, for dh arriving at h:
 *
 *     da_z = dh ⊙ m (h' − ĥ) z (1 − z)          da_h = dh ⊙ m (1 − z)(1 − ĥ²)
 *     reset-before: dq = da_h U_hᵀ (q = r ⊙ h'),   da_r = dq ⊙ h' r (1 − r)
 *                   dh' = dh ⊙ (1 − m (1 − z)) + dq ⊙ r + [da_z, da_r] U_zrᵀ
 *     reset-after:  da_r = da_h ⊙ (h' U_h + b_hh) r (1 − r),   d(h' U_h) = da_h ⊙ r
 *                   dh' = dh ⊙ (1 − m (1 − z)) + [da_z, da_r, da_h ⊙ r] Uᵀ
 *
 * Every factor after "dh ⊙" depends only on the forward and is computed for all steps before the
 * loop, packed into one tensor with the output gradients: one read per step, dh added on the way.
 */
function backward(plan: Plan, s: Saved, dH: tf.Tensor3D) {
  const { B, T, H, resetAfter, hScale } = plan;
  const G = 3 * H;
  const flat = (t: tf.Tensor) => tf.reshape(t, [T * B, -1]) as tf.Tensor2D;
  const hPrev = shiftIn(s.h0, s.hs); // [T, B, H]: h before each step
  const [g, r] = splitColumns(flat(s.gates), [H, H]).map((t) => tf.reshape(t, [T, B, H])) as [tf.Tensor3D, tf.Tensor3D]; // g = 1 − z
  const gm = s.M ? tf.mul(g, s.M) : g;
  const zKeep = tf.sub(1, gm); // ∂h/∂h' on the direct path
  const qz0 = tf.mul(tf.sub(hPrev, s.cand), tf.mul(g, tf.sub(1, g)));
  const qz = s.M ? tf.mul(qz0, s.M) : qz0;
  const qh = tf.mul(gm, tf.sub(1, tf.square(s.cand)));
  const dSigR = tf.mul(r, tf.sub(1, r));
  const UT = transposeOnce(s.U); // [3H, H]
  const dhs: tf.Tensor[] = new Array(T); // resetAfter: dh per step; else da_h
  const dzs: tf.Tensor[] = new Array(T); // resetAfter: [da_z, da_r, d(h'U_h)]; else [da_z, da_r]
  let dh: tf.Tensor | undefined; // nothing flows back into the last step but its output's gradient
  if (resetAfter) {
    const hU = hScale === 1 ? s.hU! : tf.div(s.hU!, hScale);
    const P = tf.concat([dH, qz, tf.mul(qh, tf.mul(hU, dSigR)), tf.mul(qh, r), zKeep], 2) as tf.Tensor3D;
    const steps = new Steps(P, [H, G, H]);
    for (let k = T - 1; k >= 0; k--) {
      const [dhk, q, keep] = steps.at(k, dh) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const dz = tf.mul(tf.concat([dhk, dhk, dhk], 1), q);
      dh = tf.add(tf.matMul(dz, UT), tf.mul(dhk, keep));
      dhs[k] = dhk;
      dzs[k] = dz;
    }
  } else {
    const qr = tf.mul(hPrev, dSigR);
    const P = tf.concat([dH, qh, qz, qr, zKeep, r], 2) as tf.Tensor3D;
    const steps = new Steps(P, [H, H, 2 * H, H, H]);
    const UzrT = tf.slice(UT, [0, 0], [2 * H, H]);
    const UhT = tf.slice(UT, [2 * H, 0], [H, H]);
    for (let k = T - 1; k >= 0; k--) {
      const [dhk, qhk, qzr, keep, rk] = steps.at(k, dh) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const dah = tf.mul(dhk, qhk);
      const dq = tf.matMul(dah, UhT);
      const dzr = tf.mul(tf.concat([dhk, dq], 1), qzr);
      dh = tf.addN([tf.matMul(dzr, UzrT), tf.mul(dhk, keep), tf.mul(dq, rk)]);
      dhs[k] = dah;
      dzs[k] = dzr;
    }
  }
  const Xflat = flat(s.X);
  const hPrevFlat = flat(hPrev);
  // ∂E/∂(h'·U + b_h) (reset-after only) and ∂E/∂(x·W + b_x) [T·B, 3H]
  const dRec = resetAfter ? flat(tf.stack(dzs)) : undefined;
  const dA = resetAfter
    ? (tf.concat([splitColumns(dRec!, [2 * H, H])[0]!, flat(tf.mul(tf.stack(dhs), qh))], 1) as tf.Tensor2D)
    : (tf.concat([flat(tf.stack(dzs)), flat(tf.stack(dhs))], 1) as tf.Tensor2D);
  const gA = gradsAgainst(dA);
  let dU: tf.Tensor2D;
  let db: tf.Tensor;
  if (dRec !== undefined) {
    const gRec = gradsAgainst(dRec);
    dU = gRec.weight(hPrevFlat);
    db = tf.stack([gA.bias(), gRec.bias()]);
  } else {
    dU = tf.concat([gA.weight(hPrevFlat, [0, 2 * H]), gA.weight(flat(tf.mul(r, hPrev)), [2 * H, H])], 1);
    db = gA.bias();
  }
  const dW = gA.weight(Xflat);
  const dX = tf.reshape(tf.matMul(dA, transposeOnce(s.W)), [T, B, -1]) as tf.Tensor3D;
  return { dX, dW, dU, db, dh0: dh! };
}
