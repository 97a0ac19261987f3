/**
 * The trainer's seeded random numbers: one generator whose whole state is a single uint32, so a
 * checkpoint can store it and a resumed run draws exactly the numbers the uninterrupted run would
 * have drawn. Everything random in training (data sampling, dropout masks) must come from here,
 * never from `Math.random` (not seedable) or unseeded `tf.random*` (seeded from `Math.random`).
 *
 * The generator is mulberry32 (the same one `@recurrent/core/testing` uses for test data).
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * A seeded generator with a readable and settable state.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * const saved = rng.state;      // a uint32: store it in a checkpoint
 * const a = rng.next();
 * rng.state = saved;
 * rng.next() === a;             // true
 * ```
 */
export class Rng {
  private s: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`Rng: seed must be an integer, got ${seed}`);
    this.s = seed >>> 0;
  }

  /** The whole generator state, a uint32. */
  get state(): number {
    return this.s;
  }

  set state(value: number) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new Error(`Rng: state must be a uint32, got ${value}`);
    }
    this.s = value;
  }

  /** A uniform uint32. */
  uint32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A standard normal sample (Box–Muller, two uniforms per sample). */
  normal(): number {
    const u1 = 1 - this.next();
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** An independent copy at the same state (drawing from it leaves this one untouched). */
  clone(): Rng {
    const r = new Rng(0);
    r.s = this.s;
    return r;
  }
}

/**
 * Inverted dropout with a mask drawn from `rng`: each element is zeroed with probability `rate`
 * and the survivors are scaled by 1/(1 − rate), so the expectation is unchanged. The mask comes
 * from `tf.randomUniform` seeded with one draw of `rng` (tfjs generates seeded uniforms on the
 * host, identically on every backend).
 *
 * @example
 * ```ts
 * const y = dropout(x, 0.2, rng); // training only; at evaluation use x itself
 * ```
 */
export function dropout<T extends tf.Tensor>(x: T, rate: number, rng: Rng): T {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  if (rate === 0) return x;
  const seed = rng.uint32();
  return tf.tidy(() => {
    const keep = tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', seed), rate);
    return tf.mul(x, tf.mul(tf.cast(keep, 'float32'), 1 / (1 - rate))) as T;
  });
}
