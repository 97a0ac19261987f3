/**
 * Our recurrent layer classes as tfjs' serialisation registry sees them: deserialise a
 * `{ className, config }` into one of them, or clone one with a few options changed (how the
 * wrappers make their sublayers, as Keras' `Bidirectional` does).
 */
import * as tf from '@tensorflow/tfjs';
import { RecurrentLayer } from './base.js';
import type { SerializedObject } from './initializers.js';
import { layerError } from './options.js';

/** Instantiates `{ className, config }`, which must name one of our recurrent layer classes. */
export function deserializeRecurrent(who: string, s: SerializedObject): RecurrentLayer {
  const entry = typeof s?.className === 'string' ? tf.serialization.SerializationMap.getMap().classNameMap[s.className] : undefined;
  if (entry === undefined) layerError(who, `unknown layer class ${JSON.stringify(s?.className)}; expected RecurrentLSTM, RecurrentGRU or RecurrentSimpleRNN`);
  const [cls, fromConfig] = entry;
  const { customObjects: _ignored, ...config } = s.config;
  const layer = fromConfig(cls, config) as unknown;
  if (!(layer instanceof RecurrentLayer)) layerError(who, `${s.className} is not one of layers.lstm, layers.gru, layers.simpleRnn`);
  return layer;
}

/** A fresh, unbuilt copy of a recurrent layer from its config, with `overrides` applied. */
export function cloneRecurrent(who: string, template: SerializedObject, overrides: tf.serialization.ConfigDict): RecurrentLayer {
  return deserializeRecurrent(who, { className: template.className, config: { ...template.config, ...overrides } });
}
