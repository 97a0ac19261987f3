/**
 * Weight initialisers for the recurrent layers, and how initialiser / regulariser options are
 * resolved and serialised.
 *
 * - `orthogonal` (Saxe et al. 2014): the Keras default for recurrent kernels, computed by
 *   Householder QR in float64 JavaScript ({@link randomOrthogonal}) instead of tfjs-layers'
 *   kernel-per-step `tf.linalg.qr`, which takes minutes at [256, 1024] (tensorflow/tfjs#245).
 * - `identity` (Le et al. 2015, IRNN): gain · I, also for non-square shapes (ones on the main
 *   diagonal), as in Keras.
 * - Glorot (Glorot & Bengio 2010) and He (He et al. 2015) are tfjs' own: they are single kernels
 *   already, and keep their standard Keras class names in saved models.
 *
 * Configs coming from Keras or vanilla tfjs that name `Orthogonal` or `Identity` are served by the
 * classes here (same distribution, same config), so loading such a model never runs the slow one.
 */
import * as tf from '@tensorflow/tfjs';
import { RecurrentInputError } from '../ops/index.js';
import { randomOrthogonal, seededUniform } from './qr.js';

type ConfigDict = tf.serialization.ConfigDict;
type Shape = number[];

/** What `addWeight` needs from an initialiser (structurally tfjs-layers' `Initializer`). */
export interface InitializerLike {
  apply(shape: Shape, dtype?: tf.DataType): tf.Tensor;
  getClassName(): string;
  getConfig(): ConfigDict;
  fromConfigUsesCustomObjects(): boolean;
}

/** What `addWeight` needs from a regulariser (structurally tfjs-layers' `Regularizer`). */
export interface RegularizerLike {
  apply(x: tf.Tensor): tf.Scalar;
  getClassName(): string;
  getConfig(): ConfigDict;
}

/** A serialised object: `{ className, config }`, as in Keras JSON (camelCase keys in memory). */
export interface SerializedObject {
  className: string;
  config: ConfigDict;
}

export type InitializerName =
  | 'orthogonal'
  | 'identity'
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'leCunUniform'
  | 'leCunNormal'
  | 'zeros'
  | 'ones';

/** An initialiser: a name, an initialiser object (ours or `tf.initializers.*`), or its serialised form. */
export type InitializerIdentifier = InitializerName | InitializerLike | SerializedObject;

export type RegularizerName = 'l1' | 'l2' | 'l1l2';
/** A regulariser: a name (rate 0.01, as tfjs), a `tf.regularizers.*` object, or its serialised form. */
export type RegularizerIdentifier = RegularizerName | RegularizerLike | SerializedObject;

export interface OrthogonalArgs {
  /** Multiplies the matrix (default 1). */
  gain?: number;
  /** Seed of the Gaussian draw; the same seed gives the same matrix. Random when absent. */
  seed?: number;
}

abstract class InitializerBase extends tf.serialization.Serializable implements InitializerLike {
  abstract apply(shape: Shape, dtype?: tf.DataType): tf.Tensor;
  fromConfigUsesCustomObjects(): boolean {
    return false;
  }
}

function matrixDims(who: string, shape: Shape, dtype: tf.DataType | undefined): [number, number] {
  if (shape.length < 2) throw new RecurrentInputError(`${who}: needs a shape of rank ≥ 2, got [${shape.join(', ')}]`);
  if (dtype !== undefined && dtype !== 'float32') throw new RecurrentInputError(`${who}: only float32 weights, got ${dtype}`);
  const cols = shape[shape.length - 1]!;
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return [rows, cols];
}

/**
 * A random orthogonal matrix (flattened to [∏shape[:-1], shape[-1]] as in Keras), fast at any size.
 *
 * @example
 * ```ts
 * const init = initializers.orthogonal({ seed: 1 });
 * const u = init.apply([256, 1024]); // rows orthonormal: u·uᵀ = I
 * ```
 */
export class Orthogonal extends InitializerBase {
  static className = 'RecurrentOrthogonal';
  readonly gain: number;
  readonly seed: number | undefined;

  constructor(args: OrthogonalArgs = {}) {
    super();
    this.gain = args.gain ?? 1;
    this.seed = args.seed ?? undefined;
    if (!Number.isFinite(this.gain)) throw new RecurrentInputError(`orthogonal: gain must be a finite number, got ${args.gain}`);
    if (this.seed !== undefined && !Number.isInteger(this.seed)) throw new RecurrentInputError(`orthogonal: seed must be an integer, got ${args.seed}`);
  }

  apply(shape: Shape, dtype?: tf.DataType): tf.Tensor {
    const [rows, cols] = matrixDims('orthogonal', shape, dtype);
    const seed = this.seed ?? Math.floor(Math.random() * 2 ** 32);
    const q = randomOrthogonal(rows, cols, seededUniform(seed), this.gain);
    return tf.tensor(Float32Array.from(q), shape, 'float32');
  }

  getConfig(): ConfigDict {
    return { gain: this.gain, seed: this.seed ?? null };
  }
}
tf.serialization.registerClass(Orthogonal);

/**
 * gain · I, with ones on the main diagonal of non-square shapes (Keras' `Identity`).
 *
 * @example
 * ```ts
 * layers.simpleRnn({ units: 64, activation: 'relu', recurrentInitializer: 'identity' }); // IRNN
 * ```
 */
export class Identity extends InitializerBase {
  static className = 'RecurrentIdentity';
  readonly gain: number;

  constructor(args: { gain?: number } = {}) {
    super();
    this.gain = args.gain ?? 1;
  }

  apply(shape: Shape, dtype?: tf.DataType): tf.Tensor {
    if (shape.length !== 2) throw new RecurrentInputError(`identity: needs a 2-D shape, got [${shape.join(', ')}]`);
    const [rows, cols] = matrixDims('identity', shape, dtype);
    const v = new Float32Array(rows * cols);
    for (let i = 0; i < Math.min(rows, cols); i++) v[i * cols + i] = this.gain;
    return tf.tensor2d(v, [rows, cols]);
  }

  getConfig(): ConfigDict {
    return { gain: this.gain };
  }
}
tf.serialization.registerClass(Identity);

/** The initialisers of this package (and tfjs' Glorot / He, re-exported for one import). */
export const initializers = {
  orthogonal: (args: OrthogonalArgs = {}) => new Orthogonal(args),
  identity: (args: { gain?: number } = {}) => new Identity(args),
  glorotUniform: (args: { seed?: number } = {}) => tf.initializers.glorotUniform(args) as InitializerLike,
  glorotNormal: (args: { seed?: number } = {}) => tf.initializers.glorotNormal(args) as InitializerLike,
  heUniform: (args: { seed?: number } = {}) => tf.initializers.heUniform(args) as InitializerLike,
  heNormal: (args: { seed?: number } = {}) => tf.initializers.heNormal(args) as InitializerLike,
} as const;

const BY_NAME: Record<InitializerName, () => InitializerLike> = {
  orthogonal: () => new Orthogonal(),
  identity: () => new Identity(),
  glorotUniform: () => tf.initializers.glorotUniform({}) as InitializerLike,
  glorotNormal: () => tf.initializers.glorotNormal({}) as InitializerLike,
  heUniform: () => tf.initializers.heUniform({}) as InitializerLike,
  heNormal: () => tf.initializers.heNormal({}) as InitializerLike,
  leCunUniform: () => tf.initializers.leCunUniform({}) as InitializerLike,
  leCunNormal: () => tf.initializers.leCunNormal({}) as InitializerLike,
  zeros: () => tf.initializers.zeros() as InitializerLike,
  ones: () => tf.initializers.ones() as InitializerLike,
};

function isSerialized(v: unknown): v is SerializedObject {
  return typeof v === 'object' && v !== null && typeof (v as SerializedObject).className === 'string' && typeof (v as SerializedObject).config === 'object';
}

/** Instantiates a registered class from `{ className, config }` through tfjs' serialisation map. */
function fromRegistry<T>(what: string, s: SerializedObject): T {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[s.className];
  if (entry === undefined) throw new RecurrentInputError(`unknown ${what} class "${s.className}" (register it with tf.serialization.registerClass)`);
  const [cls, fromConfig] = entry;
  return fromConfig(cls, { ...s.config }) as unknown as T;
}

/** Resolves an initialiser option; `what` names the option in errors. Orthogonal and Identity become ours. */
export function resolveInitializer(what: string, id: InitializerIdentifier): InitializerLike {
  if (typeof id === 'string') {
    const make = BY_NAME[id];
    if (make === undefined) throw new RecurrentInputError(`${what}: unknown initializer "${id}"; expected one of ${Object.keys(BY_NAME).join(', ')}`);
    return make();
  }
  const s: SerializedObject | undefined = isSerialized(id) ? id : typeof id?.apply === 'function' ? { className: id.getClassName(), config: id.getConfig() } : undefined;
  if (s === undefined) throw new RecurrentInputError(`${what}: expected an initializer name, object or { className, config }, got ${JSON.stringify(id)}`);
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  if (s.className === 'Orthogonal' || s.className === Orthogonal.className) return new Orthogonal({ gain: num(s.config.gain), seed: num(s.config.seed) });
  if (s.className === 'Identity' || s.className === Identity.className) return new Identity({ gain: num(s.config.gain) });
  return isSerialized(id) ? fromRegistry<InitializerLike>('initializer', s) : (id as InitializerLike);
}

/** Resolves a regulariser option (`null`/`undefined` → none). */
export function resolveRegularizer(what: string, id: RegularizerIdentifier | null | undefined): RegularizerLike | undefined {
  if (id === undefined || id === null) return undefined;
  if (id === 'l1') return tf.regularizers.l1() as RegularizerLike;
  if (id === 'l2') return tf.regularizers.l2() as RegularizerLike;
  if (id === 'l1l2') return tf.regularizers.l1l2() as RegularizerLike;
  if (isSerialized(id)) return fromRegistry<RegularizerLike>('regularizer', id);
  if (typeof id === 'object' && typeof id.apply === 'function') return id;
  throw new RecurrentInputError(`${what}: expected 'l1', 'l2', 'l1l2', a tf.regularizers object or { className, config }, got ${JSON.stringify(id)}`);
}

/** `{ className, config }` of an initialiser or regulariser, as getConfig() stores it. */
export function serializeObject(o: { getClassName(): string; getConfig(): ConfigDict } | undefined): SerializedObject | null {
  return o === undefined ? null : { className: o.getClassName(), config: o.getConfig() };
}
