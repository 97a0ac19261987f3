/**
 * `layers`: recurrent `tf.layers.Layer`s driven by the project's ops (hand-written BPTT), usable in
 * `tf.sequential` / `tf.model`, with `model.fit`, and saved / loaded through `tf.serialization`;
 * plus the initialisers and the Keras / PyTorch interop that go with them.
 */
import { Lstm, type LstmLayerArgs } from './lstm.js';
import { Gru, type GruLayerArgs } from './gru.js';
import { SimpleRnn, type SimpleRnnLayerArgs } from './simple-rnn.js';
import { Bidirectional, type BidirectionalArgs } from './bidirectional.js';
import { Stack, type StackArgs, stacked } from './stack.js';

export { RecurrentLayer } from './base.js';
export { Lstm, Gru, SimpleRnn, Bidirectional, Stack };
export type { LstmLayerArgs, GruLayerArgs, SimpleRnnLayerArgs, BidirectionalArgs, StackArgs };
export type { MergeMode } from './bidirectional.js';
export type { StackedArgs } from './stack.js';
export type { RecurrentLayerArgs, LayerArgs } from './options.js';
export type { CellVariant } from './cell.js';
export { initializers, Orthogonal, Identity } from './initializers.js';
export { keras, toKerasArtifacts, fromKerasArtifacts } from './keras.js';
export type { KerasExportOptions, KerasTarget } from './keras.js';
export { pytorch } from './pytorch.js';
export { fileSystem, registerFileRouter } from './file-system.js';
export type { PyTorchKind, PyTorchLayout, StateDictEntry } from './pytorch.js';
export type { InitializerIdentifier, RegularizerIdentifier, OrthogonalArgs } from './initializers.js';

/** Factories, in the style of `tf.layers.*`. */
export const layers = {
  /** An LSTM layer ({@link Lstm}). */
  lstm: (args: LstmLayerArgs) => new Lstm(args),
  /** A GRU layer ({@link Gru}); reset-after by default, as Keras 2. */
  gru: (args: GruLayerArgs) => new Gru(args),
  /** A simple RNN layer ({@link SimpleRnn}); tanh or ReLU (IRNN with recurrentInitializer 'identity'). */
  simpleRnn: (args: SimpleRnnLayerArgs) => new SimpleRnn(args),
  /** One of the above run in both directions, merged by concat / sum / mul / ave ({@link Bidirectional}). */
  bidirectional: (args: BidirectionalArgs) => new Bidirectional(args),
  /** Recurrent layers stacked, with dropout between them ({@link Stack}). */
  stack: (args: StackArgs) => new Stack(args),
  /** PyTorch-style `numLayers` × (bi)directional layers of one kind with dropout between them. */
  stacked,
} as const;
