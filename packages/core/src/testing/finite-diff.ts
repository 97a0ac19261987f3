/**
 * Central finite differences in float64: the independent oracle for the hand-written BPTT
 * gradients. Tests build a scalar loss from the float64 reference (e.g.
 * loss = Σ sequence ⊙ W_seq + Σ h ⊙ W_h with fixed random weightings) and compare its numerical
 * gradient with the tfjs op's gradient of the same loss.
 */
import { checkMat, type Mat } from './reference/mat.js';

export interface FiniteDiffOptions {
  /**
   * Step ε of (f(θ + ε e_k) − f(θ − ε e_k)) / 2ε. Default 1e-6: the truncation error is
   * O(ε² f''') ≈ 1e-12 and the rounding error O(u |f| / ε) ≈ 1e-10 |f| (u ≈ 1.1e-16), near the
   * optimum ε ≈ ∛u ≈ 5e-6 for O(1) inputs, far below the 1e-4 gradient tolerance of SPEC.md.
   */
  eps?: number;
}

const DEFAULT_EPS = 1e-6;

/**
 * Gradient of a scalar function of a flat vector by central differences:
 *
 *     g_k = (f(θ + ε e_k) − f(θ − ε e_k)) / (θ_k⁺ − θ_k⁻)
 *
 * where θ_k± = θ_k ± ε rounded to float64, so the denominator is the step actually taken.
 * Costs 2·θ.length evaluations of f. `theta` is not modified (f sees a private copy).
 *
 * @example
 *   // f(a, b) = a² b → ∇f = (2ab, a²) = (12, 9) at (3, 2)
 *   centralDifferenceGradient((t) => t[0]! ** 2 * t[1]!, Float64Array.of(3, 2));
 */
export function centralDifferenceGradient(
  f: (theta: Float64Array) => number,
  theta: Float64Array,
  options: FiniteDiffOptions = {},
): Float64Array {
  const eps = options.eps ?? DEFAULT_EPS;
  if (!(eps > 0) || !Number.isFinite(eps)) {
    throw new Error(`centralDifferenceGradient: eps must be a positive finite number, got ${eps}`);
  }
  const point = Float64Array.from(theta);
  const grad = new Float64Array(point.length);
  for (let k = 0; k < point.length; k++) {
    const original = point[k] ?? 0;
    const plus = original + eps;
    const minus = original - eps;
    point[k] = plus;
    const fPlus = f(point);
    point[k] = minus;
    const fMinus = f(point);
    point[k] = original;
    if (!Number.isFinite(fPlus) || !Number.isFinite(fMinus)) {
      throw new Error(
        `centralDifferenceGradient: f must be finite near the point, got f(θ ± ε e_${k}) = ${fPlus}, ${fMinus}`,
      );
    }
    grad[k] = (fPlus - fMinus) / (plus - minus);
  }
  return grad;
}

/**
 * Gradient of a scalar function of a record of Mats with respect to one named entry, by central
 * differences; the result has that entry's shape. The other entries are passed through unchanged.
 *
 * @example
 *   const inputs = { x, kernel, recurrentKernel };
 *   const loss = (m: typeof inputs) =>
 *     dot(referenceSimpleRnn(m.x, { kernel: m.kernel, recurrentKernel: m.recurrentKernel }).h, wH);
 *   const dKernel = finiteDiffInput(inputs, 'kernel', loss); // [I, H]
 */
export function finiteDiffInput<R extends Record<string, Mat>>(
  inputs: R,
  name: keyof R & string,
  f: (inputs: R) => number,
  options: FiniteDiffOptions = {},
): Mat {
  const target = inputs[name];
  if (target === undefined) {
    throw new Error(
      `finiteDiffInput: no input named "${name}"; inputs are ${Object.keys(inputs).join(', ')}`,
    );
  }
  checkMat('finiteDiffInput', name, target);
  const shape = [...target.shape];
  const data = centralDifferenceGradient(
    (theta) => f({ ...inputs, [name]: { shape, data: theta } }),
    target.data,
    options,
  );
  return { shape, data };
}

/** `finiteDiffInput` for every entry of the record: one gradient Mat per input, same keys. */
export function finiteDiffAll<R extends Record<string, Mat>>(
  inputs: R,
  f: (inputs: R) => number,
  options: FiniteDiffOptions = {},
): { [K in keyof R]: Mat } {
  const out: Partial<Record<keyof R, Mat>> = {};
  for (const name of Object.keys(inputs)) out[name as keyof R] = finiteDiffInput(inputs, name, f, options);
  return out as { [K in keyof R]: Mat };
}
