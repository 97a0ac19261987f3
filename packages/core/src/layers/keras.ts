/**
 * Keras interop for whole models: rewrite saved model artifacts so our recurrent layers become
 * standard Keras `LSTM` / `GRU` / `SimpleRNN` / `Bidirectional` (loadable by vanilla
 * `tf.loadLayersModel` without this package, with identical outputs), and the reverse (run a
 * vanilla tfjs or converted Keras model on our layers).
 *
 * Weights need no conversion: our layers store the Keras layout under the Keras names. A
 * `layers.stack` is expanded into its layers with `Dropout` layers between them (its weights
 * renamed from `<stack>/<layer>/…` to the new layers' names); the stack's name goes to its top
 * layer, so the rest of the graph still connects.
 *
 * @example
 * ```ts
 * await model.save(keras.saveHandler('downloads://my-model'));            // vanilla-loadable
 * const vanillaModel = await tf.loadLayersModel('file://my-model/model.json'); // elsewhere, no @recurrent/core
 * const ours = await tf.loadLayersModel(keras.loadHandler('https://…/model.json')); // vanilla model on our ops
 * ```
 */
import * as tf from '@tensorflow/tfjs';
import { RecurrentInputError } from '../ops/index.js';
import {
  type Json, type JsonObject, type KerasTarget, fromKerasLayer, isKerasRecurrent, isObject, isOurs, toKerasLayer,
} from './keras-config.js';

export type { KerasTarget } from './keras-config.js';

export interface KerasExportOptions {
  /** 'tfjs' (default): loadable by vanilla TensorFlow.js. 'keras': also reset-after GRUs, for Python Keras. */
  target?: KerasTarget;
}

const fail = (message: string): never => {
  throw new RecurrentInputError(message);
};

/** The model config inside a topology (`model_config` when converted from a Keras HDF5 file). */
function modelConfig(topology: JsonObject): JsonObject {
  return isObject(topology.model_config) ? topology.model_config : topology;
}

/** Applies `f` to every layer entry (`{ class_name, config }`) in a model config, nested models included. */
function mapLayers(model: JsonObject, f: (entry: JsonObject) => JsonObject): JsonObject {
  const config = model.config as JsonObject;
  const layers = (Array.isArray(config.layers) ? config.layers : []) as JsonObject[];
  const mapped = layers.map((entry) => {
    const inner = entry.config;
    const nested = isObject(inner) && Array.isArray(inner.layers) ? mapLayers(entry, f) : entry;
    return f(nested);
  });
  return { ...model, config: { ...config, layers: mapped } };
}

/**
 * Expands every `RecurrentStack` of a (Sequential or functional) model config into its layers and
 * Dropout layers; returns the new config and the weight renames it implies.
 */
function expandStacks(model: JsonObject, renames: [string, string][]): JsonObject {
  const config = model.config as JsonObject;
  const layers = (Array.isArray(config.layers) ? config.layers : []) as JsonObject[];
  const functional = layers.some((l) => Array.isArray(l.inbound_nodes));
  const out: JsonObject[] = [];
  for (const entry of layers) {
    const inner = entry.config as JsonObject;
    if (isObject(inner) && Array.isArray(inner.layers) && entry.class_name !== 'RecurrentStack') {
      out.push(expandStacks(entry, renames));
      continue;
    }
    if (entry.class_name !== 'RecurrentStack') {
      out.push(entry);
      continue;
    }
    const stackName = inner.name as string;
    const members = inner.layers as JsonObject[];
    const rate = (inner.dropout as number) ?? 0;
    const inbound = entry.inbound_nodes;
    if (functional && (!Array.isArray(inbound) || inbound.length !== 1)) fail(`keras export: stack '${stackName}' is called ${Array.isArray(inbound) ? inbound.length : 0} times; export supports stacks called once`);
    let previous: string | undefined;
    members.forEach((m, k) => {
      const last = k === members.length - 1;
      const memberName = (m.config as JsonObject).name as string;
      const name = last ? stackName : `${stackName}_${memberName}`;
      renames.push([`${stackName}/${memberName}/`, `${name}/`]);
      const chain = (from: string | undefined, e: JsonObject): JsonObject =>
        functional ? { ...e, name: (e.config as JsonObject).name as string, inbound_nodes: from === undefined ? (inbound as Json) : [[[from, 0, 0, {}]]] } : e;
      if (k > 0 && rate > 0) {
        const dropName = `${stackName}_dropout_${k}`;
        out.push(chain(previous, { class_name: 'Dropout', config: { name: dropName, trainable: true, rate, noise_shape: null, seed: null } }));
        previous = dropName;
      }
      const memberConfig: JsonObject = { ...(m.config as JsonObject), name };
      if (k === 0 && inner.batch_input_shape !== undefined) memberConfig.batch_input_shape = inner.batch_input_shape;
      if (inner.trainable === false) memberConfig.trainable = false;
      out.push(chain(previous, { class_name: m.class_name as string, config: memberConfig }));
      previous = name;
    });
  }
  return { ...model, config: { ...config, layers: out } };
}

function rewriteTopology(topology: JsonObject, model: JsonObject): JsonObject {
  return isObject(topology.model_config) ? { ...topology, model_config: model } : model;
}

/**
 * Rewrites saved artifacts so every recurrent layer of ours is a standard Keras layer. Throws,
 * naming the layer, when one has no standard equivalent (peepholes, coupled gates, and for
 * target 'tfjs' reset-after GRUs).
 */
export function toKerasArtifacts(artifacts: tf.io.ModelArtifacts, options: KerasExportOptions = {}): tf.io.ModelArtifacts {
  const target = options.target ?? 'tfjs';
  if (target !== 'tfjs' && target !== 'keras') fail(`keras export: target must be 'tfjs' or 'keras', got ${JSON.stringify(target)}`);
  const topology = artifacts.modelTopology;
  if (!isObject(topology as Json)) fail('keras export: the artifacts have no JSON model topology (graph models cannot be exported)');
  const renames: [string, string][] = [];
  let model = expandStacks(modelConfig(topology as JsonObject), renames);
  model = mapLayers(model, (entry) => (isOurs(entry.class_name) ? toKerasLayer(entry, target) : entry));
  const weightSpecs = artifacts.weightSpecs?.map((spec) => {
    const hit = renames.find(([from]) => spec.name.startsWith(from));
    return hit ? { ...spec, name: hit[1] + spec.name.slice(hit[0].length) } : spec;
  });
  return { ...artifacts, modelTopology: rewriteTopology(topology as JsonObject, model) as unknown as object, ...(weightSpecs ? { weightSpecs } : {}) };
}

/**
 * Rewrites the artifacts of a vanilla tfjs / converted Keras model so its LSTM, GRU, SimpleRNN
 * (and Bidirectional around them) run on our layers. Throws, naming the layer, when one computes
 * something our ops do not (hard_sigmoid gates, other activations, constraints).
 */
export function fromKerasArtifacts(artifacts: tf.io.ModelArtifacts): tf.io.ModelArtifacts {
  const topology = artifacts.modelTopology;
  if (!isObject(topology as Json)) fail('keras import: the artifacts have no JSON model topology');
  const model = mapLayers(modelConfig(topology as JsonObject), (entry) => (isKerasRecurrent(entry.class_name, entry.config) ? fromKerasLayer(entry) : entry));
  return { ...artifacts, modelTopology: rewriteTopology(topology as JsonObject, model) as unknown as object };
}

function handlerFor(kind: 'save' | 'load', target: string | tf.io.IOHandler): tf.io.IOHandler {
  if (typeof target !== 'string') return target;
  const handlers = kind === 'save' ? tf.io.getSaveHandlers(target) : tf.io.getLoadHandlers(target);
  const handler = handlers[0];
  if (handler === undefined) return fail(`keras ${kind}: no ${kind} handler for "${target}" here (file:// needs @tensorflow/tfjs-node in Node; the browser has indexeddb://, localstorage://, downloads://, http(s)://)`);
  return handler;
}

/**
 * A save handler that writes the model with standard Keras recurrent layers to `destination`
 * (a URL such as 'downloads://m', 'indexeddb://m', 'file://dir' with tfjs-node, or any IOHandler).
 */
export function saveHandler(destination: string | tf.io.IOHandler, options: KerasExportOptions = {}): tf.io.IOHandler {
  const inner = handlerFor('save', destination);
  if (inner.save === undefined) fail('keras save: the destination handler cannot save');
  return { save: (artifacts) => inner.save!(toKerasArtifacts(artifacts, options)) };
}

/** A load handler that reads a vanilla / Keras model from `source` and runs its recurrent layers on ours. */
export function loadHandler(source: string | tf.io.IOHandler): tf.io.IOHandler {
  const inner = handlerFor('load', source);
  if (inner.load === undefined) fail('keras load: the source handler cannot load');
  return { load: async () => fromKerasArtifacts(await inner.load!()) };
}

/** The Keras interop entry points. */
export const keras = { toKerasArtifacts, fromKerasArtifacts, saveHandler, loadHandler } as const;
