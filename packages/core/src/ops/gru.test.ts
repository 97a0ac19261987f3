/**
 * `ops.gru` against independent oracles, on every backend: vanilla `tf.layers.gru` with copied
 * weights (reset-before only: tfjs-layers cannot do reset-after), the float64 reference (forward),
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
import { gru, type GruOptions, type GruParams } from './gru.js';

const BEFORE: Variant = { op: 'gru', resetAfter: false };
const AFTER: Variant = { op: 'gru', resetAfter: true };
const SIZES = { batch: 3, time: 5, inputSize: 4, units: 5 };

/** ops.gru on a harness call. */
const runOp = (call: Call<tf.Tensor>): Outputs<tf.Tensor> =>
  gru(call.x as tf.Tensor3D, call.params as GruParams, call.options as GruOptions);

// Both forms × {no mask, mask, reverse, mask + reverse} × {h0 and bias; none}: 16 cases.
const CASES: OpCase[] = [BEFORE, AFTER].flatMap((v) => standardCases(v, SIZES));

/** tf.layers.gru (reset-before) for {@link expectLikeLayers}, which copies our weights in. */
const layersGru = (base: LayersBase) =>
  tf.layers.gru({ ...base, recurrentActivation: 'sigmoid' }); // tfjs-layers' default is hardSigmoid

describeBackends('ops.gru', (backend) => {
  const tol = tolerances(backend);

  describe('forward vs tf.layers.gru with copied weights (reset-before)', () => {
    // sequence and h vs tf.layers.gru (float32, same backend, sigmoid gates, Keras z convention).
    const compare = (c: OpCase) => expectLikeLayers(c, runOp, ['h'], layersGru, tol.forward);
    it.each([
      makeCase(BEFORE, { ...SIZES, initialState: false, bias: true, mask: false, reverse: false }),
      makeCase(BEFORE, { ...SIZES, initialState: true, bias: true, mask: false, reverse: false }),
    ])('$name', compare);
    // tf.layers' mask path is wrong on tfjs-backend-webgpu 4.22 (see lstm.test.ts); the masked
    // forward is checked against the float64 reference below on every backend.
    const masked = makeCase(BEFORE, { ...SIZES, initialState: true, bias: false, mask: true, reverse: false });
    it.skipIf(backend === 'webgpu')(masked.name, () => compare(masked));
  });

  describeOpOracles(tol, {
    run: runOp,
    states: ['h'],
    cases: CASES,
    stateCases: [BEFORE, AFTER].flatMap((v) => MASK_MODES.map((m) => makeCase(v, { ...SIZES, ...m, initialState: true, bias: true }))),
    memoryCase: makeCase(AFTER, { ...SIZES, initialState: true, bias: true, mask: true, reverse: true }),
    halfwayInvalid: {
      edit: (call, t) => (call.options.h0 = t.inputs.kernel), // x, kernels and bias pass; h0 [I, 3H] is rejected
      message: 'gru: h0 must be [B, H] = [3, 5], got [4, 15]',
    },
    maskDtypeCase: makeCase(AFTER, { ...SIZES, initialState: true, bias: true, mask: true, reverse: true }),
  });

  it.each([BEFORE, AFTER])('tf.variableGrads and optimizer.minimize (Adam) work through the op (resetAfter: $resetAfter)', (v) =>
    // Loss and gradients vs float64 reference / FD; Adam's first step vs the float64 loss it predicts.
    expectAdamTrainsThrough(makeCase(v, { ...SIZES, initialState: true, bias: true, mask: true, reverse: true }), runOp, tol),
  );
});

describeCompositeOracle('gru test oracles', CASES);

describeBackends(
  'ops.gru validation',
  () => {
    const [B, T, I, H] = [2, 3, 4, 5];
    // gru on valid zeros (reset-before) with an edit applied: the exact message of validate.ts /
    // gru.ts, and tf.memory().numTensors unchanged.
    const { expectRejected, own, zeros: z } = validationChecker(
      (a) => gru(a.x as tf.Tensor3D, a.params as unknown as GruParams, a.options as GruOptions),
      ({ zeros }) => ({ x: zeros([B, T, I]), params: { kernel: zeros([I, 3 * H]), recurrentKernel: zeros([H, 3 * H]), bias: zeros([3 * H]) }, options: {} }),
    );

    it('x of the wrong rank', () =>
      expectRejected('gru: x must be rank 3 [batch, time, features], got rank 4 [2, 3, 4, 1]', (a) => (a.x = z([B, T, I, 1]))));
    it('x of dtype int32', () => expectRejected('gru: x must be float32, got int32', (a) => (a.x = z([B, T, I], 'int32'))));
    it('recurrentKernel [H, 4H] (an LSTM kernel)', () =>
      expectRejected('gru: recurrentKernel must be [H, 3H] = [5, 15] (blocks z, r, h), got [5, 20]', (a) => (a.params.recurrentKernel = z([H, 4 * H]))));
    it("kernel whose rows do not match x's features", () =>
      expectRejected("gru: kernel must be [I, 3H] (I = x's features) = [4, 15], got [5, 15]", (a) => (a.params.kernel = z([I + 1, 3 * H]))));
    it('a [3H] bias with resetAfter', () =>
      expectRejected(
        'gru: bias must be [2, 3H] = [2, 15] with resetAfter: true, got [15]; its rows are the input and the recurrent bias: ' +
          'tf.stack([inputBias, recurrentBias]), e.g. tf.stack([bias, tf.zerosLike(bias)]) for one [3H] bias',
        (a) => (a.options.resetAfter = true),
      ));
    it('a [2, 3H] bias without resetAfter', () =>
      expectRejected('gru: bias must be [3H] = [15], got [2, 15]; a [2, 3H] bias (input and recurrent rows) is for resetAfter: true', (a) => (a.params.bias = z([2, 3 * H]))));
    it('a bias of dtype int32', () => expectRejected('gru: bias must be float32, got int32', (a) => (a.params.bias = z([3 * H], 'int32'))));
    it('h0 with the wrong units', () => expectRejected('gru: h0 must be [B, H] = [2, 5], got [2, 4]', (a) => (a.options.h0 = z([B, H - 1]))));
    it('mask of the wrong shape', () => expectRejected('gru: mask must be [B, T] = [2, 3], got [3, 2]', (a) => (a.options.mask = z([T, B]))));
    it('mask value 2 on a host-memory backend', () => {
      expect(backendCapabilities().hostMemory).toBe(true); // values are only read where that is free
      return expectRejected('gru: mask values must be 0 or 1, got 2 at flat index 1', (a) => (a.options.mask = own(tf.tensor2d([[0, 2, 1], [1, 1, 1]]))));
    });
    it('reverse that is not a boolean', () => expectRejected("gru: reverse must be true or false, got 'yes'", (a) => (a.options.reverse = 'yes')));
    it('resetAfter that is not a boolean', () => expectRejected('gru: resetAfter must be true or false, got 1', (a) => (a.options.resetAfter = 1)));
    it('an unknown option key (c0 is LSTM-only)', () =>
      expectRejected('gru: unknown option "c0"; expected one of h0, mask, reverse, resetAfter', (a) => (a.options.c0 = z([B, H]))));
    it('an unknown parameter key', () =>
      expectRejected('gru: unknown parameter "peephole"; expected one of kernel, recurrentKernel, bias', (a) => (a.params.peephole = {})));
    it('a disposed kernel', () =>
      expectRejected('gru: kernel has been disposed', (a) => {
        const k = z([I, 3 * H]);
        k.dispose();
        a.params.kernel = k;
      }));
    it('a disposed mask', () =>
      expectRejected('gru: mask has been disposed', (a) => {
        const m = z([B, T]);
        m.dispose();
        a.options.mask = m;
      }));
  },
  { only: ['cpu'] },
);
