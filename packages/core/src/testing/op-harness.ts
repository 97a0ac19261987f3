/**
 * The shared harness of the recurrent-op suites (`ops/*.test.ts`): one seeded random case per
 * variant and configuration, available both as float64 Mats (for the reference and finite
 * differences) and as float32 tensors (for the op under test and the composite); a fixed random
 * weighting loss L = Σ sequence ⊙ Wseq + Σ h ⊙ Wh (+ Σ c ⊙ Wc) evaluated on either; the checks
 * the suites share. The oracle suites built on them are in `op-oracles.ts`; the per-step tfjs
 * composite (the autodiff oracle) is in `composite.ts`.
 *
 * Inputs are named by a flat key (`x`, `kernel`, `recurrentKernel`, `bias`, `h0`, `c0`,
 * `peephole.i`, `peephole.f`, `peephole.o`) so a gradient mismatch names the input it is about.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import '../tfjs-setup.js';
import { composite } from './composite.js';
import { finiteDiffAll } from './finite-diff.js';
import { expectNoLeaks } from './memory.js';
import { mulberry32, randomMat, type Rng } from './random.js';
import { dot, mat, referenceGru, referenceLstm, referenceSimpleRnn, type Mat } from './reference.js';

/** Which recurrence and which of its variants a case exercises. */
export type Variant =
  | { op: 'lstm'; peephole: boolean; coupled: boolean }
  | { op: 'gru'; resetAfter: boolean }
  | { op: 'simpleRnn'; activation: 'tanh' | 'relu' };

/** Sizes and options of one case. Keep them small: the suites run every case on every backend. */
export interface CaseConfig {
  batch: number;
  time: number;
  inputSize: number;
  units: number;
  /** Pass h0 (and c0 for LSTM); zeros when false. */
  initialState: boolean;
  /** Pass a bias; zeros when false. */
  bias: boolean;
  /** Pass {@link raggedMask}. */
  mask: boolean;
  reverse: boolean;
  /** Defaults to a hash of the variant and the configuration, so every case differs. */
  seed?: number;
}

export type InputName = 'x' | 'kernel' | 'recurrentKernel' | 'bias' | 'h0' | 'c0' | 'peephole.i' | 'peephole.f' | 'peephole.o';

/** Output of a recurrence, as Mats (reference) or tensors (op, composite). */
export type Outputs<T> = {
  sequence: T;
  h: T;
  c?: T;
};

/** One test case: differentiable inputs, the mask (not differentiated) and the loss weighting. */
export interface OpCase {
  variant: Variant;
  config: CaseConfig;
  /** A readable title, e.g. `lstm peephole coupled · mask · reverse · h0/c0 · bias`. */
  name: string;
  inputs: Partial<Record<InputName, Mat>>;
  mask: Mat | undefined;
  /** L = Σ sequence ⊙ weights.sequence + Σ h ⊙ weights.h (+ Σ c ⊙ weights.c). */
  weights: Outputs<Mat>;
}

/** The four masking/direction modes every variant is run in. */
export const MASK_MODES = [
  { mask: false, reverse: false },
  { mask: true, reverse: false },
  { mask: false, reverse: true },
  { mask: true, reverse: true },
] as const;

export function variantName(v: Variant): string {
  switch (v.op) {
    case 'lstm':
      return ['lstm', v.peephole ? 'peephole' : '', v.coupled ? 'coupled' : '', !v.peephole && !v.coupled ? 'plain' : ''].filter(Boolean).join(' ');
    case 'gru':
      return `gru ${v.resetAfter ? 'reset-after' : 'reset-before'}`;
    case 'simpleRnn':
      return `simpleRnn ${v.activation}`;
    default:
      return v satisfies never;
  }
}

/** Blocks per kernel: LSTM 4 (coupled 3), GRU 3, simple RNN 1. */
export function gateCount(v: Variant): number {
  return v.op === 'lstm' ? (v.coupled ? 3 : 4) : v.op === 'gru' ? 3 : 1;
}

/**
 * A [B, T] mask of 0/1 that exercises every masking path, by row (mod 3):
 * row 0 masks an interior step and the last step (the first one processed when reversed),
 * row 1 masks the first step (the first one processed forward) and an interior one,
 * row 2 masks every step (the state stays h0/c0 and every output equals h0).
 */
export function raggedMask(batch: number, time: number): Mat {
  const data = new Float64Array(batch * time);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < time; t++) {
      const row = b % 3;
      const kept = row === 0 ? t !== 1 && t !== time - 1 : row === 1 ? t !== 0 && t !== Math.min(3, time - 1) : false;
      data[b * time + t] = kept ? 1 : 0;
    }
  }
  return mat(data, [batch, time]);
}

function hashSeed(text: string): number {
  let h = 2166136261; // FNV-1a
  for (let k = 0; k < text.length; k++) h = Math.imul(h ^ text.charCodeAt(k), 16777619);
  return h >>> 0;
}

/** Builds a seeded random case: x ~ N(0, 1), weights ~ N(0, 0.25–0.5²), loss weights ~ N(0, 1). */
export function makeCase(variant: Variant, config: CaseConfig): OpCase {
  const { batch: B, time: T, inputSize: I, units: H } = config;
  const G = gateCount(variant);
  const modes = [config.mask ? 'mask' : '', config.reverse ? 'reverse' : '', config.initialState ? (variant.op === 'lstm' ? 'h0/c0' : 'h0') : '', config.bias ? 'bias' : ''];
  const name = [variantName(variant), ...modes.filter(Boolean)].join(' · ');
  const rng: Rng = mulberry32(config.seed ?? hashSeed(`${name} ${B}x${T}x${I}x${H}`));
  // Scale the recurrent weights so a ReLU RNN stays bounded over T ≤ 6 steps.
  const inputs: Partial<Record<InputName, Mat>> = {
    x: randomMat([B, T, I], rng),
    kernel: randomMat([I, G * H], rng, 0.5),
    recurrentKernel: randomMat([H, G * H], rng, 0.4),
  };
  if (config.bias) {
    const resetAfter = variant.op === 'gru' && variant.resetAfter;
    inputs.bias = randomMat(resetAfter ? [2, G * H] : [G * H], rng, 0.3);
  }
  if (config.initialState) {
    inputs.h0 = randomMat([B, H], rng, 0.5);
    if (variant.op === 'lstm') inputs.c0 = randomMat([B, H], rng, 0.5);
  }
  if (variant.op === 'lstm' && variant.peephole) {
    if (!variant.coupled) inputs['peephole.i'] = randomMat([H], rng, 0.4);
    inputs['peephole.f'] = randomMat([H], rng, 0.4);
    inputs['peephole.o'] = randomMat([H], rng, 0.4);
  }
  const weights: Outputs<Mat> = { sequence: randomMat([B, T, H], rng), h: randomMat([B, H], rng) };
  if (variant.op === 'lstm') weights.c = randomMat([B, H], rng);
  return { variant, config, name, inputs, mask: config.mask ? raggedMask(B, T) : undefined, weights };
}

/** The cases of one variant: the four mask modes with h0/c0 and bias, plus one bare case (neither). */
export function standardCases(variant: Variant, sizes = { batch: 3, time: 5, inputSize: 4, units: 5 }): OpCase[] {
  const full = MASK_MODES.map((m) => makeCase(variant, { ...sizes, ...m, initialState: true, bias: true }));
  const bare = MASK_MODES.map((m) => makeCase(variant, { ...sizes, ...m, initialState: false, bias: false }));
  return [...full, ...bare];
}

/**
 * The call of an op as (x, params, options), built from a case's inputs in either representation,
 * with only the keys the case uses (no `undefined` options, no flags set to their default).
 */
export interface Call<T> {
  x: T;
  params: { kernel: T; recurrentKernel: T; bias?: T; peephole?: { i?: T; f: T; o: T } };
  options: {
    h0?: T;
    c0?: T;
    mask?: T;
    reverse?: boolean;
    coupled?: boolean;
    resetAfter?: boolean;
    activation?: 'tanh' | 'relu';
  };
}

export function buildCall<T>(variant: Variant, inputs: Partial<Record<InputName, T>>, mask: T | undefined, reverse: boolean): Call<T> {
  const need = (name: InputName): T => {
    const v = inputs[name];
    if (v === undefined) throw new Error(`buildCall: input ${name} is missing`);
    return v;
  };
  const params: Call<T>['params'] = { kernel: need('kernel'), recurrentKernel: need('recurrentKernel') };
  if (inputs.bias !== undefined) params.bias = inputs.bias;
  if (inputs['peephole.f'] !== undefined) {
    params.peephole = { f: need('peephole.f'), o: need('peephole.o') };
    if (inputs['peephole.i'] !== undefined) params.peephole.i = inputs['peephole.i'];
  }
  const options: Call<T>['options'] = {};
  if (inputs.h0 !== undefined) options.h0 = inputs.h0;
  if (inputs.c0 !== undefined) options.c0 = inputs.c0;
  if (mask !== undefined) options.mask = mask;
  if (reverse) options.reverse = true;
  if (variant.op === 'lstm' && variant.coupled) options.coupled = true;
  if (variant.op === 'gru' && variant.resetAfter) options.resetAfter = true;
  if (variant.op === 'simpleRnn') options.activation = variant.activation;
  return { x: need('x'), params, options };
}

/** The float64 reference run of a case (optionally with replaced inputs, for finite differences). */
export function referenceRun(c: OpCase, inputs: Partial<Record<InputName, Mat>> = c.inputs): Outputs<Mat> {
  const { x, params, options } = buildCall(c.variant, inputs, c.mask, c.config.reverse);
  switch (c.variant.op) {
    case 'lstm':
      return referenceLstm(x, params, options);
    case 'gru':
      return referenceGru(x, params, options);
    case 'simpleRnn':
      return referenceSimpleRnn(x, params, options);
    default:
      return c.variant satisfies never;
  }
}

/** L = Σ sequence ⊙ Wseq + Σ h ⊙ Wh (+ Σ c ⊙ Wc) on float64 outputs. */
export function referenceLoss(c: OpCase, out: Outputs<Mat>): number {
  const lc = out.c !== undefined && c.weights.c !== undefined ? dot(out.c, c.weights.c) : 0;
  return dot(out.sequence, c.weights.sequence) + dot(out.h, c.weights.h) + lc;
}

/**
 * ∂L/∂input for every input of the case by float64 central differences of the reference. The step
 * is generous (1e-5: truncation error ~ε² ≈ 1e-10, far under the 1e-4 contract) and stays clear
 * of rounding noise; memoised per case, since every backend compares against the same numbers.
 */
export function referenceGradients(c: OpCase, eps = 1e-5): Partial<Record<InputName, Mat>> {
  const hit = fdCache.get(c);
  if (hit !== undefined) return hit;
  const inputs = c.inputs as Record<string, Mat>;
  const grads = finiteDiffAll(inputs, (m) => referenceLoss(c, referenceRun(c, m)), { eps }) as Partial<Record<InputName, Mat>>;
  fdCache.set(c, grads);
  return grads;
}
const fdCache = new WeakMap<OpCase, Partial<Record<InputName, Mat>>>();

/** A case's tensors (float32): inputs, mask and loss weights. The caller disposes them ({@link disposeTensors}). */
export interface CaseTensors {
  inputs: Partial<Record<InputName, tf.Tensor>>;
  mask: tf.Tensor | undefined;
  weights: Outputs<tf.Tensor>;
}

const toTensor = (m: Mat): tf.Tensor => tf.tensor(Float32Array.from(m.data), [...m.shape], 'float32');

export function caseTensors(c: OpCase): CaseTensors {
  const inputs: Partial<Record<InputName, tf.Tensor>> = {};
  for (const [name, m] of Object.entries(c.inputs) as [InputName, Mat][]) inputs[name] = toTensor(m);
  const weights: Outputs<tf.Tensor> = { sequence: toTensor(c.weights.sequence), h: toTensor(c.weights.h) };
  if (c.weights.c !== undefined) weights.c = toTensor(c.weights.c);
  return { inputs, mask: c.mask === undefined ? undefined : toTensor(c.mask), weights };
}

export function disposeTensors(t: CaseTensors): void {
  tf.dispose([...Object.values(t.inputs), t.mask ?? [], t.weights.sequence, t.weights.h, t.weights.c ?? []]);
}

/** Runs `body` with a case's tensors and disposes them afterwards, also when `body` throws. */
export async function withCaseTensors<R>(c: OpCase, body: (t: CaseTensors) => Promise<R>): Promise<R> {
  const t = caseTensors(c);
  try {
    return await body(t);
  } finally {
    disposeTensors(t);
  }
}

/** The same weighting loss on tensors. */
export function tensorLoss(out: Outputs<tf.Tensor>, w: Outputs<tf.Tensor>): tf.Scalar {
  return tf.tidy(() => {
    const terms = [tf.sum(tf.mul(out.sequence, w.sequence)), tf.sum(tf.mul(out.h, w.h))];
    if (out.c !== undefined && w.c !== undefined) terms.push(tf.sum(tf.mul(out.c, w.c)));
    return tf.addN(terms) as tf.Scalar;
  });
}

/** Something that runs a case's call on tensors: the op under test or {@link composite}. */
export type TensorRun = (call: Call<tf.Tensor>) => Outputs<tf.Tensor>;

/**
 * ∂L/∂input for every input of the case by `tf.grads` through `run`, read back as Float32Arrays.
 * Disposes everything it made; the case tensors stay the caller's.
 */
export async function tensorGradients(c: OpCase, t: CaseTensors, run: TensorRun): Promise<Partial<Record<InputName, Float32Array>>> {
  const names = Object.keys(t.inputs) as InputName[];
  const f = (...xs: tf.Tensor[]): tf.Scalar => {
    const inputs: Partial<Record<InputName, tf.Tensor>> = {};
    names.forEach((n, k) => (inputs[n] = xs[k]));
    return tensorLoss(run(buildCall(c.variant, inputs, t.mask, c.config.reverse)), t.weights);
  };
  const grads = tf.grads(f)(names.map((n) => t.inputs[n]!));
  const out: Partial<Record<InputName, Float32Array>> = {};
  for (let k = 0; k < names.length; k++) out[names[k]!] = (await grads[k]!.data()) as Float32Array;
  tf.dispose(grads);
  return out;
}

/** Reads every output of a run (GPU backends cannot read synchronously). */
export async function readOutputs(out: Outputs<tf.Tensor>): Promise<Outputs<Float32Array>> {
  const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;
  const got: Outputs<Float32Array> = { sequence: await read(out.sequence), h: await read(out.h) };
  if (out.c !== undefined) got.c = await read(out.c);
  return got;
}

/** Runs `call` through `run`, reads every output and disposes the output tensors. */
export async function runAndRead(run: TensorRun, call: Call<tf.Tensor>): Promise<Outputs<Float32Array>> {
  const out = run(call);
  try {
    return await readOutputs(out);
  } finally {
    tf.dispose([out.sequence, out.h, out.c ?? []]);
  }
}

type Values = Mat | ArrayLike<number>;
const valuesOf = (v: Values): ArrayLike<number> => ('data' in v && 'shape' in v ? v.data : v);

/** Every output present in `want` within relative error `max` of it, each failure naming its output. */
export function expectOutputsClose(got: Outputs<Float32Array>, want: Outputs<Values>, max: number): void {
  for (const key of ['sequence', 'h', 'c'] as const) {
    const w = want[key];
    if (w === undefined) continue;
    expect(got[key], `output ${key} is missing`).toBeDefined();
    expect(Array.from(got[key]!), `output ${key}`).toHaveRelativeError(valuesOf(w), max);
  }
}

/** ∂L/∂input for every input in `want`, each within relative error `max` of it (per input, not pooled). */
export function expectGradientsClose(got: Partial<Record<InputName, Float32Array>>, want: Partial<Record<InputName, Values>>, max: number): void {
  const names = Object.keys(want) as InputName[];
  expect(names.length, 'no gradients to compare').toBeGreaterThan(0);
  expect(Object.keys(got).sort(), 'the inputs that got a gradient').toEqual([...names].sort());
  for (const name of names) expect(got[name]!, `∂L/∂${name}`).toHaveRelativeError(valuesOf(want[name]!), max);
}

/**
 * `call` throws the op's input error (`RecurrentInputError`) with exactly `message`, and leaves no
 * tensor behind (validation runs before any kernel).
 */
export async function expectInputError(call: () => unknown, message: string): Promise<void> {
  await expectNoLeaks(() => {
    let error: unknown;
    try {
      call();
    } catch (e) {
      error = e;
    }
    expect(error, 'the call did not throw').toBeInstanceOf(Error);
    expect((error as Error).name).toBe('RecurrentInputError');
    expect((error as Error).message).toBe(message);
  });
}

/**
 * Trains the case's kernel, recurrentKernel and bias as `tf.Variable`s through `run`:
 * `tf.variableGrads` must give the loss and the float64 finite-difference gradients, Adam's first
 * step must land on the float64 loss at the weights it predicts, θ − lr·g/(|g| + ε) (its bias-
 * corrected moments are m̂ = g, v̂ = g² on step 1), and four steps must each lower the loss.
 */
export async function expectAdamTrainsThrough(c: OpCase, run: TensorRun, tol: { forward: number; gradient: number }): Promise<void> {
  const names = ['kernel', 'recurrentKernel', 'bias'] as const;
  const t = caseTensors(c);
  const vars = names.map((n) => tf.variable(t.inputs[n]!, true));
  const loss = () => {
    const inputs = { ...t.inputs, kernel: vars[0]!, recurrentKernel: vars[1]!, bias: vars[2]! };
    return tensorLoss(run(buildCall(c.variant, inputs, t.mask, c.config.reverse)), t.weights);
  };
  const lossAt = (params: Partial<Record<InputName, Mat>>) => referenceLoss(c, referenceRun(c, { ...c.inputs, ...params }));
  const fd = referenceGradients(c);
  const optimizer = tf.train.adam(1e-3);
  try {
    const { value, grads } = tf.variableGrads(loss);
    const loss0 = (await value.data())[0]!;
    const gradOf = async (k: number) => Array.from(await grads[vars[k]!.name]!.data());
    // The loss vs the float64 reference loss; each variable's gradient vs central differences.
    expect([loss0], 'loss').toHaveRelativeError([lossAt({})], tol.forward);
    expect(Object.keys(grads).sort()).toEqual(vars.map((v) => v.name).sort());
    for (const [k, n] of names.entries()) expect(await gradOf(k), `∂L/∂${n}`).toHaveRelativeError(fd[n]!.data, tol.gradient);
    tf.dispose([value, ...Object.values(grads)]);

    const lr = 1e-3;
    const eps = tf.backend().epsilon(); // Adam's default ε
    const stepped: Partial<Record<InputName, Mat>> = {};
    for (const n of names) {
      const g = fd[n]!.data;
      stepped[n] = { shape: fd[n]!.shape, data: c.inputs[n]!.data.map((v, k) => v - (lr * g[k]!) / (Math.abs(g[k]!) + eps)) };
    }
    const losses: number[] = [];
    for (let step = 0; step < 4; step++) {
      const cost = optimizer.minimize(loss, true, vars)!;
      losses.push((await cost.data())[0]!);
      cost.dispose();
    }
    const last = loss();
    losses.push((await last.data())[0]!);
    last.dispose();
    // The loss after Adam's first step vs the float64 loss at the predicted weights (within 2% of the decrease).
    const predicted = lossAt(stepped);
    expect(predicted, 'the predicted first step lowers the loss').toBeLessThan(loss0);
    expect(Math.abs(losses[1]! - predicted)).toBeLessThan(0.02 * (loss0 - predicted));
    // Every step lowers the loss (minimize's cost before each step, then the final loss).
    for (let k = 1; k < losses.length; k++) expect(losses[k]!, `loss after step ${k}`).toBeLessThan(losses[k - 1]!);
  } finally {
    optimizer.dispose();
    tf.dispose(vars);
    disposeTensors(t);
  }
}
