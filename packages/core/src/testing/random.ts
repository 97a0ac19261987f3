/**
 * Seeded pseudo-random numbers for tests, so every random weight, input and loss weighting is the
 * same on every run and every machine (Math.random is neither seedable nor reproducible).
 */
import { sizeOf, type Mat } from './reference/mat.js';

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): tiny, fast, passes the usual statistical
 * batteries well enough for test data, and fully determined by its 32-bit seed.
 *
 * @example
 *   const rng = mulberry32(42);
 *   rng(); // same number on every run
 */
export function mulberry32(seed: number): Rng {
  if (!Number.isInteger(seed)) {
    throw new Error(`mulberry32: seed must be an integer, got ${seed}`);
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` independent uniform samples in [−scale, scale), as float32 (tensor data). */
export function uniformValues(length: number, seed: number, scale = 1): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length }, () => scale * (rng() * 2 - 1));
}

/**
 * One standard normal sample by Box–Muller: z = √(−2 ln u₁) · cos(2π u₂), u₁ ∈ (0, 1].
 * The sine partner is discarded, which keeps the sampler stateless (two uniforms per sample).
 */
export function randomNormal(rng: Rng): number {
  const u1 = 1 - rng(); // (0, 1], so the log is finite
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** A uniform sample in [low, high). */
export function randomUniform(rng: Rng, low: number, high: number): number {
  return low + (high - low) * rng();
}

/**
 * A Mat of the given shape filled with independent N(0, scale²) samples, in row-major order.
 *
 * @example
 *   const rng = mulberry32(1);
 *   const kernel = randomMat([3, 4 * 5], rng, 0.3); // [I, 4H] LSTM kernel
 */
export function randomMat(shape: readonly number[], rng: Rng, scale = 1): Mat {
  const data = new Float64Array(sizeOf(shape));
  for (let k = 0; k < data.length; k++) data[k] = scale * randomNormal(rng);
  return { shape: [...shape], data };
}

/**
 * A [batch, time] mask of 0/1 where each entry is 1 with probability `keep`, for masking tests.
 */
export function randomMask(batch: number, time: number, rng: Rng, keep = 0.7): Mat {
  const data = new Float64Array(batch * time);
  for (let k = 0; k < data.length; k++) data[k] = rng() < keep ? 1 : 0;
  return { shape: [batch, time], data };
}
