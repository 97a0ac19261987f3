/**
 * `ops.simpleRnn`: the whole simple (Elman) RNN sequence as one differentiable op, with our own
 * BPTT.
 *
 *     h_t = φ(x_t W + h_{t-1} U + b),   φ = tanh or ReLU
 *
 * Keras layout: kernel [I, H], recurrentKernel [H, H], bias [H]. ReLU with U initialised to the
 * identity is the IRNN (Le et al. 2015).
 *
 * Speed structure (as ops.lstm): the input projection x·W + b for all steps is one matMul before
 * the loop; each step is h·U, one read of the projection with h·U added, and φ; the backward's
 * weight gradients are single matMuls after the loop. Where tanh is slow, W, U and b are scaled by
 * 2 once per call and tanh(a) = 2σ(2a) − 1.
 *
 * Where the backend registers the fused cell kernels (webgl, webgpu: kernels/rnn-cell), each step
 * is instead one kernel forward and one backward, matMul included (`simpleRnnFusedWithGrad`).
 */
import * as tf from '@tensorflow/tfjs-core';
import '../tfjs-setup.js';
import { backendCapabilities } from '../backend/index.js';
import { hasRnnCellKernels } from '../kernels/rnn-cell/kernel.js';
import { rnnFusedBackward, rnnFusedForward } from '../kernels/rnn-cell/sequence.js';
import { fusedArgs } from '../kernels/cell-sequence.js';
import { checkChoice, checkCore, checkFinite, checkFlag, checkKeys, checkMask, checkMaskValues, checkState, expectShape } from './internal/validate.js';
import { fromSteps, maskSteps, stepAt, Steps, toSteps } from './internal/time.js';
import { affine, gradsAgainst, shiftIn, tanhOfDoubled, transposeOnce } from './internal/math.js';

export type SimpleRnnActivation = 'tanh' | 'relu';

export interface SimpleRnnParams {
  /** [I, H]. */
  kernel: tf.Tensor2D;
  /** [H, H]. */
  recurrentKernel: tf.Tensor2D;
  /** [H]; zeros when absent. */
  bias?: tf.Tensor1D;
}

export interface SimpleRnnOptions {
  /** Initial hidden state [B, H]; zeros when absent. */
  h0?: tf.Tensor2D;
  /** [B, T]: where 0 the state is carried over and the output repeats it. */
  mask?: tf.Tensor2D;
  /** Run from T−1 down to 0; outputs stay aligned with input positions. */
  reverse?: boolean;
  /** φ; 'tanh' when absent. */
  activation?: SimpleRnnActivation;
}

export interface SimpleRnnResult {
  /** [B, T, H]: h after consuming x_t, at position t. */
  sequence: tf.Tensor3D;
  /** [B, H]: the last state (after the last processed step). */
  h: tf.Tensor2D;
}

const OPTION_KEYS = ['h0', 'mask', 'reverse', 'activation'] as const;
const PARAM_KEYS = ['kernel', 'recurrentKernel', 'bias'] as const;
const ACTIVATIONS = ['tanh', 'relu'] as const satisfies readonly SimpleRnnActivation[];

/**
 * Runs a simple RNN over `x` [B, T, I] → sequence [B, T, H] and the last state h [B, H].
 * Differentiable with respect to x, h0 and every parameter (`tf.grads`, `tf.variableGrads`,
 * `optimizer.minimize`); the gradient is hand-written BPTT.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { ops } from '@recurrent/core';
 *
 * // An IRNN: ReLU, recurrent kernel initialised to the identity.
 * const [B, T, I, H] = [2, 5, 3, 4];
 * const x = tf.randomNormal<tf.Rank.R3>([B, T, I]);
 * const kernel = tf.randomNormal<tf.Rank.R2>([I, H], 0, 0.1);
 * const recurrentKernel = tf.eye(H);
 * const { sequence, h } = ops.simpleRnn(x, { kernel, recurrentKernel }, { activation: 'relu' });
 * sequence.shape; // [2, 5, 4]
 * h.shape;        // [2, 4]
 * ```
 */
export function simpleRnn(x: tf.Tensor3D, params: SimpleRnnParams, options: SimpleRnnOptions = {}): SimpleRnnResult {
  const op = 'simpleRnn';
  checkKeys(op, 'option', options, OPTION_KEYS);
  checkKeys(op, 'parameter', params, PARAM_KEYS);
  checkFlag(op, 'reverse', options.reverse);
  checkChoice(op, 'activation', options.activation, ACTIVATIONS);
  const dims = checkCore(op, x, params.kernel, params.recurrentKernel, 1, '');
  const { batch: B, time: T, units: H } = dims;
  if (params.bias !== undefined) expectShape(op, 'bias', params.bias, [H], '[H]');
  checkState(op, 'h0', options.h0, dims);
  checkMask(op, options.mask, dims);
  const mask = options.mask;
  const caps = backendCapabilities();
  if (mask !== undefined && caps.hostMemory) checkMaskValues(op, mask);
  if (caps.hostMemory) checkFinite(op, x, params, options); // NaN/Inf: a free host read here only
  const reverse = options.reverse ?? false;
  const activation = options.activation ?? 'tanh';

  return tf.tidy(() => {
    const h0 = options.h0 ?? tf.zeros([B, H]);
    const bias = params.bias ?? tf.zeros([H]);
    const plan: Plan = { B, T, H, reverse, mask, activation, doubled: activation === 'tanh' && caps.slowTanh };
    let sequence: tf.Tensor3D;
    if (!tf.engine().isTapeOn()) {
      // No gradient is being recorded (inference, generation): the forward alone.
      const M = mask === undefined ? undefined : maskSteps(mask, reverse);
      const X = toSteps(x, reverse);
      sequence = hasRnnCellKernels()
        ? fromSteps(rnnFusedForward(plan, X, params.kernel, params.recurrentKernel, bias, h0, M, false).hs, reverse)
        : fromSteps(forward(plan, X, params.kernel, params.recurrentKernel, bias, h0, M).hs, reverse);
    } else {
      const withGrad = hasRnnCellKernels() ? simpleRnnFusedWithGrad : simpleRnnWithGrad;
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
  reverse: boolean;
  mask: tf.Tensor2D | undefined;
  activation: SimpleRnnActivation;
  /** tanh read off σ(2a): the weights are scaled by 2 for the forward. */
  doubled: boolean;
}

type Saver = (tensors: tf.Tensor[]) => void;

/** The customGrad body: forward over all steps, saving what the BPTT below needs. */
function simpleRnnWithGrad(plan: Plan, args: unknown[]) {
  const save = args[args.length - 1] as Saver;
  const [x, W, U, b, h0] = args.slice(0, -1) as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D];
  const { reverse } = plan;
  const X = toSteps(x, reverse); // [T, B, I]
  const M = plan.mask === undefined ? undefined : maskSteps(plan.mask, reverse); // [T, B, 1]
  const fwd = forward(plan, X, W, U, b, h0, M);
  const value = fromSteps(fwd.hs, reverse);
  // The weights are the caller's tensors, held by the tape until the backward has run.
  save([X, h0, fwd.hs, ...(M ? [M, fwd.hNew!] : [])]);

  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [Xs, h0s, hs, Ms, hNew] = saved as tf.Tensor3D[];
    const g = backward(plan, { X: Xs!, W, U, h0: h0s!, hs: hs!, hNew: hNew ?? hs!, M: Ms }, toSteps(dy as tf.Tensor3D, reverse));
    return [fromSteps(g.dX, reverse), g.dW, g.dU, g.db, g.dh0];
  };
  return { value, gradFunc };
}

/** The customGrad body over the fused cell kernels (kernels/rnn-cell): one launch per step each way. */
function simpleRnnFusedWithGrad(plan: Plan, args: unknown[]) {
  const { save, X, M, params: [W, U, b, h0] } = fusedArgs<[W: tf.Tensor2D, U: tf.Tensor2D, b: tf.Tensor1D, h0: tf.Tensor2D]>(plan, args);
  const { reverse } = plan;
  const fwd = rnnFusedForward(plan, X, W, U, b, h0, M, true);
  save([X, h0, fwd.records, ...(M ? [M] : [])]);
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [Xs, h0s, records, Ms] = saved as tf.Tensor3D[];
    const g = rnnFusedBackward(plan, { X: Xs!, W, U, h0: h0s!, records: records!, M: Ms }, toSteps(dy as tf.Tensor3D, reverse));
    return [fromSteps(g.dX, reverse), g.dW, g.dU, g.db, g.dh0];
  };
  return { value: fromSteps(fwd.hs, reverse), gradFunc };
}

function forward(plan: Plan, X: tf.Tensor3D, W: tf.Tensor2D, U: tf.Tensor2D, b: tf.Tensor1D, h0: tf.Tensor, M: tf.Tensor3D | undefined) {
  const { B, T, H, doubled } = plan;
  const [Ws, Us, bs] = doubled ? [tf.mul(W, 2), tf.mul(U, 2), tf.mul(b, 2)] : [W, U, b];
  const xp = new Steps(tf.reshape(affine(tf.reshape(X, [T * B, -1]), Ws, bs), [T, B, H]) as tf.Tensor3D);
  const masks = M === undefined ? undefined : new Steps(M);
  const phi = (a: tf.Tensor2D): tf.Tensor => (plan.activation === 'relu' ? tf.relu(a) : doubled ? tanhOfDoubled(a) : tf.tanh(a));
  let h = h0;
  const hs: tf.Tensor[] = [];
  const hNews: tf.Tensor[] = [];
  for (let k = 0; k < T; k++) {
    const hn = phi(xp.at(k, tf.matMul(h, Us))[0]!); // φ(XP[k] + h·U), the sum in one read
    if (masks !== undefined) {
      hNews.push(hn);
      h = tf.add(h, tf.mul(masks.at(k)[0]!, tf.sub(hn, h)));
    } else {
      h = hn;
    }
    hs.push(h);
  }
  return {
    hs: tf.stack(hs) as tf.Tensor3D,
    /** [T, B, H] φ(a) before the mask chose between it and the carried h (masked runs only). */
    hNew: masks === undefined ? undefined : (tf.stack(hNews) as tf.Tensor3D),
  };
}

interface Saved {
  X: tf.Tensor3D;
  W: tf.Tensor2D;
  U: tf.Tensor2D;
  h0: tf.Tensor;
  hs: tf.Tensor3D;
  hNew: tf.Tensor3D;
  M: tf.Tensor3D | undefined;
}

/**
 * BPTT, processing order reversed (k = T−1 … 0), carrying dh. Step k is h = h' + m (φ(a) − h')
 * (m = 1 without a mask), so for dh arriving at h:
 *
 *     da = dh ⊙ m φ'(a),   dh' = da Uᵀ + dh ⊙ (1 − m)
 *
 * with φ'(a) = 1 − φ(a)² (tanh) or [φ(a) > 0] (ReLU), computed for all steps before the loop and
 * packed with the output gradients into one tensor: one read per step, dh added on the way.
 */
function backward(plan: Plan, s: Saved, dH: tf.Tensor3D) {
  const { B, T, H } = plan;
  const dPhi = plan.activation === 'relu' ? tf.cast(tf.greater(s.hNew, 0), 'float32') : tf.sub(1, tf.square(s.hNew));
  const q = s.M ? tf.mul(dPhi, s.M) : dPhi;
  const P = tf.concat([dH, q, ...(s.M ? [tf.sub(1, s.M)] : [])], 2) as tf.Tensor3D;
  const steps = new Steps(P, s.M ? [H, H, 1] : [H, H]);
  const UT = transposeOnce(s.U);
  let dh: tf.Tensor | undefined; // nothing flows back into the last step but its output's gradient
  const das: tf.Tensor[] = new Array(T);
  for (let k = T - 1; k >= 0; k--) {
    const [dhk, qk, keep] = steps.at(k, dh) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D | undefined];
    const da = tf.mul(dhk, qk);
    das[k] = da;
    dh = keep === undefined ? tf.matMul(da, UT) : tf.add(tf.matMul(da, UT), tf.mul(keep, dhk));
  }
  const flat = (t: tf.Tensor) => tf.reshape(t, [T * B, -1]) as tf.Tensor2D;
  const dA = flat(tf.stack(das)); // ∂E/∂a [T·B, H]
  const grads = gradsAgainst(dA);
  const dW = grads.weight(flat(s.X));
  const dU = grads.weight(flat(shiftIn(s.h0, s.hs)));
  const db = grads.bias();
  const dX = tf.reshape(tf.matMul(dA, transposeOnce(s.W)), [T, B, -1]) as tf.Tensor3D;
  return { dX, dW, dU, db, dh0: dh! };
}
