/**
 * `layers.stack` / `layers.stacked`: several recurrent layers as one layer, with dropout between
 * them during training — what PyTorch's `nn.LSTM(num_layers, bidirectional, dropout)` gives.
 *
 *     y⁰ = x,   yˡ = layerₗ(dropout(yˡ⁻¹))   (dropout only between layers, only in training)
 *
 * Each layer sees the whole output sequence of the one below (so all but the last return
 * sequences) and the same mask. Weights are named `<stack>/<layer>/kernel` …; the Keras export
 * (`keras.ts`) expands a stack into its layers with `Dropout` layers between them.
 */
import * as tf from '@tensorflow/tfjs';
import { type Kwargs, RecurrentLayer } from './base.js';
import { Bidirectional, type MergeMode } from './bidirectional.js';
import type { SerializedObject } from './initializers.js';
import { Gru, type GruLayerArgs } from './gru.js';
import { Lstm, type LstmLayerArgs } from './lstm.js';
import { type LayerArgs, checkKnownKeys, checkRate, checkSeed, layerError } from './options.js';
import { SimpleRnn, type SimpleRnnLayerArgs } from './simple-rnn.js';

type Member = RecurrentLayer | Bidirectional;

export interface StackArgs extends LayerArgs {
  /** Bottom to top: our recurrent layers or bidirectional wrappers (templates: they are cloned). */
  layers: (Member | SerializedObject)[];
  /** Dropout rate on the outputs of every layer but the last, in training (default 0). */
  dropout?: number;
  /** Seed of the between-layer dropout masks. */
  seed?: number | null;
}

const KEYS = ['layers', 'dropout', 'seed', 'name', 'inputShape', 'batchInputShape', 'batchSize', 'dtype', 'trainable', 'weights', 'inputDType', 'customObjects'];

function toMember(who: string, item: Member | SerializedObject, index: number): Member {
  const s: SerializedObject = item instanceof tf.layers.Layer ? { className: item.getClassName(), config: item.getConfig() } : item;
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[s?.className];
  if (entry === undefined) layerError(who, `layers[${index}]: unknown layer class ${JSON.stringify(s?.className)}`);
  const { customObjects: _ignored, ...config } = s.config;
  const layer = entry[1](entry[0], config) as unknown;
  if (!(layer instanceof RecurrentLayer || layer instanceof Bidirectional)) layerError(who, `layers[${index}] must be layers.lstm / gru / simpleRnn or layers.bidirectional, got ${s.className}`);
  return layer;
}

/**
 * A stack of recurrent layers with dropout between them.
 *
 * @example
 * ```ts
 * const encoder = layers.stack({ layers: [layers.lstm({ units: 64, returnSequences: true }), layers.lstm({ units: 64 })], dropout: 0.2 });
 * ```
 */
export class Stack extends tf.layers.Layer {
  static className = 'RecurrentStack';
  readonly members: Member[];
  readonly dropout: number;
  readonly seed: number | undefined;
  private draws = 0;

  constructor(args: StackArgs) {
    super(args);
    const who = `stack '${this.name}'`;
    checkKnownKeys(who, args, KEYS);
    if (!Array.isArray(args.layers) || args.layers.length === 0) layerError(who, 'layers must be a non-empty array');
    this.dropout = checkRate(who, 'dropout', args.dropout);
    this.seed = checkSeed(who, args.seed);
    const members = args.layers.map((l, k) => toMember(who, l, k));
    const names = new Set<string>();
    members.forEach((m, k) => {
      if (names.has(m.name)) layerError(who, `layers[${k}]: the name '${m.name}' is used twice; give each layer its own name`);
      names.add(m.name);
      if (m.returnState) layerError(who, `layers[${k}] ('${m.name}'): returnState is not supported inside a stack`);
      if (k < members.length - 1 && !m.returnSequences) layerError(who, `layers[${k}] ('${m.name}') must have returnSequences: true (the next layer reads its whole sequence)`);
      if (m instanceof RecurrentLayer && m.goBackwards) layerError(who, `layers[${k}] ('${m.name}'): goBackwards would hand the next layer a time-reversed sequence; use layers.bidirectional`);
    });
    if (members.length === 1 && this.dropout > 0) layerError(who, 'dropout acts between layers: it needs at least two layers');
    this.members = members;
    this._stateful = members.some((m) => m.stateful);
    this.supportsMasking = true;
    this.inputSpec = [new tf.InputSpec({ ndim: 3 })];
  }

  get returnSequences(): boolean {
    return this.members[this.members.length - 1]!.returnSequences;
  }

  private first(): RecurrentLayer {
    const m = this.members[0]!;
    return m instanceof Bidirectional ? m.forwardLayer : m;
  }

  override apply(inputs: tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[], kwargs?: Kwargs): tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length !== 1 || (kwargs?.initialState ?? null) !== null) layerError(`stack '${this.name}'`, 'takes one input and no initial states');
    this.first().checkInputShape(list[0]!.shape);
    return super.apply(inputs, kwargs);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    let shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    this.first().checkInputShape(shape);
    for (const m of this.members) {
      m.buildNested(shape, m.name);
      shape = m.computeOutputShape(shape) as tf.Shape; // one shape: no member returns states
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      let y = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
      const mask = (Array.isArray(kwargs.mask) ? kwargs.mask[0] : kwargs.mask) ?? undefined;
      const training = kwargs.training === true;
      this.members.forEach((m, k) => {
        if (k > 0 && training && this.dropout > 0) {
          const seed = this.seed === undefined ? undefined : this.seed + 7919 * this.draws++;
          y = tf.dropout(y, this.dropout, undefined, seed);
        }
        y = m.call(y, { mask, training }) as tf.Tensor;
      });
      return y;
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    let shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    for (const m of this.members) shape = m.computeOutputShape(shape) as tf.Shape;
    return shape;
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const m = (Array.isArray(mask) ? mask[0] : mask) ?? null;
    return (this.returnSequences ? m : null) as tf.Tensor;
  }

  override get trainableWeights(): tf.LayerVariable[] {
    if (this.members === undefined || !this.trainable) return [];
    return this.members.flatMap((m) => m.trainableWeights);
  }
  override get nonTrainableWeights(): tf.LayerVariable[] {
    if (this.members === undefined) return [];
    return this.trainable ? this.members.flatMap((m) => m.nonTrainableWeights) : this.members.flatMap((m) => m.weights);
  }

  override calculateLosses(): tf.Scalar[] {
    return this.members.flatMap((m) => m.calculateLosses());
  }

  override resetStates(): void {
    for (const m of this.members) if (m.stateful) m.resetStates();
  }

  override setFastWeightInitDuringBuild(value: boolean): void {
    super.setFastWeightInitDuringBuild(value);
    this.members?.forEach((m) => m.setFastWeightInitDuringBuild(value));
  }

  override getConfig(): tf.serialization.ConfigDict {
    const layers = this.members.map((m) => ({ className: m.getClassName(), config: m.getConfig() }));
    return { ...super.getConfig(), layers, dropout: this.dropout, seed: this.seed ?? null };
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0) {
      for (const m of this.members) {
        if (m instanceof Bidirectional) {
          m.forwardLayer.releaseStates();
          m.backwardLayer.releaseStates();
        } else m.releaseStates();
      }
    }
    return result;
  }
}
tf.serialization.registerClass(Stack);

/** Options of {@link stacked}: the PyTorch-style description of a stack. */
export type StackedArgs<K extends 'lstm' | 'gru' | 'simpleRnn'> = (K extends 'lstm' ? LstmLayerArgs : K extends 'gru' ? GruLayerArgs : SimpleRnnLayerArgs) & {
  /** Number of layers (PyTorch's num_layers). */
  numLayers: number;
  /** Run each layer in both directions, merged this way (PyTorch concatenates: 'concat'). */
  bidirectional?: MergeMode;
  /** Dropout between layers, in training (PyTorch's dropout; each layer's own input dropout is `dropout` of a single layer, not offered here). */
  dropout?: number;
  /** Whether the top layer returns the whole sequence (default false: the last output). */
  returnSequences?: boolean;
};

/**
 * `numLayers` identical recurrent layers (optionally bidirectional) with dropout between them.
 *
 * @example
 * ```ts
 * // nn.LSTM(input_size=16, hidden_size=64, num_layers=2, bidirectional=True, dropout=0.3, batch_first=True)
 * const lstm = layers.stacked('lstm', { units: 64, numLayers: 2, bidirectional: 'concat', dropout: 0.3, returnSequences: true });
 * ```
 */
export function stacked<K extends 'lstm' | 'gru' | 'simpleRnn'>(kind: K, args: StackedArgs<K>): Stack {
  // name, input shape and dropout belong to the stack; seed to both; the rest to every layer.
  const { numLayers, bidirectional, returnSequences, dropout, name, inputShape, batchInputShape, batchSize, ...cell } = args as StackedArgs<'lstm'>;
  if (!Number.isInteger(numLayers) || numLayers < 1) layerError(`stacked ${kind}`, `numLayers must be a positive integer, got ${JSON.stringify(numLayers)}`);
  const make = (k: number): Member => {
    const o = { ...cell, name: `${kind}_${k}`, returnSequences: k < numLayers - 1 || (returnSequences ?? false) };
    const layer = kind === 'lstm' ? new Lstm(o) : kind === 'gru' ? new Gru(o as GruLayerArgs) : new SimpleRnn(o as SimpleRnnLayerArgs);
    return bidirectional ? new Bidirectional({ layer, mergeMode: bidirectional, name: `bidirectional_${k}` }) : layer;
  };
  return new Stack({ layers: Array.from({ length: numLayers }, (_, k) => make(k)), dropout, seed: cell.seed, name, inputShape, batchInputShape, batchSize });
}
