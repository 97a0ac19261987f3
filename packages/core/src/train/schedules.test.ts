/** Learning-rate schedules against hand-computed values. */
import { describe, expect, it } from 'vitest';
import { constant, cosineDecay, exponentialDecay, stepDecay, warmup } from './schedules.js';

describe('learning-rate schedules', () => {
  it('step decay drops by the factor every `every` steps', () => {
    const lr = stepDecay({ initial: 0.1, factor: 0.5, every: 10 });
    // 0.1·0.5^⌊s/10⌋
    expect([0, 9, 10, 19, 20, 35].map(lr)).toBeAllClose([0.1, 0.1, 0.05, 0.05, 0.025, 0.0125], { rtol: 1e-12 });
  });

  it('exponential decay is smooth: initial · rate^(step/every)', () => {
    const lr = exponentialDecay({ initial: 1, rate: 0.5, every: 4 });
    // 0.5^(2/4) = 1/√2
    expect([0, 2, 4, 8].map(lr)).toBeAllClose([1, Math.SQRT1_2, 0.5, 0.25], { rtol: 1e-12 });
  });

  it('cosine decay goes from initial to final in `steps` steps, then stays', () => {
    const lr = cosineDecay({ initial: 1, steps: 100, final: 0.1 });
    // halfway: 0.1 + 0.9·½(1 + cos(π/2)) = 0.55; a quarter: 0.1 + 0.9·½(1 + cos(π/4)) = 0.1 + 0.45·(1 + √½)
    expect([0, 25, 50, 100, 1000].map(lr)).toBeAllClose([1, 0.1 + 0.45 * (1 + Math.SQRT1_2), 0.55, 0.1, 0.1], { rtol: 1e-12 });
  });

  it('warm-up ramps linearly to the wrapped schedule, which then starts from its step 0', () => {
    const lr = warmup(4, stepDecay({ initial: 0.8, factor: 0.5, every: 2 }));
    // 0.8·(s+1)/4 for s < 4, then stepDecay(s − 4)
    expect([0, 1, 3, 4, 5, 6].map(lr)).toBeAllClose([0.2, 0.4, 0.8, 0.8, 0.8, 0.4], { rtol: 1e-12 });
  });

  it('rejects bad arguments with the name and the value', () => {
    expect(() => constant(0)).toThrow(/constant: rate must be a positive finite number, got 0/);
    expect(() => stepDecay({ initial: 1, factor: 0.5, every: 0 })).toThrow(/every must be a positive integer, got 0/);
    expect(() => cosineDecay({ initial: 1, steps: 10, final: 2 })).toThrow(/final must be in \[0, initial = 1\], got 2/);
    expect(() => warmup(0, constant(1))).toThrow(/warmup: steps must be a positive integer, got 0/);
    expect(() => constant(1)(-1)).toThrow(/step must be a non-negative integer, got -1/);
  });
});
