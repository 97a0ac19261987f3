/**
 * Test helpers: the webgpu programs a call launches ({@link webgpuShaders}); GPU programs launched per time step by a recurrent op, ours (the step kernels'
 * programs) and all others, from the difference between a 12-step and a 4-step run — fixed
 * per-call work cancels, per-step work remains. Every program goes through the backend's one
 * program runner, which this wraps for the duration of the count.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { MARK } from './webgl-program.js';

export interface LaunchCount {
  training: boolean;
  /** Our step kernels' programs per step. */
  ours: number;
  /** Every other program per step (a per-step pack, unpack or copy would show here as ≥ 1). */
  others: number;
}

type Case = (T: number, training: boolean) => Promise<{ run: () => tf.Tensor[]; dispose: () => void }>;

const isOurs = (p: { shaderKey?: string; userCode?: string }) => (p.shaderKey ?? '').startsWith('recurrent') || (p.userCode ?? '').startsWith(MARK);

export async function countLaunches(backend: string, make: Case): Promise<LaunchCount[]> {
  const gpu = tf.backend() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const method = backend === 'webgl' ? 'runWebGLProgram' : 'runWebGPUProgram';
  const original = gpu[method]!;
  let all = 0;
  let ours = 0;
  gpu[method] = function (this: unknown, ...args: unknown[]) {
    all++;
    if (isOurs(args[0] as { shaderKey?: string })) ours++;
    return original.apply(this, args);
  };
  const once = async (T: number, training: boolean) => {
    const c = await make(T, training);
    // A first run settles uploads and layouts; the second is counted.
    await Promise.all(c.run().map((t) => t.data().finally(() => t.dispose())));
    [all, ours] = [0, 0];
    const out = c.run();
    await Promise.all(out.map((t) => t.data()));
    const counted = { all, ours };
    tf.dispose(out);
    c.dispose();
    return counted;
  };
  try {
    const result: LaunchCount[] = [];
    for (const training of [false, true]) {
      const [a, b] = [await once(4, training), await once(12, training)];
      const perStepOurs = (b.ours - a.ours) / 8;
      result.push({ training, ours: perStepOurs, others: (b.all - a.all) / 8 - perStepOurs });
    }
    return result;
  } finally {
    gpu[method] = original;
  }
}

/**
 * Asserts `perStep` of our programs per step forward (as many again backward: 2·perStep in
 * training, or `{ forward, backward }` when they differ) and less than one other program per step:
 * the one gather of the records (and of the carries, gather-steps/kernel.ts) adds a fraction —
 * webgpu splits a concat into programs of at most 7 inputs — while a per-step pack, unpack or
 * slice would add at least 1.
 */
export async function expectLaunchesPerStep(backend: string, perStep: number | { forward: number; backward: number }, make: Case): Promise<void> {
  const { forward, backward } = typeof perStep === 'number' ? { forward: perStep, backward: perStep } : perStep;
  for (const { training, ours, others } of await countLaunches(backend, make)) {
    expect(ours, `our programs per step (training: ${training})`).toBe(training ? forward + backward : forward);
    expect(others, `other programs per step (training: ${training})`).toBeLessThan(1);
  }
}

/** The shader keys of the webgpu programs `run` launches, in order, and what it returned (awaited). */
export async function webgpuShaders<R extends tf.Tensor>(run: () => R): Promise<{ keys: string[]; out: R }> {
  const gpu = tf.backend() as unknown as { runWebGPUProgram: (...args: unknown[]) => unknown };
  const original = gpu.runWebGPUProgram;
  const keys: string[] = [];
  gpu.runWebGPUProgram = function (this: unknown, ...args: unknown[]) {
    keys.push((args[0] as { shaderKey: string }).shaderKey);
    return original.apply(this, args);
  };
  try {
    const out = run();
    await out.data();
    return { keys, out };
  } finally {
    gpu.runWebGPUProgram = original;
  }
}
