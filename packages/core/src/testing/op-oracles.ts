/**
 * The oracle suites the recurrent ops share (`ops/*.test.ts`): forward vs the float64 reference,
 * gradients vs its finite differences and vs tfjs autodiff of the per-step composite, the returned
 * states as the last processed ones (also across two pieces), memory, mask dtypes
 * ({@link describeOpOracles}); the cpu-only check of the composite itself; the tf.layers
 * weight-copy plumbing; the validation-test setup. Cases and checks come from `op-harness.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../tfjs-setup.js';
import { describeBackends } from './backends.js';
import { composite } from './composite.js';
import { expectNoLeaks } from './memory.js';
import { buildCall, expectGradientsClose, expectInputError, expectOutputsClose, readOutputs, referenceGradients, referenceRun, runAndRead, tensorGradients, withCaseTensors, type Call, type CaseTensors, type InputName, type OpCase, type Outputs, type TensorRun } from './op-harness.js';

/** A state the op carries from step to step and returns; its initial value is the input `${name}0`. */
export type StateName = 'h' | 'c';

/** What differs between the recurrent ops in the oracle suites they share ({@link describeOpOracles}). */
export interface OpOracles {
  /** The op under test on a harness call. */
  run: TensorRun;
  /** The carried state, as the op returns it: ['h'] (GRU, simple RNN) or ['h', 'c'] (LSTM). */
  states: readonly StateName[];
  /** Forward vs the reference and gradients vs FD: all; gradients vs the composite: those with an initial state. */
  cases: OpCase[];
  /** The final-state checks; each with an initial state and time > 2 (the run is split at 2). */
  stateCases: OpCase[];
  /** The leak tests' case (run as configured; the halfway edit may rely on its inputs). */
  memoryCase: OpCase;
  /** Breaks memoryCase's valid call halfway through validation; the op must throw exactly `message`. */
  halfwayInvalid: { edit: (call: Call<tf.Tensor>, t: CaseTensors) => void; message: string };
  /** A masked case, run with its float32 mask and with the same mask cast to bool and to int32. */
  maskDtypeCase: OpCase;
}

/**
 * The oracle suites every recurrent op shares, for one backend (call it inside `describeBackends`):
 * forward vs the float64 reference, gradients vs float64 finite differences and vs tfjs autodiff of
 * the per-step composite, the returned state is the last processed one (also across a split run),
 * leaks, and mask dtypes. The op-specific suites (tf.layers, hand-computed values, validation,
 * training) stay in the op's test file.
 */
export function describeOpOracles(tol: { forward: number; gradient: number }, op: OpOracles): void {
  const { run, states } = op;
  const callOf = (c: OpCase, t: CaseTensors, mask = t.mask) => buildCall(c.variant, t.inputs, mask, c.config.reverse);
  const disposeOutputs = (out: Outputs<tf.Tensor>) => tf.dispose([out.sequence, out.h, out.c ?? []]);

  describe('forward vs the float64 reference', () => {
    it.each(op.cases)('$name', (c) =>
      withCaseTensors(c, async (t) => {
        const got = await runAndRead(run, callOf(c, t));
        // sequence and every state vs the float64 reference (referenceGru, referenceLstm, referenceSimpleRnn).
        expectOutputsClose(got, referenceRun(c), tol.forward);
      }),
    );
  });

  // The op's gradients of each case, computed once and compared with both oracles.
  const opGradients = new Map<OpCase, Promise<Partial<Record<InputName, Float32Array>>>>();
  const gradientsOf = (c: OpCase) => {
    if (!opGradients.has(c)) opGradients.set(c, withCaseTensors(c, (t) => tensorGradients(c, t, run)));
    return opGradients.get(c)!;
  };

  describe('gradients vs finite differences of the float64 reference', () => {
    it.each(op.cases)('$name', async (c) => {
      // ∂L/∂(x, kernel, recurrentKernel, bias, h0, c0, peepholes: those of the case) vs float64 central differences.
      expectGradientsClose(await gradientsOf(c), referenceGradients(c), tol.gradient);
    });
  });

  describe('gradients vs tfjs autodiff of the per-step composite', () => {
    // The cases with an initial state and bias (every input present); the bare ones are covered by FD above.
    it.each(op.cases.filter((c) => c.config.initialState))('$name', async (c) => {
      const want = await withCaseTensors(c, (t) => tensorGradients(c, t, composite(c.variant)));
      // Each input's gradient vs tf.grads through composite() (plain tfjs ops, same backend).
      expectGradientsClose(await gradientsOf(c), want, tol.gradient);
    });
  });

  const carrying = states.length === 1 ? states[0]! : `(${states.join(', ')})`;
  describe(`the returned ${states.join(' and ')} ${states.length === 1 ? 'is' : 'are'} the last processed state`, () => {
    it.each(op.stateCases)('$name: h is the sequence at the last processed position', (c) =>
      withCaseTensors(c, async (t) => {
        const { batch: B, time: T, units: H } = c.config;
        const got = await runAndRead(run, callOf(c, t));
        const last = c.config.reverse ? 0 : T - 1;
        const atLast = Array.from({ length: B * H }, (_, k) => got.sequence[(Math.floor(k / H) * T + last) * H + (k % H)]!);
        // h vs the op's own sequence at position T−1 (reverse: 0): the same numbers, exactly.
        expect(Array.from(got.h)).toBeAllClose(atLast, { rtol: 0, atol: 0 });
        // Every state vs the reference's final state (row 2 is fully masked: the initial state itself).
        const ref = referenceRun(c);
        for (const s of states) expect(Array.from(got[s]!), s).toHaveRelativeError(ref[s]!.data, tol.forward);
      }),
    );

    it.each(op.stateCases)(`$name: running in two pieces, carrying ${carrying}, equals one run`, (c) =>
      withCaseTensors(c, async (t) => {
        // Split at k = 2 in processing order: forward runs [0, 2) then [2, T) with the initial state =
        // the first piece's final state; reverse runs [2, T) first, then [0, 2).
        const { batch: B, time: T, inputSize: I } = c.config;
        const k = 2;
        const piece = (a: number, n: number) => ({
          x: tf.slice(t.inputs.x!, [0, a, 0], [B, n, I]),
          mask: t.mask === undefined ? undefined : tf.slice(t.mask, [0, a], [B, n]),
        });
        const [first, second] = c.config.reverse ? [piece(k, T - k), piece(0, k)] : [piece(0, k), piece(k, T - k)];
        const runPiece = (p: ReturnType<typeof piece>, initial: Partial<Record<InputName, tf.Tensor>>) =>
          run(buildCall(c.variant, { ...t.inputs, x: p.x, ...initial }, p.mask, c.config.reverse));
        const one = runPiece(first, {}); // from the case's h0 (c0)
        const carried: Partial<Record<InputName, tf.Tensor>> = {};
        for (const s of states) carried[`${s}0` as const] = one[s]!;
        const two = runPiece(second, carried);
        const whole = await runAndRead(run, callOf(c, t));
        const joined = tf.concat(c.config.reverse ? [two.sequence, one.sequence] : [one.sequence, two.sequence], 1);
        // The whole run's sequence and every state vs the two pieces joined (the second piece's final state).
        expect(Array.from(whole.sequence)).toHaveRelativeError(await joined.data(), tol.forward);
        for (const s of states) expect(Array.from(whole[s]!), s).toHaveRelativeError(await two[s]!.data(), tol.forward);
        tf.dispose([first.x, first.mask ?? [], second.x, second.mask ?? [], joined]);
        disposeOutputs(one);
        disposeOutputs(two);
      }),
    );
  });

  describe('memory', () => {
    const c = op.memoryCase;

    it('a forward pass leaves no tensor behind', () =>
      withCaseTensors(c, async (t) => {
        // Live tensors before vs after (expectNoLeaks); the outputs are disposed inside.
        await expectNoLeaks(async () => {
          const out = run(callOf(c, t));
          await out.sequence.data();
          disposeOutputs(out);
        });
      }),
    );

    it('a forward + backward pass (tf.grads) leaves no tensor behind', () =>
      withCaseTensors(c, async (t) => {
        // Live tensors before vs after; tensorGradients disposes the gradients it read.
        await expectNoLeaks(() => tensorGradients(c, t, run));
      }),
    );

    it('an error thrown halfway through validation leaves no tensor behind', () =>
      withCaseTensors(c, async (t) => {
        const call = callOf(c, t);
        op.halfwayInvalid.edit(call, t);
        // The exact message, and live tensors before vs after the rejected call.
        await expectInputError(() => run(call), op.halfwayInvalid.message);
      }),
    );
  });

  it('a bool or int32 mask gives the same outputs as the float32 mask', () => {
    const c = op.maskDtypeCase;
    return withCaseTensors(c, async (t) => {
      const want = await runAndRead(run, callOf(c, t));
      for (const dtype of ['bool', 'int32'] as const) {
        const mask = tf.cast(t.mask!, dtype);
        const got = await runAndRead(run, callOf(c, t, mask));
        mask.dispose();
        // Outputs with a `dtype` mask vs the float32 mask's: identical numbers.
        expectOutputsClose(got, want, 0);
      }
    });
  });
}

/** cpu only: the per-step composite (the gradient oracle) computes the function the float64 reference does. */
export function describeCompositeOracle(title: string, cases: OpCase[]): void {
  describeBackends(
    title,
    () => {
      it.each(cases)('the per-step composite matches the float64 reference: $name', (c) =>
        withCaseTensors(c, async (t) => {
          const got = await runAndRead(composite(c.variant), buildCall(c.variant, t.inputs, t.mask, c.config.reverse));
          // composite() sequence and every state vs the float64 reference: the gradient oracle computes the right function.
          expectOutputsClose(got, referenceRun(c), 1e-5);
        }),
      );
    },
    { only: ['cpu'] },
  );
}

/** What the tf.layers comparisons use of a `tf.layers` recurrent layer (kept structural: no tfjs-layers import here). */
export interface LayersRecurrent {
  apply(x: tf.Tensor, kwargs: Record<string, unknown>): unknown;
  setWeights(weights: tf.Tensor[]): void;
  dispose(): unknown;
}

/** The options every tf.layers comparison builds its layer with; the op's file adds the rest. */
export interface LayersBase {
  units: number;
  returnSequences: true;
  returnState: true;
  useBias: boolean;
}

/**
 * The outputs of a vanilla tf.layers recurrent layer on a case (forward, not reversed), with the
 * case's kernel, recurrentKernel (and bias) copied in and its initial state (`${state}0` for each
 * of `states`) and mask passed: [sequence, ...states] as read arrays.
 */
export async function layersRun(
  c: OpCase,
  t: CaseTensors,
  states: readonly StateName[],
  makeLayer: (base: LayersBase) => LayersRecurrent,
): Promise<Outputs<Float32Array>> {
  const layer = makeLayer({ units: c.config.units, returnSequences: true, returnState: true, useBias: c.config.bias });
  const x = t.inputs.x!;
  const kwargs: Record<string, unknown> = {};
  if (t.inputs.h0 !== undefined) kwargs.initialState = states.map((s) => t.inputs[`${s}0` as const]);
  if (t.mask !== undefined) kwargs.mask = t.mask;
  try {
    tf.dispose(layer.apply(x, kwargs) as tf.Tensor[]); // builds the weights
    layer.setWeights([t.inputs.kernel!, t.inputs.recurrentKernel!, ...(c.config.bias ? [t.inputs.bias!] : [])]);
    const [sequence, ...final] = layer.apply(x, kwargs) as tf.Tensor[];
    const out: Outputs<tf.Tensor> = { sequence: sequence!, h: final[states.indexOf('h')]! };
    if (states.includes('c')) out.c = final[states.indexOf('c')]!;
    const read = await readOutputs(out);
    tf.dispose([sequence!, ...final]);
    return read;
  } finally {
    layer.dispose();
  }
}

/** The op's outputs on case `c` (forward, not reversed) vs {@link layersRun}'s: sequence and every state within `max`. */
export function expectLikeLayers(
  c: OpCase,
  run: TensorRun,
  states: readonly StateName[],
  makeLayer: (base: LayersBase) => LayersRecurrent,
  max: number,
): Promise<void> {
  return withCaseTensors(c, async (t) => {
    const want = await layersRun(c, t, states, makeLayer);
    const got = await runAndRead(run, buildCall(c.variant, t.inputs, t.mask, false));
    expectOutputsClose(got, want, max);
  });
}

/** An op call's arguments as loose values, so validation tests can put anything in. */
export interface LooseArgs {
  x: unknown;
  params: Record<string, unknown>;
  options: Record<string, unknown>;
}

/** Tensors a validation test makes; disposed after each check. */
export interface Scratch {
  /** Registers a tensor for disposal after the check. */
  own: <R extends tf.Tensor>(t: R) => R;
  /** Zeros of `shape`, disposed after the check. */
  zeros: (shape: number[], dtype?: 'float32' | 'int32') => tf.Tensor;
}

/**
 * `expectRejected(message, edit)`: `op` on the arguments `valid` builds, with `edit` applied, must
 * throw its input error with exactly `message` and create no tensor ({@link expectInputError}).
 * Returns it with the {@link Scratch} that `valid` and the edits make their tensors with.
 */
export function validationChecker(
  op: (a: LooseArgs) => unknown,
  valid: (s: Scratch) => LooseArgs,
): Scratch & { expectRejected: (message: string, edit: (a: LooseArgs) => void) => Promise<void> } {
  const made: tf.Tensor[] = [];
  const own = <R extends tf.Tensor>(t: R): R => (made.push(t), t);
  const zeros = (shape: number[], dtype: 'float32' | 'int32' = 'float32') => own(tf.zeros(shape, dtype));
  const scratch: Scratch = { own, zeros };
  async function expectRejected(message: string, edit: (a: LooseArgs) => void): Promise<void> {
    const a = valid(scratch);
    edit(a);
    try {
      await expectInputError(() => op(a), message);
    } finally {
      tf.dispose(made.splice(0).filter((t) => !t.isDisposed));
    }
  }
  return { ...scratch, expectRejected };
}
