/**
 * `layers.simpleRnn`: a `tf.layers.Layer` running `ops.simpleRnn` (hand-written BPTT).
 *
 *     h_t = φ(x_t W + h_{t−1} U + b),   φ = tanh (default) or ReLU
 *
 * ReLU with `recurrentInitializer: 'identity'` is the IRNN of Le, Jaitly & Hinton (2015).
 * Weights: `kernel` [I, H], `recurrent_kernel` [H, H], `bias` [H].
 */
import * as tf from '@tensorflow/tfjs';
import { RecurrentLayer } from './base.js';
import type { CellVariant } from './cell.js';
import { type RecurrentLayerArgs, checkFixed } from './options.js';

export interface SimpleRnnLayerArgs extends RecurrentLayerArgs {
  /** 'tanh' (default) or 'relu'. */
  activation?: 'tanh' | 'relu';
}

/**
 * A simple (Elman) RNN layer driven by `ops.simpleRnn`.
 *
 * @example
 * ```ts
 * // IRNN: ReLU units, identity recurrent kernel.
 * const irnn = layers.simpleRnn({ units: 100, activation: 'relu', recurrentInitializer: 'identity' });
 * ```
 */
export class SimpleRnn extends RecurrentLayer {
  static className = 'RecurrentSimpleRNN';
  readonly activation: 'tanh' | 'relu';

  constructor(args: SimpleRnnLayerArgs) {
    super(args, 'simpleRnn', ['activation']);
    this.activation = checkFixed(this.who, 'activation', args.activation, ['tanh', 'relu'], 'ops.simpleRnn computes these two');
  }

  variant(): CellVariant {
    return { op: 'simpleRnn', activation: this.activation };
  }

  protected variantConfig(): tf.serialization.ConfigDict {
    return { activation: this.activation };
  }
}
tf.serialization.registerClass(SimpleRnn);
