/**
 * The `tf.train` optimizers the trainer uses, built from a typed config with every default
 * resolved here — including epsilon, which tfjs otherwise takes from the backend
 * (`ENGINE.backend.epsilon()`: 1e-7 on cpu/wasm, 1e-4 on webgl without float32 textures), so the
 * same config would train differently on different backends.
 *
 * Also the three things `tf.train` does not do reliably, found by reading tfjs-core 4.22:
 * - Changing the learning rate per step. Adam, RMSprop (and Adagrad, Adadelta, Adamax) read
 *   `this.learningRate` on every `applyGradients`, so assigning the property works. SGD and
 *   momentum bake `−learningRate` into a scalar tensor `c` at construction, so assigning the
 *   property silently does nothing; they must go through `setLearningRate`, which
 *   {@link setLearningRate} calls. (Both verified in optimizers.test.ts against hand values.)
 * - Exact save/restore. `getWeights()`/`setWeights()` carry the moments and the iteration count,
 *   but Adam's `setWeights` recomputes β₁ᵗ and β₂ᵗ as `pow(β, t + 1)` while training accumulates
 *   them by repeated float32 multiplication; the two differ in the last bits, so a resumed run
 *   would drift from the uninterrupted one. {@link optimizerState} stores the accumulated values
 *   and {@link restoreOptimizerState} puts them back.
 * - Disposal: `MomentumOptimizer.dispose()` forgets the learning-rate scalar (one leaked tensor
 *   per optimizer); {@link disposeOptimizer} frees it.
 *
 * Moments are matched to variables by position in the gradient map, not by name, so the trainer
 * always applies gradients for the same variables in the same order.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Adam (Kingma & Ba 2015). */
export interface AdamConfig {
  kind: 'adam';
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Added to √v̂; default 1e-7 (Keras' default), whatever the backend. */
  epsilon?: number;
}

/** RMSprop (Hinton's lecture 6e; tfjs' form: the step is lr·g/√(ms + ε)). */
export interface RmspropConfig {
  kind: 'rmsprop';
  /** Decay of the mean square; default 0.9. */
  decay?: number;
  /** Default 0. */
  momentum?: number;
  /** Default 1e-7, whatever the backend. */
  epsilon?: number;
  /** Divide by the variance instead of the raw second moment; default false. */
  centered?: boolean;
}

/** SGD, with heavy-ball or Nesterov momentum when `momentum` > 0. */
export interface SgdConfig {
  kind: 'sgd';
  /** Default 0 (plain SGD). */
  momentum?: number;
  /** Default false. */
  nesterov?: boolean;
}

export type OptimizerConfig = AdamConfig | RmspropConfig | SgdConfig;

/** A config with every default filled in (what checkpoints record). */
export type ResolvedOptimizerConfig = Required<AdamConfig> | Required<RmspropConfig> | Required<SgdConfig>;

/** Fills in the defaults; the one place they live. */
export function resolveOptimizerConfig(config: OptimizerConfig): ResolvedOptimizerConfig {
  const check = (name: string, v: number, lo: number, hi: number, hiOpen = true) => {
    if (!(v >= lo && (hiOpen ? v < hi : v <= hi))) {
      throw new Error(`optimizer "${config.kind}": ${name} must be in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${v}`);
    }
  };
  switch (config.kind) {
    case 'adam': {
      const r = { kind: 'adam', beta1: config.beta1 ?? 0.9, beta2: config.beta2 ?? 0.999, epsilon: config.epsilon ?? 1e-7 } as const;
      check('beta1', r.beta1, 0, 1);
      check('beta2', r.beta2, 0, 1);
      check('epsilon', r.epsilon, Number.MIN_VALUE, 1, false);
      return r;
    }
    case 'rmsprop': {
      const r = { kind: 'rmsprop', decay: config.decay ?? 0.9, momentum: config.momentum ?? 0, epsilon: config.epsilon ?? 1e-7, centered: config.centered ?? false } as const;
      check('decay', r.decay, 0, 1);
      check('momentum', r.momentum, 0, 1);
      check('epsilon', r.epsilon, Number.MIN_VALUE, 1, false);
      return r;
    }
    case 'sgd': {
      const r = { kind: 'sgd', momentum: config.momentum ?? 0, nesterov: config.nesterov ?? false } as const;
      check('momentum', r.momentum, 0, 1);
      if (r.nesterov && r.momentum === 0) throw new Error('optimizer "sgd": nesterov needs momentum > 0, got momentum 0');
      return r;
    }
    default:
      config satisfies never;
      throw new Error(`optimizer: kind must be "adam", "rmsprop" or "sgd", got ${JSON.stringify((config as { kind: unknown }).kind)}`);
  }
}

/**
 * A `tf.train` optimizer from a config, with epsilon always passed explicitly.
 *
 * @example
 * ```ts
 * const opt = createOptimizer({ kind: 'adam', epsilon: 1e-8 }, 2e-3);
 * setLearningRate(opt, 1e-3); // takes effect at the next applyGradients
 * ```
 */
export function createOptimizer(config: OptimizerConfig, learningRate: number): tf.Optimizer {
  checkRate(learningRate);
  const c = resolveOptimizerConfig(config);
  switch (c.kind) {
    case 'adam':
      return tf.train.adam(learningRate, c.beta1, c.beta2, c.epsilon);
    case 'rmsprop':
      return tf.train.rmsprop(learningRate, c.decay, c.momentum, c.epsilon, c.centered);
    case 'sgd':
      return c.momentum > 0 ? tf.train.momentum(learningRate, c.momentum, c.nesterov) : tf.train.sgd(learningRate);
    default:
      c satisfies never;
      throw new Error('unreachable');
  }
}

function checkRate(lr: number): void {
  if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`learning rate must be a finite number ≥ 0, got ${lr}`);
}

/** The protected members of tfjs optimizers this module needs (tfjs-core 4.22). */
interface OptimizerInternals {
  learningRate?: number;
  setLearningRate?: (lr: number) => void;
  /** SGD / momentum: the −lr scalar. */
  c?: tf.Tensor;
  /** Adam: β₁ᵗ⁺¹ and β₂ᵗ⁺¹ as accumulated by training. */
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

const internals = (o: tf.Optimizer) => o as unknown as OptimizerInternals;

/** Sets the rate the next `applyGradients` uses, whichever way this optimizer reads it. */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  checkRate(learningRate);
  const o = internals(optimizer);
  if (typeof o.setLearningRate === 'function') o.setLearningRate.call(optimizer, learningRate);
  else if (typeof o.learningRate === 'number') o.learningRate = learningRate;
  else throw new Error(`setLearningRate: ${optimizer.getClassName()} has neither setLearningRate() nor a learningRate field`);
}

/** The rate the optimizer will use next. */
export function getLearningRate(optimizer: tf.Optimizer): number {
  const lr = internals(optimizer).learningRate;
  if (typeof lr !== 'number') throw new Error(`getLearningRate: ${optimizer.getClassName()} has no learningRate field`);
  return lr;
}

/** Disposes the optimizer and what its own `dispose()` forgets (momentum's rate scalar). */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  const o = internals(optimizer);
  const c = o.c;
  optimizer.dispose();
  if (c !== undefined && !c.isDisposed) c.dispose();
}

/** One saved array: what a checkpoint stores per tensor. */
export interface SavedArray {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

const ADAM_EXTRA = ['adam/accBeta1', 'adam/accBeta2'] as const;

/** Reads a tensor into a SavedArray (float32 or int32 only). */
export async function readArray(name: string, t: tf.Tensor): Promise<SavedArray> {
  if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`checkpoint: ${name} has dtype ${t.dtype}; only float32 and int32 are stored`);
  const data = (await t.data()) as Float32Array | Int32Array;
  return { name, dtype: t.dtype, shape: [...t.shape], data: data.slice() };
}

/**
 * Everything needed to continue exactly: `getWeights()` (iterations, moments) in its order, names
 * rewritten through `rename` (variable name → stable name), plus Adam's accumulated β powers.
 */
export async function optimizerState(optimizer: tf.Optimizer, rename: (name: string) => string): Promise<SavedArray[]> {
  const weights = await optimizer.getWeights();
  const out: SavedArray[] = [];
  for (const w of weights) {
    out.push(await readArray(w.name === 'iter' ? 'iter' : rename(w.name), w.tensor));
    if (w.name === 'iter') w.tensor.dispose(); // a fresh scalar made by saveIterations(); the rest are the optimizer's own
  }
  const o = internals(optimizer);
  if (o.accBeta1 !== undefined && o.accBeta2 !== undefined) {
    out.push(await readArray(ADAM_EXTRA[0], o.accBeta1), await readArray(ADAM_EXTRA[1], o.accBeta2));
  }
  return out;
}

/**
 * Restores what {@link optimizerState} saved into a fresh optimizer of the same kind (one that has
 * not applied any gradient yet: tfjs' `setWeights` replaces the moment lists without disposing).
 */
export async function restoreOptimizerState(optimizer: tf.Optimizer, saved: SavedArray[], rename: (name: string) => string): Promise<void> {
  const weights = saved.filter((s) => !(ADAM_EXTRA as readonly string[]).includes(s.name));
  if (weights[0]?.name !== 'iter') throw new Error(`restoreOptimizerState: expected the iteration count first, got ${weights[0]?.name ?? 'nothing'}`);
  const named = weights.map((s) => ({ name: s.name === 'iter' ? 'iter' : rename(s.name), tensor: tf.tensor(s.data, s.shape, s.dtype) }));
  try {
    await optimizer.setWeights(named);
  } finally {
    tf.dispose(named.map((n) => n.tensor)); // the optimizer's variables hold their own references
  }
  const o = internals(optimizer);
  const extra = saved.filter((s) => (ADAM_EXTRA as readonly string[]).includes(s.name));
  if (o.accBeta1 !== undefined && o.accBeta2 !== undefined && extra.length === 2) {
    for (const [v, s] of [[o.accBeta1, extra[0]!], [o.accBeta2, extra[1]!]] as const) {
      tf.tidy(() => v.assign(tf.tensor(s.data, s.shape, 'float32')));
    }
  }
}
