/**
 * `RecurrentLayer`: the `tf.layers.Layer` machinery shared by `layers.lstm`, `layers.gru` and
 * `layers.simpleRnn` — weights, Keras call conventions (masks, initial states as inputs,
 * `goBackwards`, `returnState`, `stateful`), dropout, and config — around one whole-sequence op.
 *
 * A layer is a loop around a pure cell (STYLE.md): the math lives in `ops/*` (and, for recurrent
 * dropout during training, in `cell.ts`); this class only owns variables and conventions.
 */
import * as tf from '@tensorflow/tfjs';
import { RecurrentInputError } from '../ops/index.js';
import { type CellParams, type CellRun, type CellVariant, gateCount, runFast, runWithRecurrentDropout, stateCount } from './cell.js';
import {
  type InitializerLike, type RegularizerLike, resolveInitializer, resolveRegularizer, serializeObject,
} from './initializers.js';
import {
  BASE_KEYS, type RecurrentKind, type RecurrentLayerArgs, checkBool, checkKnownKeys, checkRate, checkSeed, checkUnits, layerError,
} from './options.js';

export type Kwargs = Parameters<tf.layers.Layer['call']>[1];
type ConfigDict = tf.serialization.ConfigDict;
type AnyShape = (number | null)[];
type SomeTensor = tf.Tensor | tf.SymbolicTensor;
/** What tf.layers.Layer#apply takes and returns. */
export type ApplyIO = tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[];

/** A weight the layer creates at build time. */
export interface WeightSpec {
  name: string;
  shape: number[];
  init: InitializerLike;
  regularizer?: RegularizerLike | undefined;
}

/** Hands a precomputed value to `addWeight` (which disposes it after creating the variable). */
class Precomputed extends tf.serialization.Serializable implements InitializerLike {
  static className = 'RecurrentPrecomputed';
  constructor(private readonly value: tf.Tensor) {
    super();
  }
  apply(): tf.Tensor {
    return this.value;
  }
  getConfig(): ConfigDict {
    return {};
  }
  fromConfigUsesCustomObjects(): boolean {
    return false;
  }
}

const toList = <T>(v: T | T[] | null | undefined): T[] | undefined => (v === null || v === undefined ? undefined : Array.isArray(v) ? v : [v]);
const fmt = (s: readonly (number | null)[]) => `[${s.map((d) => (d === null ? 'null' : d)).join(', ')}]`;

/**
 * The apply() of layers that take initial states (tf.layers.RNN's conventions): states come as
 * `kwargs.initialState` or as the tail of an inputs array; concrete states travel to call() in
 * kwargs, symbolic ones become extra inputs of the graph node (with the input spec widened for
 * the duration of the call). `check` validates before anything is built.
 */
export function applyWithInitialStates(
  layer: tf.layers.Layer, superApply: (inputs: ApplyIO, kwargs: Kwargs) => ApplyIO, inputs: ApplyIO, kwargs: Kwargs,
  check: (x: SomeTensor, states: SomeTensor[] | undefined) => void,
): ApplyIO {
  const list: SomeTensor[] = Array.isArray(inputs) ? inputs : [inputs];
  const fromKwargs = toList<SomeTensor>(kwargs.initialState as SomeTensor | SomeTensor[] | undefined);
  if (list.length > 1 && fromKwargs !== undefined) {
    throw new RecurrentInputError(`'${layer.name}': initial states were given both in the inputs array and as kwargs.initialState; pass them one way`);
  }
  const x = list[0];
  if (x === undefined) throw new RecurrentInputError(`'${layer.name}': apply() needs an input tensor`);
  const states = list.length > 1 ? list.slice(1) : fromKwargs;
  check(x, states);
  if (states === undefined || !(states[0] instanceof tf.SymbolicTensor)) {
    const rest: Kwargs = { ...kwargs };
    if (states !== undefined) rest.initialState = states;
    return superApply(x as ApplyIO, rest);
  }
  const { initialState: _dropped, ...rest } = kwargs;
  const spec = layer.inputSpec;
  layer.inputSpec = [...spec, ...states.map((s) => new tf.InputSpec({ shape: s.shape }))];
  try {
    return superApply([x, ...states] as ApplyIO, rest);
  } finally {
    layer.inputSpec = spec;
  }
}

/** Splits what call() receives into the sequence, the initial states (if any) and the mask. */
export function callInputs(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): { x: tf.Tensor3D; states: tf.Tensor2D[] | undefined; mask: tf.Tensor | undefined } {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  const states = list.length > 1 ? list.slice(1) : toList<tf.Tensor>(kwargs.initialState as tf.Tensor | tf.Tensor[] | undefined);
  const mask = (Array.isArray(kwargs.mask) ? (kwargs.mask[0] as tf.Tensor | null) : (kwargs.mask as tf.Tensor | null | undefined)) ?? undefined;
  return { x: list[0] as tf.Tensor3D, states: states as tf.Tensor2D[] | undefined, mask };
}

export abstract class RecurrentLayer extends tf.layers.Layer {
  readonly units: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly useBias: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly seed: number | undefined;
  readonly kernelInitializer: InitializerLike;
  readonly recurrentInitializer: InitializerLike;
  readonly biasInitializer: InitializerLike;
  readonly kernelRegularizer: RegularizerLike | undefined;
  readonly recurrentRegularizer: RegularizerLike | undefined;
  readonly biasRegularizer: RegularizerLike | undefined;
  /** Features per step, known once built. */
  inputSize: number | undefined;
  private vars: Record<string, tf.LayerVariable> = {};
  private stored: tf.Tensor2D[] | undefined;
  private stateBatch: number | undefined;
  private fastInit = false;
  private weightPrefix = '';
  private draws = 0;

  protected constructor(args: RecurrentLayerArgs, readonly kind: RecurrentKind, extraKeys: readonly string[]) {
    super(args);
    const who = `${kind} '${this.name}'`;
    checkKnownKeys(who, args, [...BASE_KEYS, ...extraKeys]);
    this.units = checkUnits(who, args.units);
    this.returnSequences = checkBool(who, 'returnSequences', args.returnSequences, false);
    this.returnState = checkBool(who, 'returnState', args.returnState, false);
    this.goBackwards = checkBool(who, 'goBackwards', args.goBackwards, false);
    this._stateful = checkBool(who, 'stateful', args.stateful, false);
    this.useBias = checkBool(who, 'useBias', args.useBias, true);
    this.dropout = checkRate(who, 'dropout', args.dropout);
    this.recurrentDropout = checkRate(who, 'recurrentDropout', args.recurrentDropout);
    this.seed = checkSeed(who, args.seed);
    this.kernelInitializer = resolveInitializer(`${who}: kernelInitializer`, args.kernelInitializer ?? 'glorotUniform');
    this.recurrentInitializer = resolveInitializer(`${who}: recurrentInitializer`, args.recurrentInitializer ?? 'orthogonal');
    this.biasInitializer = resolveInitializer(`${who}: biasInitializer`, args.biasInitializer ?? 'zeros');
    this.kernelRegularizer = resolveRegularizer(`${who}: kernelRegularizer`, args.kernelRegularizer);
    this.recurrentRegularizer = resolveRegularizer(`${who}: recurrentRegularizer`, args.recurrentRegularizer);
    this.biasRegularizer = resolveRegularizer(`${who}: biasRegularizer`, args.biasRegularizer);
    this.supportsMasking = true;
    this.inputSpec = [new tf.InputSpec({ ndim: 3 })];
  }

  /** The recurrence this layer runs. */
  abstract variant(): CellVariant;
  /** Options of the subclass, for getConfig(). */
  protected abstract variantConfig(): ConfigDict;

  /** Bias shape (default [G·H]). */
  protected biasShape(): number[] {
    return [gateCount(this.variant()) * this.units];
  }
  /** Bias initial value (LSTM overrides it for the unit forget bias). */
  protected biasInit(): InitializerLike {
    return this.biasInitializer;
  }
  /** Weights beyond kernel, recurrent_kernel and bias (LSTM peepholes). */
  protected extraWeights(): WeightSpec[] {
    return [];
  }

  /** Prefix of every error message: `lstm 'encoder'`. */
  get who(): string {
    return `${this.kind} '${this.name}'`;
  }

  /** Number of state tensors: 2 for LSTM (h, c), 1 otherwise. */
  get stateSize(): number {
    return stateCount(this.variant());
  }

  /** Checks an input shape (symbolic or concrete) and, once built, its feature size. */
  checkInputShape(shape: readonly (number | null)[]): void {
    if (shape.length !== 3) layerError(this.who, `input must be rank 3 [batch, time, features], got rank ${shape.length} ${fmt(shape)}`);
    const features = shape[2];
    if (features === null || features === undefined) layerError(this.who, `the feature size (last input dimension) must be known, got ${fmt(shape)}`);
    if (this.inputSize !== undefined && features !== this.inputSize) {
      layerError(this.who, `input features must be ${this.inputSize} (the layer was built for [batch, time, ${this.inputSize}]), got ${fmt(shape)}`);
    }
    if (this.stateBatch !== undefined && shape[0] !== null && shape[0] !== this.stateBatch) {
      layerError(this.who, `a stateful layer needs batch size ${this.stateBatch} (its states are [${this.stateBatch}, ${this.units}]), got ${fmt(shape)}`);
    }
  }

  /** Checks initial states: the right number, each [batch, H] with the input's batch. */
  checkStates(states: readonly { shape: readonly (number | null)[] }[], batch: number | null): void {
    const n = this.stateSize;
    const names = n === 2 ? '[h, c]' : '[h]';
    if (states.length !== n) layerError(this.who, `expects ${n} initial state${n === 2 ? 's' : ''} ${names}, got ${states.length}`);
    states.forEach((s, k) => {
      const ok = s.shape.length === 2 && s.shape[1] === this.units && (batch === null || s.shape[0] === null || s.shape[0] === batch);
      if (!ok) layerError(this.who, `initial state ${k} (${n === 2 ? (k === 0 ? 'h' : 'c') : 'h'}) must be [batch, units] = ${fmt([batch, this.units])}, got ${fmt(s.shape)}`);
    });
  }

  /**
   * Keras' calling conventions: `apply(x)`, `apply(x, { initialState })`, or `apply([x, ...states])`;
   * everything is validated before the layer is built or called.
   */
  override apply(inputs: ApplyIO, kwargs: Kwargs = {}): ApplyIO {
    return applyWithInitialStates(this, (i, k) => super.apply(i, k), inputs, kwargs, (x, states) => {
      this.checkInputShape(x.shape);
      if (states !== undefined) this.checkStates(states, x.shape[0] ?? null);
    });
  }

  /** Disposes the carried states of a stateful layer (wrappers call it when they are disposed). */
  releaseStates(): void {
    tf.dispose(this.stored);
    this.stored = undefined;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as AnyShape;
    this.checkInputShape(shape);
    const I = shape[2]!;
    const batch = shape[0] ?? null;
    if (this.stateful && batch === null) {
      layerError(this.who, 'a stateful layer needs a fixed batch size: give the first layer batchInputShape (or batchSize), or tf.input({ batchShape })');
    }
    const H = this.units;
    const G = gateCount(this.variant());
    const specs: WeightSpec[] = [
      { name: 'kernel', shape: [I, G * H], init: this.kernelInitializer, regularizer: this.kernelRegularizer },
      { name: 'recurrent_kernel', shape: [H, G * H], init: this.recurrentInitializer, regularizer: this.recurrentRegularizer },
      ...(this.useBias ? [{ name: 'bias', shape: this.biasShape(), init: this.biasInit(), regularizer: this.biasRegularizer }] : []),
      ...this.extraWeights(),
    ];
    // Every initial value first, so a failing initialiser leaves nothing half-built.
    const values: tf.Tensor[] = [];
    if (!this.fastInit) {
      try {
        for (const s of specs) {
          const v = s.init.apply(s.shape, 'float32');
          values.push(v);
          if (v.shape.join() !== s.shape.join()) layerError(this.who, `${s.name} initializer returned ${fmt(v.shape)}, expected ${fmt(s.shape)}`);
        }
      } catch (error) {
        tf.dispose(values);
        throw error;
      }
    }
    specs.forEach((s, k) => {
      const init = values[k] === undefined ? (tf.initializers.zeros() as InitializerLike) : new Precomputed(values[k]);
      this.vars[s.name] = this.addWeight(`${this.weightPrefix}${s.name}`, s.shape, 'float32', init, s.regularizer, true);
    });
    this.inputSize = I;
    if (this.stateful) {
      this.stateBatch = batch!;
      this.stored = this.zeroStates();
    }
    this.built = true;
  }

  /**
   * Builds this layer as part of a wrapper (bidirectional, stack): its weights are named
   * `<current scope>/<scope>/kernel` …, as Keras names the weights of wrapped layers.
   */
  buildNested(inputShape: tf.Shape, scope: string): void {
    this.weightPrefix = `${scope}/`;
    try {
      this.build(inputShape);
    } finally {
      this.weightPrefix = '';
    }
  }

  override setFastWeightInitDuringBuild(value: boolean): void {
    super.setFastWeightInitDuringBuild(value);
    this.fastInit = value;
  }

  /** The parameters as tensors for one call. */
  protected params(): CellParams {
    const read = (name: string) => this.vars[name]?.read();
    const v = this.variant();
    const p: CellParams = { kernel: read('kernel') as tf.Tensor2D, recurrentKernel: read('recurrent_kernel') as tf.Tensor2D };
    if (this.useBias) p.bias = read('bias');
    if (v.op === 'lstm' && v.peephole) {
      p.peephole = { f: read('peephole_f') as tf.Tensor1D, o: read('peephole_o') as tf.Tensor1D };
      if (!v.coupled) p.peephole.i = read('peephole_i') as tf.Tensor1D;
    }
    return p;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const { x, states: given, mask } = callInputs(inputs, kwargs);
      this.checkInputShape(x.shape);
      const [B, T] = x.shape;
      if (given !== undefined) this.checkStates(given, B);
      if (mask !== undefined && (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T)) {
        layerError(this.who, `mask must be [batch, time] = [${B}, ${T}], got ${fmt(mask.shape)}`);
      }
      const training = kwargs.training === true;
      const states = given ?? this.stored;
      const xin = training && this.dropout > 0 ? tf.mul(x, this.dropoutMask([B, 1, this.inputSize!], this.dropout)) : x;
      const p = this.params();
      const v = this.variant();
      const run: CellRun =
        training && this.recurrentDropout > 0
          ? runWithRecurrentDropout(v, xin as tf.Tensor3D, p, states, mask as tf.Tensor2D | undefined, this.goBackwards, this.dropoutMask([B, this.units], this.recurrentDropout) as tf.Tensor2D)
          : runFast(v, xin as tf.Tensor3D, p, states, mask as tf.Tensor2D | undefined, this.goBackwards);
      if (this.stateful) this.store(run.states);
      // goBackwards (Keras): the output sequence is in processing order, i.e. reversed in time.
      const output = this.returnSequences ? (this.goBackwards ? tf.reverse(run.sequence, 1) : run.sequence) : tf.clone(run.states[0]!);
      return this.returnState ? [output, ...run.states] : output;
    });
  }

  /** Inverted-dropout keep mask scaled by 1/(1 − rate). */
  private dropoutMask(shape: number[], rate: number): tf.Tensor {
    const seed = this.seed === undefined ? undefined : this.seed + 7919 * this.draws++;
    const u = tf.randomUniform(shape, 0, 1, 'float32', seed);
    return tf.div(tf.cast(tf.greaterEqual(u, rate), 'float32'), 1 - rate);
  }

  private zeroStates(): tf.Tensor2D[] {
    return Array.from({ length: this.stateSize }, () => tf.keep(tf.zeros([this.stateBatch!, this.units])) as tf.Tensor2D);
  }

  private store(states: tf.Tensor2D[]): void {
    const next = states.map((s) => tf.keep(tf.clone(s)));
    tf.dispose(this.stored);
    this.stored = next;
  }

  /**
   * Stateful layers: set the carried states to zeros, or to `states` ([h] or [h, c], each
   * [batch, units]; copied).
   */
  override resetStates(states?: tf.Tensor | tf.Tensor[]): void {
    if (!this.stateful) layerError(this.who, 'resetStates() is only for stateful layers (create it with stateful: true)');
    if (!this.built) layerError(this.who, 'resetStates() before the layer is built: its batch size is not known yet');
    const given = toList(states);
    if (given === undefined) {
      tf.dispose(this.stored);
      this.stored = this.zeroStates();
      return;
    }
    this.checkStates(given, this.stateBatch!);
    this.store(given as tf.Tensor2D[]);
  }

  /** Copies of the carried states of a stateful layer ([h] or [h, c]); the caller disposes them. */
  getStates(): tf.Tensor2D[] | undefined {
    return this.stored?.map((s) => tf.clone(s));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const [B, T] = [shape[0] ?? null, shape[1] ?? null];
    const out: tf.Shape = this.returnSequences ? [B, T, this.units] : [B, this.units];
    if (!this.returnState) return out;
    return [out, ...Array.from({ length: this.stateSize }, (): tf.Shape => [B, this.units])];
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    // Keras: the sequence keeps the input's mask (even with goBackwards), the last output and states have none.
    const m = (Array.isArray(mask) ? mask[0] : mask) ?? null;
    const out = this.returnSequences ? m : null;
    const result = this.returnState ? [out, ...Array.from({ length: this.stateSize }, () => null)] : out;
    return result as tf.Tensor | tf.Tensor[];
  }

  override getConfig(): ConfigDict {
    const config: ConfigDict = {
      units: this.units,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      useBias: this.useBias,
      kernelInitializer: serializeObject(this.kernelInitializer) as unknown as ConfigDict,
      recurrentInitializer: serializeObject(this.recurrentInitializer) as unknown as ConfigDict,
      biasInitializer: serializeObject(this.biasInitializer) as unknown as ConfigDict,
      kernelRegularizer: serializeObject(this.kernelRegularizer) as unknown as ConfigDict,
      recurrentRegularizer: serializeObject(this.recurrentRegularizer) as unknown as ConfigDict,
      biasRegularizer: serializeObject(this.biasRegularizer) as unknown as ConfigDict,
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      seed: this.seed ?? null,
      ...this.variantConfig(),
    };
    return { ...super.getConfig(), ...config };
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0) {
      tf.dispose(this.stored);
      this.stored = undefined;
    }
    return result;
  }
}
