/**
 * `layers.gru`: a `tf.layers.Layer` running `ops.gru` (hand-written BPTT), Keras conventions.
 *
 *     z = σ(x W_z + h U_z + b_z),  r = σ(x W_r + h U_r + b_r)
 *     reset-after (default, Keras ≥ 2 / cuDNN / PyTorch):  ĥ = tanh(x W_h + b_xh + r ⊙ (h U_h + b_hh))
 *     reset-before (tf.layers.gru, Keras 1):               ĥ = tanh(x W_h + (r ⊙ h) U_h + b_h)
 *     h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ
 *
 * (Keras' update-gate convention; the lecture-notes form h = (1 − z) ⊙ h + z ⊙ ĥ is the same model
 * with z negated.) Weights: `kernel` [I, 3H], `recurrent_kernel` [H, 3H] (blocks z, r, h), `bias`
 * [3H] (reset-before) or [2, 3H] (reset-after: row 0 input bias, row 1 recurrent bias).
 */
import * as tf from '@tensorflow/tfjs';
import { RecurrentLayer } from './base.js';
import type { CellVariant } from './cell.js';
import { type RecurrentLayerArgs, checkBool, checkFixed } from './options.js';

export interface GruLayerArgs extends RecurrentLayerArgs {
  /**
   * Apply the reset gate after the recurrent product (default true, the Keras ≥ 2, cuDNN and
   * PyTorch form, with two biases). `false` is tf.layers.gru's and Keras 1's form.
   */
  resetAfter?: boolean;
  /** Only 'tanh' (accepted so tf.layers.gru options carry over). */
  activation?: 'tanh';
  /** Only 'sigmoid', the modern Keras default (tf.layers' default is hardSigmoid). */
  recurrentActivation?: 'sigmoid';
}

const KEYS = ['resetAfter', 'activation', 'recurrentActivation'] as const;

/**
 * A GRU layer driven by `ops.gru`.
 *
 * @example
 * ```ts
 * const gru = layers.gru({ units: 64, returnSequences: true });          // reset-after, like Keras 2
 * const classic = layers.gru({ units: 64, resetAfter: false });          // same math as tf.layers.gru
 * ```
 */
export class Gru extends RecurrentLayer {
  static className = 'RecurrentGRU';
  readonly resetAfter: boolean;

  constructor(args: GruLayerArgs) {
    super(args, 'gru', KEYS);
    this.resetAfter = checkBool(this.who, 'resetAfter', args.resetAfter, true);
    checkFixed(this.who, 'activation', args.activation, ['tanh'], 'ops.gru computes tanh');
    checkFixed(this.who, 'recurrentActivation', args.recurrentActivation, ['sigmoid'], 'ops.gru computes the logistic sigmoid; hardSigmoid models cannot run on it unchanged');
  }

  variant(): CellVariant {
    return { op: 'gru', resetAfter: this.resetAfter };
  }

  protected override biasShape(): number[] {
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }

  protected variantConfig(): tf.serialization.ConfigDict {
    return { resetAfter: this.resetAfter, activation: 'tanh', recurrentActivation: 'sigmoid' };
  }
}
tf.serialization.registerClass(Gru);
