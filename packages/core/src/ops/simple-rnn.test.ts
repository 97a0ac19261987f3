/**
 * `ops.simpleRnn` against independent oracles, on every backend: vanilla `tf.layers.simpleRNN`
 * with copied weights (tanh and ReLU), hand-computed IRNN values, the float64 reference (forward),
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
import { simpleRnn, type SimpleRnnOptions, type SimpleRnnParams } from './simple-rnn.js';

const TANH: Variant = { op: 'simpleRnn', activation: 'tanh' };
const RELU: Variant = { op: 'simpleRnn', activation: 'relu' };
const SIZES = { batch: 3, time: 5, inputSize: 4, units: 5 };

/** ops.simpleRnn on a harness call. */
const runOp = (call: Call<tf.Tensor>): Outputs<tf.Tensor> =>
  simpleRnn(call.x as tf.Tensor3D, call.params as SimpleRnnParams, call.options as SimpleRnnOptions);

// tanh and ReLU × {no mask, mask, reverse, mask + reverse} × {h0 and bias; none}: 16 cases.
const CASES: OpCase[] = [TANH, RELU].flatMap((v) => standardCases(v, SIZES));

/** tf.layers.simpleRNN with our weights copied in; returns [sequence, h] as read arrays. */
async function layersSimpleRnn(c: OpCase, t: CaseTensors): Promise<Outputs<Float32Array>> {
  if (c.variant.op !== 'simpleRnn') throw new Error(`not a simple RNN case: ${c.name}`);
  const layer = tf.layers.simpleRNN({
    units: c.config.units,
    activation: c.variant.activation,
    returnSequences: true,
    returnState: true,
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

describeBackends('ops.simpleRnn', (backend) => {
  const tol = tolerances(backend);

  describe('forward vs tf.layers.simpleRNN with copied weights', () => {
    const compare = (c: OpCase) =>
      withCaseTensors(c, async (t) => {
        const want = await layersSimpleRnn(c, t);
        const got = await runAndRead(runOp, buildCall(c.variant, t.inputs, t.mask, false));
        // sequence and h vs tf.layers.simpleRNN (float32, same backend, same activation).
        expectOutputsClose(got, want, tol.forward);
      });
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

  describe('forward vs the float64 reference', () => {
    it.each(CASES)('$name', (c) =>
      withCaseTensors(c, async (t) => {
        const got = await runAndRead(runOp, buildCall(c.variant, t.inputs, t.mask, c.config.reverse));
        // sequence and h vs referenceSimpleRnn in float64.
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
    const cases = [TANH, RELU].flatMap((v) => MASK_MODES.map((m) => makeCase(v, { ...SIZES, ...m, initialState: true, bias: true })));
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
    const c = makeCase(RELU, { ...SIZES, initialState: true, bias: true, mask: true, reverse: true });

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
        call.options.h0 = t.inputs.kernel; // x, kernels and bias pass; h0 [I, H] is rejected
        // The exact message, and live tensors before vs after the rejected call.
        await expectInputError(() => runOp(call), 'simpleRnn: h0 must be [B, H] = [3, 5], got [4, 5]');
      }),
    );
  });

  it.each([TANH, RELU])('tf.variableGrads and optimizer.minimize (Adam) work through the op ($activation)', (v) =>
    // Loss and gradients vs float64 reference / FD; Adam's first step vs the float64 loss it predicts.
    expectAdamTrainsThrough(makeCase(v, { ...SIZES, initialState: true, bias: true, mask: true, reverse: true }), runOp, tol),
  );

  it('a bool or int32 mask gives the same outputs as the float32 mask', () => {
    const c = makeCase(TANH, { ...SIZES, initialState: true, bias: true, mask: true, reverse: true });
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
  'simpleRnn test oracles',
  () => {
    it.each(CASES)('the per-step composite matches the float64 reference: $name', (c) =>
      withCaseTensors(c, async (t) => {
        const got = await runAndRead(composite(c.variant), buildCall(c.variant, t.inputs, t.mask, c.config.reverse));
        // composite() sequence and h vs referenceSimpleRnn: the gradient oracle computes the right function.
        expectOutputsClose(got, referenceRun(c), 1e-5);
      }),
    );
  },
  { only: ['cpu'] },
);

describeBackends(
  'ops.simpleRnn validation',
  () => {
    const [B, T, I, H] = [2, 3, 4, 5];
    /** Tensors a test made; disposed after each check. */
    const made: tf.Tensor[] = [];
    const own = <R extends tf.Tensor>(t: R): R => (made.push(t), t);
    const z = (shape: number[], dtype: 'float32' | 'int32' = 'float32') => own(tf.zeros(shape, dtype));
    type Args = { x: unknown; params: Record<string, unknown>; options: Record<string, unknown> };
    /** simpleRnn on valid zeros with `edit` applied must throw exactly `message`, creating no tensor. */
    async function expectRejected(message: string, edit: (a: Args) => void): Promise<void> {
      const a: Args = { x: z([B, T, I]), params: { kernel: z([I, H]), recurrentKernel: z([H, H]), bias: z([H]) }, options: {} };
      edit(a);
      try {
        // The exact message of validate.ts / simple-rnn.ts, and tf.memory().numTensors unchanged.
        await expectInputError(() => simpleRnn(a.x as tf.Tensor3D, a.params as unknown as SimpleRnnParams, a.options as SimpleRnnOptions), message);
      } finally {
        tf.dispose(made.splice(0).filter((t) => !t.isDisposed));
      }
    }

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
