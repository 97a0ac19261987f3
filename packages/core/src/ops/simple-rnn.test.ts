/**
 * `ops.simpleRnn` against independent oracles, on every backend: vanilla `tf.layers.simpleRNN`
 * with copied weights (tanh and ReLU), hand-computed IRNN values, the float64 reference (forward),
 * float64 finite differences of that reference and tfjs autodiff of a plain per-step composite
 * (gradients), plus final-state semantics, leaks, `tf.variableGrads` / `optimizer.minimize`, and
 * every validation message (cpu only). Tolerances are SPEC.md's accuracy contract
 * (`tolerances(backend)`), relative error per output and per input.
 * The suites all three ops share are `describeOpOracles` (testing/op-harness.ts); this file
 * passes it the op, its cases and state, and keeps the op's own suites.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  MASK_MODES,
  describeBackends,
  describeCompositeOracle,
  describeOpOracles,
  expectAdamTrainsThrough,
  expectLikeLayers,
  makeCase,
  standardCases,
  tolerances,
  validationChecker,
  type Call,
  type LayersBase,
  type OpCase,
  type Outputs,
  type Variant,
} from '../testing/index.js';
import { backendCapabilities } from '../backend/index.js';
import { simpleRnn, type SimpleRnnOptions, type SimpleRnnParams } from './simple-rnn.js';

const TANH: Variant = { op: 'simpleRnn', activation: 'tanh' };
const RELU: Variant = { op: 'simpleRnn', activation: 'relu' };
const SIZES = { batch: 3, time: 5, inputSize: 4, units: 5 };

/** ops.simpleRnn on a harness call. */
const runOp = (call: Call<tf.Tensor>): Outputs<tf.Tensor> =>
  simpleRnn(call.x as tf.Tensor3D, call.params as SimpleRnnParams, call.options as SimpleRnnOptions);

// tanh and ReLU × {no mask, mask, reverse, mask + reverse} × {h0 and bias; none}: 16 cases.
const CASES: OpCase[] = [TANH, RELU].flatMap((v) => standardCases(v, SIZES));

/** tf.layers.simpleRNN with the case's activation, for {@link expectLikeLayers}, which copies our weights in. */
const layersSimpleRnn = (c: OpCase) => (base: LayersBase) => {
  if (c.variant.op !== 'simpleRnn') throw new Error(`not a simple RNN case: ${c.name}`);
  return tf.layers.simpleRNN({ ...base, activation: c.variant.activation });
};

describeBackends('ops.simpleRnn', (backend) => {
  const tol = tolerances(backend);

  describe('forward vs tf.layers.simpleRNN with copied weights', () => {
    // sequence and h vs tf.layers.simpleRNN (float32, same backend, same activation).
    const compare = (c: OpCase) => expectLikeLayers(c, runOp, ['h'], layersSimpleRnn(c), tol.forward);
    it.each([TANH, RELU].flatMap((v) => [
      makeCase(v, { ...SIZES, initialState: false, bias: true, mask: false, reverse: false }),
      makeCase(v, { ...SIZES, initialState: true, bias: true, mask: false, reverse: false }),
    ]))('$name', compare);
    // tf.layers' mask path is wrong on tfjs-backend-webgpu 4.22 (see lstm.test.ts); the masked
    // forward is checked against the float64 reference below on every backend.
    for (const v of [TANH, RELU]) {
      const masked = makeCase(v, { ...SIZES, initialState: true, bias: false, mask: true, reverse: false });
      it.skipIf(backend === 'webgpu')(masked.name, () => compare(masked));
    }
  });

  describe('IRNN (ReLU, U = I, b = 0) against hand-computed values', () => {
    // One unit, W = [[1]], U = [[1]], x = [1, 2, 3] ≥ 0: h_t = relu(x_t + h_{t−1}) is a running sum.
    const cases = [
      // forward: 1, 1 + 2 = 3, 3 + 3 = 6
      { title: 'forward', mask: undefined, reverse: false, sequence: [1, 3, 6], h: [6] },
      // mask [1, 0, 1]: 1, carried 1, 1 + 3 = 4
      { title: 'masked', mask: [[1, 0, 1]], reverse: false, sequence: [1, 1, 4], h: [4] },
      // reverse consumes 3, 2, 1: position 2 → 3, position 1 → 3 + 2 = 5, position 0 → 5 + 1 = 6
      { title: 'reverse', mask: undefined, reverse: true, sequence: [6, 5, 3], h: [6] },
    ];
    it.each(cases)('$title', async ({ mask, reverse, sequence, h }) => {
      const made = [tf.tensor3d([[[1], [2], [3]]]), tf.tensor2d([[1]]), tf.eye(1) as tf.Tensor2D, ...(mask ? [tf.tensor2d(mask)] : [])];
      const [x, kernel, recurrentKernel, m] = made as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D | undefined];
      const out = simpleRnn(x, { kernel, recurrentKernel }, { activation: 'relu', reverse, ...(m ? { mask: m } : {}) });
      // sequence and h vs the running sums in the comments (exact in float32).
      expect(await out.sequence.data()).toBeAllClose(sequence, { rtol: 0, atol: 0 });
      expect(await out.h.data()).toBeAllClose(h, { rtol: 0, atol: 0 });
      tf.dispose([...made, out.sequence, out.h]);
    });
  });

  describeOpOracles(tol, {
    run: runOp,
    states: ['h'],
    cases: CASES,
    stateCases: [TANH, RELU].flatMap((v) => MASK_MODES.map((m) => makeCase(v, { ...SIZES, ...m, initialState: true, bias: true }))),
    memoryCase: makeCase(RELU, { ...SIZES, initialState: true, bias: true, mask: true, reverse: true }),
    halfwayInvalid: {
      edit: (call, t) => (call.options.h0 = t.inputs.kernel), // x, kernels and bias pass; h0 [I, H] is rejected
      message: 'simpleRnn: h0 must be [B, H] = [3, 5], got [4, 5]',
    },
    maskDtypeCase: makeCase(TANH, { ...SIZES, initialState: true, bias: true, mask: true, reverse: true }),
  });

  it.each([TANH, RELU])('tf.variableGrads and optimizer.minimize (Adam) work through the op ($activation)', (v) =>
    // Loss and gradients vs float64 reference / FD; Adam's first step vs the float64 loss it predicts.
    expectAdamTrainsThrough(makeCase(v, { ...SIZES, initialState: true, bias: true, mask: true, reverse: true }), runOp, tol),
  );
});

describeCompositeOracle('simpleRnn test oracles', CASES);

describeBackends(
  'ops.simpleRnn validation',
  () => {
    const [B, T, I, H] = [2, 3, 4, 5];
    // simpleRnn on valid zeros with an edit applied: the exact message of validate.ts /
    // simple-rnn.ts, and tf.memory().numTensors unchanged.
    const { expectRejected, own, zeros: z } = validationChecker(
      (a) => simpleRnn(a.x as tf.Tensor3D, a.params as unknown as SimpleRnnParams, a.options as SimpleRnnOptions),
      ({ zeros }) => ({ x: zeros([B, T, I]), params: { kernel: zeros([I, H]), recurrentKernel: zeros([H, H]), bias: zeros([H]) }, options: {} }),
    );

    it('x of the wrong rank', () => expectRejected('simpleRnn: x must be rank 3 [batch, time, features], got rank 1 [4]', (a) => (a.x = z([I]))));
    it('x that is undefined', () => expectRejected('simpleRnn: x must be a tf.Tensor [batch, time, features], got undefined', (a) => (a.x = undefined)));
    it('x of dtype int32', () => expectRejected('simpleRnn: x must be float32, got int32', (a) => (a.x = z([B, T, I], 'int32'))));
    it('recurrentKernel [H, 2H]', () =>
      expectRejected('simpleRnn: recurrentKernel must be [H, H] = [5, 5], got [5, 10]', (a) => (a.params.recurrentKernel = z([H, 2 * H]))));
    it('recurrentKernel that is a plain array', () =>
      expectRejected('simpleRnn: recurrentKernel must be a tf.Tensor [H, H], got a plain array (wrap it with tf.tensor)', (a) => (a.params.recurrentKernel = [[1]])));
    it('kernel with the wrong units', () =>
      expectRejected("simpleRnn: kernel must be [I, H] (I = x's features) = [4, 5], got [4, 6]", (a) => (a.params.kernel = z([I, H + 1]))));
    it('kernel missing', () =>
      expectRejected("simpleRnn: kernel must be a tf.Tensor of shape [I, H] (I = x's features) = [4, 5], got undefined", (a) => delete a.params.kernel));
    it('bias of the wrong length', () => expectRejected('simpleRnn: bias must be [H] = [5], got [6]', (a) => (a.params.bias = z([H + 1]))));
    it('h0 of dtype int32', () => expectRejected('simpleRnn: h0 must be float32, got int32', (a) => (a.options.h0 = z([B, H], 'int32'))));
    it('mask of the wrong shape', () => expectRejected('simpleRnn: mask must be [B, T] = [2, 3], got [2, 3, 1]', (a) => (a.options.mask = z([B, T, 1]))));
    it('mask value 2 on a host-memory backend', () => {
      expect(backendCapabilities().hostMemory).toBe(true); // values are only read where that is free
      return expectRejected('simpleRnn: mask values must be 0 or 1, got 2 at flat index 5', (a) => (a.options.mask = own(tf.tensor2d([[0, 1, 1], [1, 1, 2]]))));
    });
    it('an unknown activation', () =>
      expectRejected("simpleRnn: activation must be 'tanh' or 'relu', got 'sigmoid'", (a) => (a.options.activation = 'sigmoid')));
    it('reverse that is not a boolean', () => expectRejected('simpleRnn: reverse must be true or false, got 0', (a) => (a.options.reverse = 0)));
    it('an unknown option key', () =>
      expectRejected('simpleRnn: unknown option "coupled"; expected one of h0, mask, reverse, activation', (a) => (a.options.coupled = true)));
    it('an unknown parameter key', () =>
      expectRejected('simpleRnn: unknown parameter "recurrent_kernel"; expected one of kernel, recurrentKernel, bias', (a) => (a.params.recurrent_kernel = z([H, H]))));
    it('a disposed h0', () =>
      expectRejected('simpleRnn: h0 has been disposed', (a) => {
        const h0 = z([B, H]);
        h0.dispose();
        a.options.h0 = h0;
      }));
  },
  { only: ['cpu'] },
);
