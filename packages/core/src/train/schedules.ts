/**
 * Learning-rate schedules as pure functions of the step (0-based: the rate used for the step
 * about to run). Pure, so a resumed run needs to store nothing but the step; composable, so a
 * warm-up wraps any decay.
 *
 * @example
 * ```ts
 * // 100 steps of linear warm-up to 2e-3, then cosine decay to 1e-4 over the next 4,900
 * const lr = warmup(100, cosineDecay({ initial: 2e-3, steps: 4900, final: 1e-4 }));
 * lr(0);    // 2e-5
 * lr(99);   // 2e-3
 * lr(5000); // 1e-4
 * ```
 */

/** The learning rate to use at a (0-based) step. */
export type LearningRateSchedule = (step: number) => number;

function positive(where: string, name: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new Error(`${where}: ${name} must be a positive finite number, got ${v}`);
}

function checkStep(where: string, step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new Error(`${where}: step must be a non-negative integer, got ${step}`);
}

/** The same rate at every step. */
export function constant(rate: number): LearningRateSchedule {
  positive('constant', 'rate', rate);
  return (step) => {
    checkStep('constant', step);
    return rate;
  };
}

/** Step decay: `initial · factor^⌊step / every⌋` (drop by `factor` every `every` steps). */
export function stepDecay(o: { initial: number; factor: number; every: number }): LearningRateSchedule {
  positive('stepDecay', 'initial', o.initial);
  positive('stepDecay', 'factor', o.factor);
  if (!Number.isInteger(o.every) || o.every < 1) throw new Error(`stepDecay: every must be a positive integer, got ${o.every}`);
  return (step) => {
    checkStep('stepDecay', step);
    return o.initial * o.factor ** Math.floor(step / o.every);
  };
}

/** Exponential decay: `initial · rate^(step / every)` (smooth; multiplied by `rate` every `every` steps). */
export function exponentialDecay(o: { initial: number; rate: number; every: number }): LearningRateSchedule {
  positive('exponentialDecay', 'initial', o.initial);
  positive('exponentialDecay', 'rate', o.rate);
  positive('exponentialDecay', 'every', o.every);
  return (step) => {
    checkStep('exponentialDecay', step);
    return o.initial * o.rate ** (step / o.every);
  };
}

/**
 * Cosine decay (Loshchilov & Hutter 2017, one cycle):
 * `final + (initial − final) · ½(1 + cos(π · min(step, steps) / steps))`, then `final` for ever.
 */
export function cosineDecay(o: { initial: number; steps: number; final?: number }): LearningRateSchedule {
  const final = o.final ?? 0;
  positive('cosineDecay', 'initial', o.initial);
  positive('cosineDecay', 'steps', o.steps);
  if (!(final >= 0) || final > o.initial) throw new Error(`cosineDecay: final must be in [0, initial = ${o.initial}], got ${final}`);
  return (step) => {
    checkStep('cosineDecay', step);
    const p = Math.min(step, o.steps) / o.steps;
    return final + (o.initial - final) * 0.5 * (1 + Math.cos(Math.PI * p));
  };
}

/**
 * Linear warm-up for `steps` steps, then `after` counted from the end of the warm-up:
 * `after(0) · (step + 1) / steps` while `step < steps`, `after(step − steps)` afterwards.
 * (The first step already gets a small non-zero rate; the last warm-up step reaches after(0).)
 */
export function warmup(steps: number, after: LearningRateSchedule): LearningRateSchedule {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`warmup: steps must be a positive integer, got ${steps}`);
  return (step) => {
    checkStep('warmup', step);
    return step < steps ? (after(0) * (step + 1)) / steps : after(step - steps);
  };
}

/** A number is a constant schedule; a function is used as is. */
export function toSchedule(rate: number | LearningRateSchedule): LearningRateSchedule {
  return typeof rate === 'number' ? constant(rate) : rate;
}
