/**
 * Typed options of the recurrent layers, their defaults (modern Keras, resolved here and nowhere
 * else), and the checks that reject bad or unsupported options before anything is built.
 */
import type * as tf from '@tensorflow/tfjs';
import { RecurrentInputError } from '../ops/index.js';
import type { InitializerIdentifier, RegularizerIdentifier } from './initializers.js';

/** tfjs-layers' base layer options (name, inputShape, batchInputShape, batchSize, dtype, trainable, weights). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Options shared by `layers.lstm`, `layers.gru` and `layers.simpleRnn` (Keras names and meanings). */
export interface RecurrentLayerArgs extends LayerArgs {
  /** H, the size of the hidden state. */
  units: number;
  /** Output the whole sequence [B, T, H] instead of the last output [B, H] (default false). */
  returnSequences?: boolean;
  /** Also output the final states: [output, h] (GRU, simple RNN) or [output, h, c] (LSTM). */
  returnState?: boolean;
  /**
   * Process the sequence from the last step to the first. As in Keras, the output sequence is in
   * processing order: output[t] is the state after consuming x[T − 1 − t].
   */
  goBackwards?: boolean;
  /**
   * Carry the final states of a batch over as the initial states of the next call (sample i of a
   * batch continues sample i of the previous one). Needs a fixed batch size (`batchInputShape` or
   * `batchSize`); `resetStates()` zeroes them.
   */
  stateful?: boolean;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: InitializerIdentifier;
  /** Default 'orthogonal' (our fast one). */
  recurrentInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier | null;
  recurrentRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  /** Fraction of input features dropped during training; one mask per sequence (default 0). */
  dropout?: number;
  /**
   * Fraction of h_{t−1} dropped in the recurrent products during training; one mask per sequence
   * (default 0). Training then runs a per-step composite (see `cell.ts`); inference is unaffected.
   */
  recurrentDropout?: number;
  /** Seed of the dropout masks (successive calls still draw different masks). Random when absent. */
  seed?: number | null;
}

export type RecurrentKind = 'lstm' | 'gru' | 'simpleRnn';

/** The option keys every recurrent layer accepts; `customObjects` is added by tfjs' deserialiser. */
export const BASE_KEYS = [
  'units', 'returnSequences', 'returnState', 'goBackwards', 'stateful', 'useBias',
  'kernelInitializer', 'recurrentInitializer', 'biasInitializer',
  'kernelRegularizer', 'recurrentRegularizer', 'biasRegularizer', 'dropout', 'recurrentDropout', 'seed',
  'name', 'inputShape', 'batchInputShape', 'batchSize', 'dtype', 'trainable', 'weights', 'inputDType', 'customObjects',
] as const;

/** Throws a {@link RecurrentInputError} prefixed with the layer (`lstm 'encoder': …`). */
export function layerError(who: string, message: string): never {
  throw new RecurrentInputError(`${who}: ${message}`);
}

/** Rejects unknown option keys: no option is accepted and then ignored. */
export function checkKnownKeys(who: string, args: object, allowed: readonly string[]): void {
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined || allowed.includes(key)) continue;
    const hint = KERAS_HINTS[key];
    layerError(who, `unknown option "${key}"${hint ? ` (${hint})` : ''}; expected one of ${allowed.filter((k) => k !== 'customObjects').join(', ')}`);
  }
}

const KERAS_HINTS: Record<string, string> = {
  unroll: 'the ops always run the whole sequence as one fused op; unrolling has no meaning here',
  implementation: 'the ops have one implementation; drop this option',
  kernelConstraint: 'weight constraints are not supported',
  recurrentConstraint: 'weight constraints are not supported',
  biasConstraint: 'weight constraints are not supported',
  activityRegularizer: 'activity regularisers are not supported (tfjs-layers does not support them on layers either)',
  cell: 'these layers are not generic RNN wrappers; use layers.lstm / layers.gru / layers.simpleRnn',
};

export function checkBool(who: string, name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') layerError(who, `${name} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

export function checkRate(who: string, name: string, v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) layerError(who, `${name} must be a number in [0, 1), got ${JSON.stringify(v)}`);
  return v;
}

export function checkUnits(who: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) layerError(who, `units must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

export function checkSeed(who: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) layerError(who, `seed must be an integer, got ${JSON.stringify(v)}`);
  return v;
}

/** An option with exactly one supported value (e.g. LSTM's `recurrentActivation: 'sigmoid'`). */
export function checkFixed<T extends string>(who: string, name: string, v: unknown, allowed: readonly T[], why: string): T {
  if (v === undefined || v === null) return allowed[0]!;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    layerError(who, `${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${JSON.stringify(v)} (${why})`);
  }
  return v as T;
}
