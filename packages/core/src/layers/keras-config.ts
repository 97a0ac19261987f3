/**
 * One layer's saved config (Keras JSON, snake_case, as `model.save()` writes it) translated
 * between our classes and Keras' standard `LSTM` / `GRU` / `SimpleRNN` / `Bidirectional`.
 *
 * Export refuses what a standard Keras layer cannot express (peepholes, coupled gates; reset-after
 * GRU for vanilla tfjs, whose GRU is reset-before only). Import refuses what our ops cannot compute
 * exactly (hard_sigmoid gates, other activations, constraints): a model either runs with
 * identical outputs or is rejected with the reason, never silently approximated.
 */
import { RecurrentInputError } from '../ops/index.js';

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** 'tfjs': loadable by vanilla TensorFlow.js. 'keras': also allows what only Python Keras has (reset-after GRU). */
export type KerasTarget = 'tfjs' | 'keras';

const OURS_TO_KERAS: Record<string, string> = { RecurrentLSTM: 'LSTM', RecurrentGRU: 'GRU', RecurrentSimpleRNN: 'SimpleRNN' };
const KERAS_TO_OURS: Record<string, string> = { LSTM: 'RecurrentLSTM', GRU: 'RecurrentGRU', SimpleRNN: 'RecurrentSimpleRNN' };
const INITIALIZERS_OURS_TO_KERAS: Record<string, string> = { RecurrentOrthogonal: 'Orthogonal', RecurrentIdentity: 'Identity' };

const fail = (message: string): never => {
  throw new RecurrentInputError(message);
};

export const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Layer base keys every Keras layer config may carry. */
const BASE = ['name', 'trainable', 'batch_input_shape', 'dtype'];
const COMMON = [
  'units', 'use_bias', 'kernel_initializer', 'recurrent_initializer', 'bias_initializer',
  'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer', 'dropout', 'recurrent_dropout',
  'return_sequences', 'return_state', 'go_backwards', 'stateful',
];

function pick(config: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) if (config[k] !== undefined) out[k] = config[k]!;
  return out;
}

/** Initialiser dicts anywhere in `v` renamed from our classes to Keras' (same config fields). */
function kerasInitializers(v: Json): Json {
  if (Array.isArray(v)) return v.map(kerasInitializers);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) out[k] = kerasInitializers(x);
  if (typeof out.class_name === 'string' && INITIALIZERS_OURS_TO_KERAS[out.class_name]) out.class_name = INITIALIZERS_OURS_TO_KERAS[out.class_name]!;
  return out;
}

/** Is this a layer entry of one of our recurrent classes (or our bidirectional wrapper)? */
export const isOurs = (className: Json | undefined): boolean => typeof className === 'string' && (className in OURS_TO_KERAS || className === 'RecurrentBidirectional');

/** Our layer entry `{ class_name, config }` → the standard Keras one. */
export function toKerasLayer(entry: JsonObject, target: KerasTarget): JsonObject {
  const className = entry.class_name as string;
  const config = entry.config as JsonObject;
  const who = `keras export: layer '${String(config.name)}' (${className})`;
  if (className === 'RecurrentBidirectional') {
    const inner = config.layer as JsonObject;
    const merge: Json = config.merge_mode ?? 'concat';
    return { ...entry, class_name: 'Bidirectional', config: { ...pick(config, BASE), merge_mode: merge, layer: toKerasLayer(inner, target) } };
  }
  const kerasClass = OURS_TO_KERAS[className] ?? fail(`${who}: not one of our recurrent layers`);
  if (config.peephole === true) fail(`${who}: peephole connections have no standard Keras equivalent; they cannot be exported`);
  if (config.coupled === true) fail(`${who}: coupled input/forget gates have no standard Keras equivalent; they cannot be exported`);
  if (className === 'RecurrentGRU' && config.reset_after === true && target === 'tfjs') {
    fail(`${who}: vanilla TensorFlow.js' GRU is reset-before only; build the layer with resetAfter: false, or export with target 'keras' for Python Keras (GRU(reset_after=True))`);
  }
  const out: JsonObject = { ...pick(config, BASE), ...pick(config, COMMON) };
  out.activation = config.activation ?? 'tanh';
  if (className !== 'RecurrentSimpleRNN') {
    out.recurrent_activation = 'sigmoid';
    out.implementation = 2;
  }
  if (className === 'RecurrentLSTM') out.unit_forget_bias = config.unit_forget_bias ?? true;
  if (className === 'RecurrentGRU') out.reset_after = config.reset_after ?? true;
  Object.assign(out, { activity_regularizer: null, kernel_constraint: null, recurrent_constraint: null, bias_constraint: null, unroll: false });
  return { ...entry, class_name: kerasClass, config: kerasInitializers(out) as JsonObject };
}

/** Keys of Keras recurrent configs that change nothing in our forward math; dropped on import. */
const NO_EFFECT = ['implementation', 'unroll', 'time_major', 'zero_output_for_mask'];
const MUST_BE_NULL = ['activity_regularizer', 'kernel_constraint', 'recurrent_constraint', 'bias_constraint'];

/** Is this a standard Keras recurrent layer entry we can take over? */
export const isKerasRecurrent = (className: Json | undefined, config: Json | undefined): boolean =>
  typeof className === 'string' && (className in KERAS_TO_OURS || (className === 'Bidirectional' && isObject(config) && isObject(config.layer) && (config.layer.class_name as string) in KERAS_TO_OURS));

/** A standard Keras recurrent layer entry → ours, or an error saying why it cannot run on our ops. */
export function fromKerasLayer(entry: JsonObject): JsonObject {
  const className = entry.class_name as string;
  const config = entry.config as JsonObject;
  const who = `keras import: layer '${String(config.name)}' (${className})`;
  if (className === 'Bidirectional') {
    const mode = config.merge_mode;
    if (mode !== 'concat' && mode !== 'sum' && mode !== 'mul' && mode !== 'ave') fail(`${who}: merge_mode ${JSON.stringify(mode)} is not supported (concat, sum, mul, ave)`);
    const rest = Object.keys(config).filter((k) => ![...BASE, 'merge_mode', 'layer'].includes(k) && config[k] !== null);
    if (rest.length > 0) fail(`${who}: unsupported options ${rest.join(', ')}`);
    return { ...entry, class_name: 'RecurrentBidirectional', config: { ...pick(config, BASE), merge_mode: mode as Json, layer: fromKerasLayer(config.layer as JsonObject) } };
  }
  const ours = KERAS_TO_OURS[className] ?? fail(`${who}: not LSTM, GRU or SimpleRNN`);
  const activation = config.activation ?? 'tanh';
  const allowed = className === 'SimpleRNN' ? ['tanh', 'relu'] : ['tanh'];
  if (!allowed.includes(activation as string)) fail(`${who}: activation ${JSON.stringify(activation)} is not supported (${allowed.join(' or ')})`);
  if (className !== 'SimpleRNN' && (config.recurrent_activation ?? 'sigmoid') !== 'sigmoid') {
    fail(`${who}: recurrent_activation ${JSON.stringify(config.recurrent_activation)}; our ops compute the logistic sigmoid, so outputs would differ. (tf.layers' default is hard_sigmoid: retrain with recurrentActivation: 'sigmoid'.)`);
  }
  for (const k of MUST_BE_NULL) if (config[k] !== undefined && config[k] !== null) fail(`${who}: ${k} is not supported`);
  const known = [...BASE, ...COMMON, ...NO_EFFECT, ...MUST_BE_NULL, 'activation', 'recurrent_activation', 'unit_forget_bias', 'reset_after', 'seed'];
  const unknown = Object.keys(config).filter((k) => !known.includes(k));
  if (unknown.length > 0) fail(`${who}: unknown options ${unknown.join(', ')}`);
  const out: JsonObject = { ...pick(config, BASE), ...pick(config, COMMON) };
  if (typeof config.seed === 'number') out.seed = config.seed;
  if (className === 'SimpleRNN') out.activation = activation;
  if (className === 'LSTM') out.unit_forget_bias = config.unit_forget_bias ?? true;
  if (className === 'GRU') out.reset_after = config.reset_after ?? false; // absent: Keras 1 / tfjs (reset-before)
  return { ...entry, class_name: ours, config: out };
}
