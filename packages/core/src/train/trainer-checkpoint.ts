/**
 * What a trainer checkpoint holds and how it is put back: the weights, the optimizer's state
 * (moments, iteration count, Adam's accumulated β powers), the step and data position, the
 * generator state, the recurrent state carried into the next batch, and the bookkeeping
 * (best validation loss, clip and skip counts, early-stopping and NaN-guard counters). With all
 * of it restored, the next step computes exactly what it would have computed had the run never
 * stopped.
 *
 * Arrays are named `param/<name>`, `optimizer/<name>/<slot>` (the tfjs slot names with the
 * process-local variable name replaced by the stable parameter name) and `state/<i>`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CheckpointData, Json } from './checkpoint.js';
import { optimizerState, readArray, restoreOptimizerState, type ResolvedOptimizerConfig, type SavedArray } from './optimizers.js';
import { flattenState, unflattenState, type StateSpec, type StateTree } from './task.js';

export const FORMAT = 'recurrent-trainer';
export const VERSION = 1;

/** The trainer's counters: everything but tensors and the generator. */
export interface TrainerCounters {
  /** Steps done = the data position of the next batch. */
  step: number;
  updates: number;
  skipped: number;
  clipCount: number;
  /** Consecutive non-finite steps (the NaN guard). */
  consecutiveNonFinite: number;
  bestValidationLoss: number;
  bestStep: number | undefined;
  /** Evaluations in a row without improvement (early stopping). */
  sinceImprovement: number;
}

export function freshCounters(): TrainerCounters {
  return { step: 0, updates: 0, skipped: 0, clipCount: 0, consecutiveNonFinite: 0, bestValidationLoss: Infinity, bestStep: undefined, sinceImprovement: 0 };
}

export interface TrainerParts {
  params: [string, tf.Variable][];
  optimizer: tf.Optimizer;
  optimizerConfig: ResolvedOptimizerConfig;
  rngState: number;
  counters: TrainerCounters;
  carried: StateTree | undefined;
}

/** Maps tfjs slot names (`<variable name>/m`) to stable ones (`<param name>/m`) and back. */
export function slotRenamer(params: [string, tf.Variable][], direction: 'toStable' | 'toVariable'): (name: string) => string {
  const pairs = params.map(([stable, v]): [string, string] => (direction === 'toStable' ? [v.name, stable] : [stable, v.name]));
  return (name) => {
    let best: [string, string] | undefined;
    for (const p of pairs) if (name.startsWith(`${p[0]}/`) && (best === undefined || p[0].length > best[0].length)) best = p;
    if (best === undefined) throw new Error(`checkpoint: optimizer slot "${name}" belongs to no parameter of this model`);
    return best[1] + name.slice(best[0].length);
  };
}

/** Reads everything into a checkpoint (awaits the device). */
export async function snapshot(p: TrainerParts): Promise<CheckpointData> {
  const arrays: SavedArray[] = [];
  for (const [name, v] of p.params) arrays.push(await readArray(`param/${name}`, v));
  for (const s of await optimizerState(p.optimizer, slotRenamer(p.params, 'toStable'))) arrays.push({ ...s, name: `optimizer/${s.name}` });
  let stateSpec: StateSpec | null = null;
  if (p.carried !== undefined) {
    const flat = flattenState(p.carried);
    stateSpec = flat.spec;
    for (const [i, t] of flat.tensors.entries()) arrays.push(await readArray(`state/${i}`, t));
  }
  const c = p.counters;
  const meta: { [key: string]: Json } = {
    format: FORMAT,
    version: VERSION,
    step: c.step,
    dataPosition: c.step,
    rng: p.rngState,
    updates: c.updates,
    skipped: c.skipped,
    clipCount: c.clipCount,
    consecutiveNonFinite: c.consecutiveNonFinite,
    bestValidationLoss: Number.isFinite(c.bestValidationLoss) ? c.bestValidationLoss : null,
    bestStep: c.bestStep ?? null,
    sinceImprovement: c.sinceImprovement,
    optimizer: { ...p.optimizerConfig },
    params: p.params.map(([name, v]) => ({ name, shape: [...v.shape] })),
    stateSpec,
  };
  return { meta, arrays };
}

/**
 * Puts a checkpoint back: assigns the weights, restores the optimizer (which must be fresh) and
 * returns the counters, generator state and carried state for the trainer to adopt.
 */
export async function restore(
  data: CheckpointData, p: Omit<TrainerParts, 'rngState' | 'counters' | 'carried'>, what: string,
): Promise<{ counters: TrainerCounters; rngState: number; carried: StateTree | undefined }> {
  const m = data.meta;
  const fail = (why: string): never => {
    throw new Error(`Trainer.restore: ${what} ${why}`);
  };
  if (m.format !== FORMAT || m.version !== VERSION) fail(`is not a ${FORMAT} v${VERSION} checkpoint (format ${JSON.stringify(m.format)}, version ${JSON.stringify(m.version)})`);
  const saved = new Map(data.arrays.map((a) => [a.name, a]));
  const savedParams = m.params as { name: string; shape: number[] }[];
  const want = p.params.map(([name, v]) => `${name} [${v.shape.join(', ')}]`).join(', ');
  const got = savedParams.map((s) => `${s.name} [${s.shape.join(', ')}]`).join(', ');
  if (want !== got) fail(`holds parameters ${got}, but this model has ${want}`);
  const optimizer = m.optimizer as { [key: string]: Json };
  if (JSON.stringify(optimizer) !== JSON.stringify(p.optimizerConfig)) {
    fail(`was written with optimizer ${JSON.stringify(optimizer)}, but this trainer uses ${JSON.stringify(p.optimizerConfig)}`);
  }
  // Check every array before assigning any, so a refused checkpoint leaves the model untouched.
  const arrays = p.params.map(([name, v]) => {
    const a = saved.get(`param/${name}`) ?? fail(`has no array param/${name}`);
    if (a.shape.join() !== v.shape.join()) fail(`holds param/${name} of shape [${a.shape.join(', ')}], but this model's is [${v.shape.join(', ')}]`);
    const bad = a.data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) fail(`holds ${a.data[bad]} in param/${name} at flat index ${bad}: it was saved from a run that diverged; resume from an earlier checkpoint or start afresh`);
    return a;
  });
  p.params.forEach(([, v], i) => tf.tidy(() => v.assign(tf.tensor(arrays[i]!.data, arrays[i]!.shape, 'float32'))));
  const opt = data.arrays.filter((a) => a.name.startsWith('optimizer/')).map((a) => ({ ...a, name: a.name.slice('optimizer/'.length) }));
  await restoreOptimizerState(p.optimizer, opt, slotRenamer(p.params, 'toVariable'));
  let carried: StateTree | undefined;
  if (m.stateSpec !== null && m.stateSpec !== undefined) {
    const tensors: tf.Tensor[] = [];
    for (let i = 0; saved.has(`state/${i}`); i++) {
      const a = saved.get(`state/${i}`)!;
      tensors.push(tf.tensor(a.data, a.shape, a.dtype));
    }
    carried = unflattenState(m.stateSpec as StateSpec, tensors);
  }
  const num = (k: string) => (typeof m[k] === 'number' ? (m[k] as number) : fail(`has no number "${k}"`));
  const counters: TrainerCounters = {
    step: num('step'),
    updates: num('updates'),
    skipped: num('skipped'),
    clipCount: num('clipCount'),
    consecutiveNonFinite: num('consecutiveNonFinite'),
    bestValidationLoss: typeof m.bestValidationLoss === 'number' ? m.bestValidationLoss : Infinity,
    bestStep: typeof m.bestStep === 'number' ? m.bestStep : undefined,
    sinceImprovement: num('sinceImprovement'),
  };
  if (num('dataPosition') !== counters.step) fail(`has data position ${String(m.dataPosition)} ≠ step ${counters.step}`);
  return { counters, rngState: num('rng'), carried };
}
