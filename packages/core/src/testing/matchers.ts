/**
 * Numeric matchers for vitest: `toBeAllClose` (elementwise, numpy's rule) and
 * `toHaveRelativeError` (SPEC.md's ‖got − ref‖ / ‖ref‖ contract).
 *
 * They take numbers, not tensors: read a tensor with `await t.data()` (or {@link read}) first, since
 * the GPU backends cannot read synchronously in Node.
 */
import { expect } from 'vitest';

/** Anything a matcher can compare: a number, a typed array or (nested) arrays of numbers. */
export type Numeric = number | ArrayLike<number> | readonly Numeric[];

export interface AllCloseOptions {
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  atol?: number;
}

/** Flattens numeric input to a Float64Array; throws on tensors and other non-numeric values. */
export function flatten(value: unknown, what: string): Float64Array {
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'number') out.push(v);
    else if (ArrayBuffer.isView(v) && !(v instanceof DataView)) out.push(...Array.from(v as unknown as ArrayLike<number>));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object' && 'dataId' in v) {
      throw new TypeError(`${what} is a tf.Tensor; read it first with \`await t.data()\` (GPU backends cannot read synchronously)`);
    } else throw new TypeError(`${what} must be a number, a typed array or an array of numbers, got ${typeof v}`);
  };
  walk(value);
  return Float64Array.from(out);
}

/** ‖got − ref‖₂ / ‖ref‖₂ (or ‖got‖₂ when ref is all zeros). */
export function relativeError(got: Numeric, ref: Numeric): number {
  const a = flatten(got, 'got');
  const b = flatten(ref, 'ref');
  if (a.length !== b.length) throw new RangeError(`relativeError: got ${a.length} values, reference has ${b.length}`);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

function allClose(received: unknown, expected: unknown, options: AllCloseOptions = {}): MatcherResult {
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-8;
  const a = flatten(received, 'received');
  const b = flatten(expected, 'expected');
  if (a.length !== b.length) {
    return { pass: false, message: () => `expected ${b.length} values, received ${a.length}` };
  }
  let worst = -1;
  let worstExcess = 0;
  let failures = 0;
  for (let i = 0; i < a.length; i++) {
    const bound = atol + rtol * Math.abs(b[i]!);
    const err = Math.abs(a[i]! - b[i]!);
    if (!(err <= bound)) {
      failures++;
      const excess = Number.isNaN(err) ? Infinity : err - bound;
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  const pass = failures === 0;
  return {
    pass,
    message: () =>
      pass
        ? `expected values not to be all close (rtol ${rtol}, atol ${atol})`
        : `${failures} of ${a.length} values differ beyond atol ${atol} + rtol ${rtol}·|expected|; ` +
          `worst at flat index ${worst}: received ${a[worst]}, expected ${b[worst]}`,
  };
}

function relative(received: unknown, expected: unknown, max: number): MatcherResult {
  const err = relativeError(flatten(received, 'received'), flatten(expected, 'expected'));
  const pass = err <= max;
  return {
    pass,
    message: () => `relative error ‖received − expected‖/‖expected‖ = ${err.toExponential(3)}, ${pass ? 'within' : 'above'} ${max}`,
  };
}

expect.extend({
  toBeAllClose: allClose,
  toHaveRelativeError: relative,
});

/** The numeric matchers, as vitest's `expect` sees them. */
export interface NumericMatchers<R = unknown> {
  /** Elementwise |received − expected| ≤ atol + rtol·|expected| (numpy's `allclose`). */
  toBeAllClose(expected: Numeric, options?: AllCloseOptions): R;
  /** ‖received − expected‖₂ / ‖expected‖₂ ≤ max (SPEC.md's accuracy contract). */
  toHaveRelativeError(expected: Numeric, max: number): R;
}

declare module 'vitest' {
  // vitest declares `Matchers<T = any>`; an augmentation must repeat the parameter exactly.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends NumericMatchers<T> {}
}
