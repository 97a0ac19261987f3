/**
 * How the bench measures, on whatever backend is active: warm-up, then timed repetitions of
 * several models alternated (ABBA order, so drift in the machine's load falls on both alike), each
 * timed region ending with the result read back (`await t.data()`); kernels and working memory
 * from one profiled unit; the backend's own matMul rate on a given shape.
 */
import * as tf from '@tensorflow/tfjs';
import type { BenchModel } from './models.js';
import type { Effort } from './types.js';

export type Log = (line: string) => void;

/** Median, min and max of a non-empty sample. */
export function summarize(samples: readonly number[]): { median: number; min: number; max: number } {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

async function timeOnce(model: BenchModel, units: number): Promise<number> {
  const t0 = performance.now();
  for (let u = 0; u < units; u++) await model.unit();
  return (performance.now() - t0) / units;
}

/**
 * Times every model `effort.reps` times, alternated, after `effort.warmup` untimed repetitions
 * each. A repetition runs `unitsPerRep` units; its sample is the time per unit.
 * @returns per model, its samples in ms per unit.
 */
export async function timeModels(models: BenchModel[], unitsPerRep: number, effort: Pick<Effort, 'reps' | 'warmup'>, log: Log): Promise<number[][]> {
  for (const m of models) {
    for (let w = 0; w < effort.warmup; w++) {
      const ms = await timeOnce(m, unitsPerRep);
      log(`    warm-up ${w + 1}/${effort.warmup} ${m.name}: ${ms.toFixed(1)} ms`);
    }
  }
  const samples = models.map(() => [] as number[]);
  for (let r = 0; r < effort.reps; r++) {
    const order = models.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      const ms = await timeOnce(models[i]!, unitsPerRep);
      samples[i]!.push(ms);
      log(`    rep ${r + 1}/${effort.reps} ${models[i]!.name}: ${ms.toFixed(1)} ms`);
    }
  }
  return samples;
}

/** What one profiled unit of a model dispatched and allocated. */
export interface UnitProfile {
  /** Registered kernels run by the unit (nested ones included). */
  kernels: number;
  /** tf.profile's peakBytes minus the bytes held before the unit. */
  peakBytes: number;
}

/** Profiles one unit of `model`. */
export async function profileUnit(model: BenchModel): Promise<UnitProfile> {
  const before = tf.memory().numBytes;
  const info = await tf.profile(() => model.unit());
  const backend = tf.getBackend();
  // tf.profile also lists scopes (customGrad nodes, fused-op wrappers); count registered kernels only.
  const kernels = info.kernels.filter((k) => tf.getKernel(k.name, backend) !== undefined).length;
  return { kernels, peakBytes: Math.max(0, info.peakBytes - before) };
}

/**
 * The active backend's matMul rate in GFLOP/s on [m, k] × [k, n]. A batch is `count` back-to-back
 * matMuls ending with a read of the last result. The rate comes from the difference between the
 * median time of batches of 2·count and of count, so the fixed cost of the read (large on a GPU)
 * cancels out; `count` doubles until that difference lasts `effort.matMulBatchMs`, then
 * `effort.matMulReps` pairs are timed, alternated.
 */
export async function matMulRate([m, k, n]: readonly [number, number, number], effort: Pick<Effort, 'matMulBatchMs' | 'matMulReps'>): Promise<number> {
  const a = tf.randomNormal([m, k], 0, 1, 'float32', 7);
  const b = tf.randomNormal([k, n], 0, 1, 'float32', 8);
  const batch = async (count: number): Promise<number> => {
    const t0 = performance.now();
    let last: tf.Tensor | undefined;
    for (let i = 0; i < count; i++) {
      last?.dispose();
      last = tf.matMul(a, b);
    }
    const corner = tf.slice(last!, [0, 0], [1, 1]);
    await corner.data();
    tf.dispose([corner, last!]);
    return performance.now() - t0;
  };
  try {
    await batch(2); // warm-up: shader compilation, buffer pools
    let count = 1;
    while (count < MAX_MATMULS && (await batch(2 * count)) - (await batch(count)) < effort.matMulBatchMs) count *= 2;
    const single: number[] = [];
    const double: number[] = [];
    for (let r = 0; r < Math.max(1, effort.matMulReps); r++) {
      single.push(await batch(count));
      double.push(await batch(2 * count));
    }
    const extra = summarize(double).median - summarize(single).median;
    // A difference lost in noise: fall back to whole batches, read included (a lower bound).
    const ms = extra > 0 ? extra : summarize(single).median;
    return (2 * m * k * n * count) / (ms * 1e6);
  } finally {
    tf.dispose([a, b]);
  }
}

const MAX_MATMULS = 4096;
