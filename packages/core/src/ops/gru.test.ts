/**
 * `ops.gru` against independent oracles, on every backend: vanilla `tf.layers.gru` with copied
 * weights (reset-before only: tfjs-layers cannot do reset-after), the float64 reference (forward),
 * float64 finite differences of that reference and tfjs autodiff of a plain per-step composite
 * (gradients), plus final-state semantics, leaks, `tf.variableGrads` / `optimizer.minimize`, and
 * every validation message (cpu only). Tolerances are SPEC.md's accuracy contract
 * (`tolerances(backend)`), relative error per output and per input.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  MASK_MODES,
  buildCall,
  composite,
  describeBackends,
  expectAdamTrainsThrough,
  expectGradientsClose,
  expectInputError,
  expectNoLeaks,
  expectOutputsClose,
  makeCase,
  readOutputs,
  runAndRead,
  referenceGradients,
  referenceRun,
  standardCases,
  tensorGradients,
  tolerances,
  withCaseTensors,
  type Call,
  type CaseTensors,
  type InputName,
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

/** tf.layers.gru (reset-before) with our weights copied in; returns [sequence, h] as read arrays. */
async function layersGru(c: OpCase, t: CaseTensors): Promise<Outputs<Float32Array>> {
  const layer = tf.layers.gru({
    units: c.config.units,
    returnSequences: true,
    returnState: true,
    recurrentActivation: 'sigmoid', // tfjs-layers' default is hardSigmoid
    useBias: c.config.bias,
  });
  const x = t.inputs.x!;
  const kwargs: Record<string, unknown> = {};
  if (t.inputs.h0 !== undefined) kwargs.initialState = [t.inputs.h0];
  if (t.mask !== undefined) kwargs.mask = t.mask;
  try {
    tf.dispose(layer.apply(x, kwargs) as tf.Tensor[]); // builds the weights
    layer.setWeights([t.inputs.kernel!, t.inputs.recurrentKernel!, ...(c.config.bias ? [t.inputs.bias!] : [])]);
    const [sequence, h] = layer.apply(x, kwargs) as tf.Tensor[];
    const out = await readOutputs({ sequence: sequence!, h: h! });
    tf.dispose([sequence!, h!]);
    return out;
  } finally {
    layer.dispose();
  }
}

describeBackends('ops.gru', (backend) => {
  const tol = tolerances(backend);

  describe('forward vs tf.layers.gru with copied weights (reset-before)', () => {
    const compare = (c: OpCase) =>
      withCaseTensors(c, async (t) => {
        const want = await layersGru(c, t);
        const got = await runAndRead(runOp, buildCall(c.variant, t.inputs, t.mask, false));
        // sequence and h vs tf.layers.gru (float32, same backend, sigmoid gates, Keras z convention).
        expectOutputsClose(got, want, tol.forward);
      });
    it.each([
      makeCase(BEFORE, { ...SIZES, initialState: false, bias: true, mask: false, reverse: false }),
      makeCase(BEFORE, { ...SIZES, initialState: true, bias: true, mask: false, reverse: false }),
    ])('$name', compare);
    // tf.layers' mask path is wrong on tfjs-backend-webgpu 4.22 (see lstm.test.ts); the masked
    // forward is checked against the float64 reference below on every backend.
    const masked = makeCase(BEFORE, { ...SIZES, initialState: true, bias: false, mask: true, reverse: false });
    it.skipIf(backend === 'webgpu')(masked.name, () => compare(masked));
  });

  describe('forward vs the float64 reference', () => {
    it.each(CASES)('$name', (c) =>
      withCaseTensors(c, async (t) => {
        const got = await runAndRead(runOp, buildCall(c.variant, t.inputs, t.mask, c.config.reverse));
        // sequence and h vs referenceGru in float64.
        expectOutputsClose(got, referenceRun(c), tol.forward);
      }),
    );
  });

  // The op's gradients of each case, computed once and compared with both oracles.
  const opGradients = new Map<OpCase, Promise<Partial<Record<InputName, Float32Array>>>>();
  const gradientsOf = (c: OpCase) => {
    if (!opGradients.has(c)) opGradients.set(c, withCaseTensors(c, (t) => tensorGradients(c, t, runOp)));
    return opGradients.get(c)!;
  };

  describe('gradients vs finite differences of the float64 reference', () => {
    it.each(CASES)('$name', async (c) => {
      // ∂L/∂(x, kernel, recurrentKernel, bias, h0) vs float64 central differences.
      expectGradientsClose(await gradientsOf(c), referenceGradients(c), tol.gradient);
    });
  });

  describe('gradients vs tfjs autodiff of the per-step composite', () => {
    // The cases with h0 and bias (every input present); the bare ones are covered by FD above.
    it.each(CASES.filter((c) => c.config.initialState))('$name', async (c) => {
      const want = await withCaseTensors(c, (t) => tensorGradients(c, t, composite(c.variant)));
      // Each input's gradient vs tf.grads through composite() (plain tfjs ops, same backend).
      expectGradientsClose(await gradientsOf(c), want, tol.gradient);
    });
  });

  describe('the returned h is the last processed state', () => {
    const cases = [BEFORE, AFTER].flatMap((v) => MASK_MODES.map((m) => makeCase(v, { ...SIZES, ...m, initialState: true, bias: true })));
    it.each(cases)('$name: h is the sequence at the last processed position', (c) =>
      withCaseTensors(c, async (t) => {
        const { batch: B, time: T, units: H } = c.config;
        const got = await runAndRead(runOp, buildCall(c.variant, t.inputs, t.mask, c.config.reverse));
        const last = c.config.reverse ? 0 : T - 1;
        const atLast = Array.from({ length: B * H }, (_, k) => got.sequence[(Math.floor(k / H) * T + last) * H + (k % H)]!);
        // h vs the op's own sequence at position T−1 (reverse: 0): the same numbers, exactly.
        expect(Array.from(got.h)).toBeAllClose(atLast, { rtol: 0, atol: 0 });
        // h vs the reference's final state (row 2 is fully masked: h0 itself).
        expect(Array.from(got.h)).toHaveRelativeError(referenceRun(c).h.data, tol.forward);
      }),
    );

    it.each(cases)('$name: running in two pieces, carrying h, equals one run', (c) =>
      withCaseTensors(c, async (t) => {
        // Split at k = 2 in processing order: forward runs [0, 2) then [2, T) with h0 = the first
        // piece's h; reverse runs [2, T) first, then [0, 2).
        const { batch: B, time: T, inputSize: I } = c.config;
        const k = 2;
        const piece = (a: number, n: number) => ({
          x: tf.slice(t.inputs.x!, [0, a, 0], [B, n, I]),
          mask: t.mask === undefined ? undefined : tf.slice(t.mask, [0, a], [B, n]),
        });
        const [first, second] = c.config.reverse ? [piece(k, T - k), piece(0, k)] : [piece(0, k), piece(k, T - k)];
        const run = (p: ReturnType<typeof piece>, h0: tf.Tensor) =>
          runOp(buildCall(c.variant, { ...t.inputs, x: p.x, h0 }, p.mask, c.config.reverse));
        const one = run(first, t.inputs.h0!);
        const two = run(second, one.h);
        const whole = runOp(buildCall(c.variant, t.inputs, t.mask, c.config.reverse));
        const joined = tf.concat(c.config.reverse ? [two.sequence, one.sequence] : [one.sequence, two.sequence], 1);
        // The whole run's sequence and h vs the two pieces joined (the second piece's final h).
        expect(Array.from(await whole.sequence.data())).toHaveRelativeError(await joined.data(), tol.forward);
        expect(Array.from(await whole.h.data())).toHaveRelativeError(await two.h.data(), tol.forward);
        tf.dispose([first.x, first.mask ?? [], second.x, second.mask ?? [], one.sequence, one.h, two.sequence, two.h, whole.sequence, whole.h, joined]);
      }),
    );
  });

  describe('memory', () => {
    const c = makeCase(AFTER, { ...SIZES, initialState: true, bias: true, mask: true, reverse: true });

    it('a forward pass leaves no tensor behind', () =>
      withCaseTensors(c, async (t) => {
        // Live tensors before vs after (expectNoLeaks); the outputs are disposed inside.
        await expectNoLeaks(async () => {
          const out = runOp(buildCall(c.variant, t.inputs, t.mask, true));
          await out.sequence.data();
          tf.dispose(out);
        });
      }),
    );

    it('a forward + backward pass (tf.grads) leaves no tensor behind', () =>
      withCaseTensors(c, async (t) => {
        // Live tensors before vs after; tensorGradients disposes the gradients it read.
        await expectNoLeaks(() => tensorGradients(c, t, runOp));
      }),
    );

    it('an error thrown halfway through validation leaves no tensor behind', () =>
      withCaseTensors(c, async (t) => {
        const call = buildCall(c.variant, t.inputs, t.mask, true);
        call.options.h0 = t.inputs.kernel; // x, kernels and bias pass; h0 [I, 3H] is rejected
        // The exact message, and live tensors before vs after the rejected call.
        await expectInputError(() => runOp(call), 'gru: h0 must be [B, H] = [3, 5], got [4, 15]');
      }),
    );
  });

  it.each([BEFORE, AFTER])('tf.variableGrads and optimizer.minimize (Adam) work through the op (resetAfter: $resetAfter)', (v) =>
    // Loss and gradients vs float64 reference / FD; Adam's first step vs the float64 loss it predicts.
    expectAdamTrainsThrough(makeCase(v, { ...SIZES, initialState: true, bias: true, mask: true, reverse: true }), runOp, tol),
  );

  it('a bool or int32 mask gives the same outputs as the float32 mask', () => {
    const c = makeCase(AFTER, { ...SIZES, initialState: true, bias: true, mask: true, reverse: true });
    return withCaseTensors(c, async (t) => {
      const want = await runAndRead(runOp, buildCall(c.variant, t.inputs, t.mask, true));
      for (const dtype of ['bool', 'int32'] as const) {
        const mask = tf.cast(t.mask!, dtype);
        const got = await runAndRead(runOp, buildCall(c.variant, t.inputs, mask, true));
        mask.dispose();
        // Outputs with a `dtype` mask vs the float32 mask's: identical numbers.
        expectOutputsClose(got, want, 0);
      }
    });
  });
});

describeBackends(
  'gru test oracles',
  () => {
    it.each(CASES)('the per-step composite matches the float64 reference: $name', (c) =>
      withCaseTensors(c, async (t) => {
        const got = await runAndRead(composite(c.variant), buildCall(c.variant, t.inputs, t.mask, c.config.reverse));
        // composite() sequence and h vs referenceGru: the gradient oracle computes the right function.
        expectOutputsClose(got, referenceRun(c), 1e-5);
      }),
    );
  },
  { only: ['cpu'] },
);

describeBackends(
  'ops.gru validation',
  () => {
    const [B, T, I, H] = [2, 3, 4, 5];
    /** Tensors a test made; disposed after each check. */
    const made: tf.Tensor[] = [];
    const own = <R extends tf.Tensor>(t: R): R => (made.push(t), t);
    const z = (shape: number[], dtype: 'float32' | 'int32' = 'float32') => own(tf.zeros(shape, dtype));
    type Args = { x: unknown; params: Record<string, unknown>; options: Record<string, unknown> };
    /** gru on valid zeros (reset-before) with `edit` applied must throw exactly `message`, creating no tensor. */
    async function expectRejected(message: string, edit: (a: Args) => void): Promise<void> {
      const a: Args = { x: z([B, T, I]), params: { kernel: z([I, 3 * H]), recurrentKernel: z([H, 3 * H]), bias: z([3 * H]) }, options: {} };
      edit(a);
      try {
        // The exact message of validate.ts / gru.ts, and tf.memory().numTensors unchanged.
        await expectInputError(() => gru(a.x as tf.Tensor3D, a.params as unknown as GruParams, a.options as GruOptions), message);
      } finally {
        tf.dispose(made.splice(0).filter((t) => !t.isDisposed));
      }
    }

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
