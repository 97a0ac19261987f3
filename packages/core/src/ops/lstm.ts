/**
 * `ops.lstm`: the whole LSTM sequence as one differentiable op, with our own BPTT.
 *
 *     f_t = σ(x_t W_f + h_{t-1} U_f + b_f [+ p_f ⊙ c_{t-1}])
 *     i_t = σ(x_t W_i + h_{t-1} U_i + b_i [+ p_i ⊙ c_{t-1}])      coupled: i_t = 1 - f_t
 *     ĉ_t = tanh(x_t W_c + h_{t-1} U_c + b_c)
 *     c_t = f_t ⊙ c_{t-1} + i_t ⊙ ĉ_t
 *     o_t = σ(x_t W_o + h_{t-1} U_o + b_o [+ p_o ⊙ c_t])
 *     h_t = o_t ⊙ tanh(c_t)
 *
 * Keras layout: kernel [I, 4H], recurrentKernel [H, 4H], bias [4H], gate blocks i, f, c, o
 * (coupled: [I, 3H], [H, 3H], [3H], blocks f, c, o).
 *
 * Speed structure (Appleyard et al. 2016): the input projection x·W + b for all steps is one
 * matMul before the loop; each step is one matMul h·U for all gates plus a few elementwise
 * kernels; the backward's weight gradients are single matMuls over all steps after the loop.
 * Without peepholes all four gates go through one sigmoid: the candidate's columns are scaled by
 * 2 so that ĉ = 2σ(2z) − 1 = tanh(z).
 *
 * Where the backend registers the fused cell kernels (wasm, webgl, webgpu: kernels/lstm-cell), each step
 * is instead one kernel forward and one backward, matMul included (`lstmFusedWithGrad`).
 */
import * as tf from '@tensorflow/tfjs-core';
import '../tfjs-setup.js';
import { backendCapabilities } from '../backend/index.js';
import { checkCore, checkFinite, checkFlag, checkKeys, checkMask, checkMaskValues, checkState, expectShape, invalid } from './internal/validate.js';
import { fromSteps, maskSteps, stepAt, splitColumns, Steps, toSteps } from './internal/time.js';
import { affine, gateScale, gradsAgainst, shiftIn, tanhOf, transposeOnce } from './internal/math.js';
import { hasLstmCellKernels } from '../kernels/lstm-cell/kernel.js';
import { lstmFusedBackward, lstmFusedForward, peepholeRows, type LstmCellPlan } from '../kernels/lstm-cell/sequence.js';
import { fusedArgs } from '../kernels/cell-sequence.js';

export interface LstmParams {
  /** [I, 4H] (coupled: [I, 3H]), blocks i, f, c, o (coupled: f, c, o). */
  kernel: tf.Tensor2D;
  /** [H, 4H] (coupled: [H, 3H]). */
  recurrentKernel: tf.Tensor2D;
  /** [4H] (coupled: [3H]); zeros when absent. */
  bias?: tf.Tensor1D;
  /** Diagonal peepholes, each [H]. With `coupled`, only `f` and `o` (i = 1 − f has none). */
  peephole?: { i?: tf.Tensor1D; f: tf.Tensor1D; o: tf.Tensor1D };
}

export interface LstmOptions {
  /** Initial hidden state [B, H]; zeros when absent. */
  h0?: tf.Tensor2D;
  /** Initial cell state [B, H]; zeros when absent. */
  c0?: tf.Tensor2D;
  /** [B, T]: where 0 the state is carried over and the output repeats it. */
  mask?: tf.Tensor2D;
  /** Run from T−1 down to 0; outputs stay aligned with input positions. */
  reverse?: boolean;
  /** Coupled input and forget gates: i = 1 − f. */
  coupled?: boolean;
}

export interface LstmResult {
  /** [B, T, H]: h after consuming x_t, at position t. */
  sequence: tf.Tensor3D;
  /** [B, H]: the last state (after the last processed step). */
  h: tf.Tensor2D;
  /** [B, H]: the last cell state. */
  c: tf.Tensor2D;
}

const OPTION_KEYS = ['h0', 'c0', 'mask', 'reverse', 'coupled'] as const;
const PARAM_KEYS = ['kernel', 'recurrentKernel', 'bias', 'peephole'] as const;

/**
 * Runs an LSTM over `x` [B, T, I]. Differentiable with respect to x, h0, c0 and every parameter
 * (`tf.grads`, `tf.variableGrads`, `optimizer.minimize`); the gradient is hand-written BPTT.
 *
 * @example
 * ```ts
 * const { sequence, h, c } = ops.lstm(x, { kernel, recurrentKernel, bias }, { mask });
 * ```
 */
export function lstm(x: tf.Tensor3D, params: LstmParams, options: LstmOptions = {}): LstmResult {
  const op = 'lstm';
  checkKeys(op, 'option', options, OPTION_KEYS);
  checkKeys(op, 'parameter', params, PARAM_KEYS);
  checkFlag(op, 'reverse', options.reverse);
  checkFlag(op, 'coupled', options.coupled);
  const coupled = options.coupled ?? false;
  const gates = coupled ? 3 : 4;
  const dims = checkCore(op, x, params.kernel, params.recurrentKernel, gates, coupled ? 'f, c, o' : 'i, f, c, o');
  const { batch: B, time: T, units: H } = dims;
  if (params.bias !== undefined) expectShape(op, 'bias', params.bias, [gates * H], `[${gates}H]`);
  const peep = params.peephole;
  if (peep !== undefined) {
    checkKeys(op, 'peephole', peep, ['i', 'f', 'o']);
    if (coupled && peep.i !== undefined) invalid(`${op}: peephole.i has no meaning with coupled: true (i = 1 − f); pass only f and o`);
    if (!coupled) expectShape(op, 'peephole.i', peep.i, [H], '[H]');
    expectShape(op, 'peephole.f', peep.f, [H], '[H]');
    expectShape(op, 'peephole.o', peep.o, [H], '[H]');
  }
  checkState(op, 'h0', options.h0, dims);
  checkState(op, 'c0', options.c0, dims);
  checkMask(op, options.mask, dims);
  const reverse = options.reverse ?? false;
  const mask = options.mask;
  if (mask !== undefined && backendCapabilities().hostMemory) checkMaskValues(op, mask);
  if (backendCapabilities().hostMemory) checkFinite(op, x, params, options); // NaN/Inf: a free host read here only

  return tf.tidy(() => {
    const h0 = options.h0 ?? tf.zeros([B, H]);
    const c0 = options.c0 ?? tf.zeros([B, H]);
    const bias = params.bias ?? tf.zeros([gates * H]);
    const peepholes = peep === undefined ? [] : coupled ? [peep.f, peep.o] : [peep.i!, peep.f, peep.o];
    const inputs = [x, params.kernel, params.recurrentKernel, bias, h0, c0, ...peepholes];
    const plan: Plan = { B, T, H, gates, coupled, peephole: peep !== undefined, reverse, mask };
    if (!tf.engine().isTapeOn()) {
      // No gradient is being recorded (inference, generation): run the forward alone, without
      // the customGrad node and without keeping what only the backward would read.
      const M = mask === undefined ? undefined : maskSteps(mask, reverse);
      if (hasLstmCellKernels()) {
        const fused = lstmFusedForward(plan, toSteps(x, reverse), params.kernel, params.recurrentKernel, bias, h0, c0, peepholeRows(plan, peepholes), M, false);
        return { sequence: fromSteps(fused.hs, reverse), h: fused.hLast, c: fused.cLast };
      }
      const fwd = forward(plan, toSteps(x, reverse), params.kernel, params.recurrentKernel, bias, h0, c0, peepholes, M, false);
      return { sequence: fromSteps(fwd.hs, reverse), h: fwd.hLast, c: fwd.cLast };
    }
    const withGrad = hasLstmCellKernels() ? lstmFusedWithGrad : lstmWithGrad;
    const run = tf.customGrad((...args: unknown[]) => withGrad(plan, args));
    const packed = run(...inputs) as tf.Tensor3D; // [B, T + 1, H]: the sequence, then the last c
    const sequence = tf.slice(packed, [0, 0, 0], [B, T, H]);
    return { sequence, h: stepAt(packed, reverse ? 0 : T - 1), c: stepAt(packed, T) };
  });
}

interface Plan extends LstmCellPlan {
  reverse: boolean;
  mask: tf.Tensor2D | undefined;
}

type Saver = (tensors: tf.Tensor[]) => void;

/** The customGrad body: forward over all steps, saving what the BPTT below needs. */
function lstmWithGrad(plan: Plan, args: unknown[]) {
  const save = args[args.length - 1] as Saver;
  const [x, W, U, b, h0, c0, ...peep] = args.slice(0, -1) as tf.Tensor[];
  const { B, T, H, gates, reverse } = plan;
  const caps = backendCapabilities();
  const X = toSteps(x as tf.Tensor3D, reverse); // [T, B, I]
  const M = plan.mask === undefined ? undefined : maskSteps(plan.mask, reverse); // [T, B, 1]
  const fwd = forward(plan, X, W!, U!, b!, h0!, c0!, peep, M, true);
  const sequence = fromSteps(fwd.hs, reverse);
  const value = tf.concat([sequence, tf.expandDims(fwd.cLast, 1)], 1);
  // Saved: what the forward computed, and the states (their zero defaults die with lstm()'s tidy).
  // The weights are the caller's tensors, held by the tape until the backward has run, so the
  // gradient reads them directly instead of paying a clone each.
  save([X, h0!, c0!, fwd.acts!, fwd.hs, fwd.cs!, ...(M ? [M, fwd.cNew!] : [])]);

  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [Xs, h0s, c0s, acts, hs, cs, Ms, cNew] = saved as tf.Tensor3D[];
    const dSeq = tf.slice(dy, [0, 0, 0], [B, T, H]) as tf.Tensor3D;
    const dcLast = tf.reshape(tf.slice(dy, [0, T, 0], [B, 1, H]), [B, H]);
    const g = backward(plan, { X: Xs!, W: W!, U: U!, h0: h0s!, c0: c0s!, acts: acts!, cNew, hs: hs!, cs: cs!, M: Ms, peep }, toSteps(dSeq, reverse), dcLast, caps.slowTanh);
    return [fromSteps(g.dX, reverse), g.dW, g.dU, g.db, g.dh0, g.dc0, ...g.dPeep];
  };
  return { value, gradFunc };
}

/** The customGrad body over the fused cell kernels (kernels/lstm-cell): one launch per step each way. */
function lstmFusedWithGrad(plan: Plan, args: unknown[]) {
  const { save, X, M, params: [W, U, b, h0, c0, ...peep] } = fusedArgs(plan, args);
  const { B, T, H, reverse } = plan;
  const P = peepholeRows(plan, peep);
  const fwd = lstmFusedForward(plan, X, W!, U!, b!, h0!, c0!, P, M, true);
  const value = tf.concat([fromSteps(fwd.hs, reverse), tf.expandDims(fwd.cLast, 1)], 1);
  save([X, h0!, c0!, fwd.records, fwd.state0, ...(M ? [M] : []), ...(P ? [P] : [])]);
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [Xs, h0s, c0s, records, state0, ...rest] = saved as tf.Tensor3D[];
    const Ms = M ? rest[0] : undefined;
    const Ps = P ? (rest[M ? 1 : 0] as tf.Tensor as tf.Tensor2D) : undefined;
    const dSeq = tf.slice(dy, [0, 0, 0], [B, T, H]) as tf.Tensor3D;
    const dcLast = tf.reshape(tf.slice(dy, [0, T, 0], [B, 1, H]), [B, H]);
    const s = { X: Xs!, W: W!, U: U!, h0: h0s!, c0: c0s!, records: records!, state0: state0!, M: Ms, P: Ps };
    const g = lstmFusedBackward(plan, s, toSteps(dSeq, reverse), dcLast);
    return [fromSteps(g.dX, reverse), g.dW, g.dU, g.db, g.dh0, g.dc0, ...g.dPeep];
  };
  return { value, gradFunc };
}

interface Forward {
  /** [T, B, H] carried h per step (processing order). */
  hs: tf.Tensor3D;
  /** [T, B, H] carried c per step. */
  cs: tf.Tensor3D | undefined; // kept for the backward only
  /** [T, B, H] c computed at the step, before the mask chose between it and the carried one (masked runs only). */
  cNew: tf.Tensor3D | undefined;
  /** [T, B, G·H] gate activations: σ-domain (ĉ stored as σ(2z)) without peepholes, true values with. */
  acts: tf.Tensor3D | undefined; // kept for the backward only
  cLast: tf.Tensor2D;
  hLast: tf.Tensor2D;
}

function forward(
  plan: Plan, X: tf.Tensor3D, W: tf.Tensor, U: tf.Tensor, b: tf.Tensor, h0: tf.Tensor, c0: tf.Tensor,
  peep: tf.Tensor[], M: tf.Tensor3D | undefined, keepForBackward: boolean,
): Forward {
  const { B, T, H, gates, coupled } = plan;
  const cBlock = coupled ? 1 : 2;
  // Without peepholes, one sigmoid serves all gates: scale the candidate's columns by 2.
  const scale = plan.peephole ? undefined : gateScale(gates, cBlock, H);
  const Ws = scale ? tf.mul(W, scale) : W;
  const Us = scale ? tf.mul(U, scale) : U;
  const bs = scale ? tf.mul(b, scale) : b;
  const XP = tf.reshape(affine(tf.reshape(X, [T * B, -1]), Ws, bs), [T, B, gates * H]) as tf.Tensor3D;
  const xp = new Steps(XP);
  const masks = M === undefined ? undefined : new Steps(M);
  const [pi, pf, po] = coupled ? [undefined, peep[0], peep[1]] : [peep[0], peep[1], peep[2]];
  let h = h0;
  let c = c0;
  const hs: tf.Tensor[] = [];
  const cs: tf.Tensor[] = [];
  const cNews: tf.Tensor[] = [];
  const acts: tf.Tensor[] = [];
  for (let k = 0; k < T; k++) {
    const z = xp.at(k, tf.matMul(h, Us))[0]!; // XP[k] + h·U in one read
    let cn: tf.Tensor;
    let hn: tf.Tensor;
    if (!plan.peephole) {
      const S = tf.sigmoid(z);
      if (keepForBackward) acts.push(S);
      // Read the gates off the one sigmoid; the candidate as 2σ(2z) − 1 = tanh(z).
      const cand = { scale: coupled ? [1, 2, 1] : [1, 1, 2, 1], shift: coupled ? [0, -1, 0] : [0, 0, -1, 0] };
      const gs = splitColumns(S as tf.Tensor2D, new Array<number>(gates).fill(H), cand);
      const [i, f, c1, o] = coupled ? [undefined, gs[0]!, gs[1]!, gs[2]!] : (gs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]);
      cn = coupled ? tf.add(c1, tf.mul(f, tf.sub(c, c1))) : tf.add(tf.mul(f, c), tf.mul(i!, c1)); // coupled: ĉ + f⊙(c − ĉ)
      hn = tf.mul(o, tf.tanh(cn));
    } else {
      const parts = splitColumns(z, new Array<number>(gates).fill(H));
      const f = tf.sigmoid(tf.add(parts[coupled ? 0 : 1]!, tf.mul(pf!, c)));
      const cand = tf.tanh(parts[coupled ? 1 : 2]!);
      const i = coupled ? tf.sub(1, f) : tf.sigmoid(tf.add(parts[0]!, tf.mul(pi!, c)));
      cn = tf.add(tf.mul(f, c), tf.mul(i, cand));
      const o = tf.sigmoid(tf.add(parts[gates - 1]!, tf.mul(po!, cn)));
      hn = tf.mul(o, tf.tanh(cn));
      if (keepForBackward) acts.push(coupled ? tf.concat([f, cand, o], 1) : tf.concat([i, f, cand, o], 1));
    }
    if (keepForBackward) cNews.push(cn);
    if (masks !== undefined) {
      const m = masks.at(k)[0]!;
      h = tf.add(h, tf.mul(m, tf.sub(hn, h)));
      c = tf.add(c, tf.mul(m, tf.sub(cn, c)));
    } else {
      h = hn;
      c = cn;
    }
    hs.push(h);
    if (keepForBackward) cs.push(c);
  }
  return {
    hs: T === 1 ? (tf.expandDims(h, 0) as tf.Tensor3D) : (tf.stack(hs) as tf.Tensor3D),
    cs: keepForBackward ? (tf.stack(cs) as tf.Tensor3D) : undefined,
    cNew: masks === undefined || !keepForBackward ? undefined : (tf.stack(cNews) as tf.Tensor3D),
    acts: keepForBackward ? (tf.stack(acts) as tf.Tensor3D) : undefined,
    cLast: c as tf.Tensor2D,
    hLast: h as tf.Tensor2D,
  };
}

interface Saved {
  X: tf.Tensor3D;
  W: tf.Tensor;
  U: tf.Tensor;
  h0: tf.Tensor;
  c0: tf.Tensor;
  acts: tf.Tensor3D;
  cNew: tf.Tensor3D | undefined;
  hs: tf.Tensor3D;
  cs: tf.Tensor3D;
  M: tf.Tensor3D | undefined;
  peep: tf.Tensor[];
}

/**
 * BPTT, processing order reversed (k = T−1 … 0), carrying dh and dc. All that depends only on
 * the forward (gate derivatives, tanh(c)) is computed for all steps at once before the loop, so
 * each step is: dz = [dc, dc, dc, dh] ⊙ Q_k; dh ← dz·Uᵀ; dc ← dc ⊙ f_k.
 */
function backward(plan: Plan, s: Saved, dH: tf.Tensor3D, dcLast: tf.Tensor, slowTanh: boolean) {
  const { B, T, H, gates, coupled } = plan;
  const GH = gates * H;
  // Gate activations [T, B, H] each, true values.
  let A = s.acts;
  if (!plan.peephole) {
    const cBlock = coupled ? 1 : 2;
    const mulV = gateScale(gates, cBlock, H); // ĉ = 2σ − 1
    const addV = tf.neg(tf.sub(mulV, 1)); // 0, except −1 for the candidate
    A = tf.add(tf.mul(A, mulV), addV) as tf.Tensor3D;
  }
  const blocks = splitColumns(tf.reshape(A, [T * B, GH]) as tf.Tensor2D, new Array<number>(gates).fill(H)).map((t) => tf.reshape(t, [T, B, H]) as tf.Tensor3D);
  const [i, f, cand, o] = coupled ? [undefined, blocks[0]!, blocks[1]!, blocks[2]!] : (blocks as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]);
  const cNew = s.cNew ?? s.cs;
  const cPrev = shiftIn(s.c0, s.cs); // [T, B, H]: c before each step
  const tc = tanhOf(cNew, slowTanh);
  const dSig = (g: tf.Tensor) => tf.mul(g, tf.sub(1, g));
  const dTanh = (t: tf.Tensor) => tf.sub(1, tf.square(t));
  const K = tf.mul(o, dTanh(tc)); // ∂h/∂c through tanh
  const qo = tf.mul(tc, dSig(o));
  const Q = coupled
    ? [tf.mul(tf.sub(cPrev, cand), dSig(f)), tf.mul(tf.sub(1, f), dTanh(cand)), qo]
    : [tf.mul(cand, dSig(i!)), tf.mul(cPrev, dSig(f)), tf.mul(i!, dTanh(cand)), qo];
  // Everything a backward step reads, in one tensor: one read per step, dh added on the way.
  const widths = [H, GH, H, H, ...(s.M ? [1] : [])];
  const P = tf.concat([dH, ...Q, K, f, ...(s.M ? [s.M] : [])], 2);
  const steps = new Steps(P as tf.Tensor3D, widths);
  const UT = transposeOnce(s.U);
  const [pi, pf, po] = plan.peephole ? (coupled ? [undefined, s.peep[0], s.peep[1]] : s.peep) : [];
  let dh: tf.Tensor | undefined; // nothing flows back into the last step but its output's gradient
  let dc: tf.Tensor = dcLast;
  const dzs: tf.Tensor[] = new Array(T);
  for (let k = T - 1; k >= 0; k--) {
    const [dhTot, q, kk, fk, m] = steps.at(k, dh) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    const dhN = m ? tf.mul(m, dhTot) : dhTot;
    const dcIn = m ? tf.mul(m, dc) : dc;
    let dcN = tf.add(dcIn, tf.mul(dhN, kk!));
    let dz: tf.Tensor;
    if (plan.peephole) {
      const [qr, qO] = splitColumns(q as tf.Tensor2D, [GH - H, H]);
      const dzo = tf.mul(dhN, qO!);
      dcN = tf.add(dcN, tf.mul(dzo, po!));
      dz = tf.concat([tf.mul(tf.concat(new Array(gates - 1).fill(dcN), 1), qr!), dzo], 1);
    } else {
      dz = tf.mul(tf.concat([...new Array(gates - 1).fill(dcN), dhN], 1), q!);
    }
    dzs[k] = dz;
    let dhPrev = tf.matMul(dz, UT);
    let dcPrev = tf.mul(dcN, fk!);
    if (plan.peephole) {
      const parts = splitColumns(dz as tf.Tensor2D, new Array<number>(gates).fill(H));
      dcPrev = coupled
        ? tf.add(dcPrev, tf.mul(parts[0]!, pf!))
        : tf.addN([dcPrev, tf.mul(parts[0]!, pi!), tf.mul(parts[1]!, pf!)]);
    }
    if (m) {
      const keep = tf.sub(1, m);
      dhPrev = tf.add(dhPrev, tf.mul(keep, dhTot));
      dcPrev = tf.add(dcPrev, tf.mul(keep, dc));
    }
    dh = dhPrev;
    dc = dcPrev;
  }
  const dZ = tf.stack(dzs) as tf.Tensor3D; // [T, B, G·H]
  const dZflat = tf.reshape(dZ, [T * B, GH]) as tf.Tensor2D;
  const Xflat = tf.reshape(s.X, [T * B, -1]) as tf.Tensor2D;
  const Hprev = tf.reshape(shiftIn(s.h0, s.hs), [T * B, H]) as tf.Tensor2D;
  const grads = gradsAgainst(dZflat);
  const dW = grads.weight(Xflat);
  const dU = grads.weight(Hprev);
  const db = grads.bias();
  const dX = tf.reshape(tf.matMul(dZflat, transposeOnce(s.W)), [T, B, -1]) as tf.Tensor3D;
  let dPeep: tf.Tensor[] = [];
  if (plan.peephole) {
    const parts = splitColumns(dZflat, new Array<number>(gates).fill(H)).map((t) => tf.reshape(t, [T, B, H]));
    const sumBT = (t: tf.Tensor) => tf.sum(t, [0, 1]);
    const dpo = sumBT(tf.mul(parts[gates - 1]!, cNew));
    dPeep = coupled
      ? [sumBT(tf.mul(parts[0]!, cPrev)), dpo]
      : [sumBT(tf.mul(parts[0]!, cPrev)), sumBT(tf.mul(parts[1]!, cPrev)), dpo];
  }
  return { dX, dW, dU, db, dh0: dh!, dc0: dc, dPeep };
}
