/**
 * `layers.lstm`: a `tf.layers.Layer` running `ops.lstm` (hand-written BPTT), a drop-in for
 * `tf.layers.lstm` with modern Keras defaults, plus peepholes and coupled gates.
 *
 *     i, f, o = σ(x W + h U + b [+ p ⊙ c]),  ĉ = tanh(x W_c + h U_c + b_c)
 *     c_t = f ⊙ c_{t−1} + i ⊙ ĉ,  h_t = o ⊙ tanh(c_t)            (coupled: i = 1 − f)
 *
 * Weights (Keras layout, same names and order as `tf.layers.lstm`): `kernel` [I, 4H],
 * `recurrent_kernel` [H, 4H], `bias` [4H] (blocks i, f, c, o; coupled: [I, 3H], [H, 3H], [3H],
 * blocks f, c, o), then `peephole_i`, `peephole_f`, `peephole_o` [H] (coupled: no `peephole_i`).
 */
import * as tf from '@tensorflow/tfjs';
import { RecurrentLayer, type WeightSpec } from './base.js';
import type { CellVariant } from './cell.js';
import { type InitializerIdentifier, type InitializerLike, resolveInitializer, serializeObject } from './initializers.js';
import { type RecurrentLayerArgs, checkBool, checkFixed, layerError } from './options.js';

export interface LstmLayerArgs extends RecurrentLayerArgs {
  /** Add 1 to the forget gate's initial bias (Jozefowicz et al. 2015); default true, as in Keras. */
  unitForgetBias?: boolean;
  /** Diagonal peephole connections from c to the gates (Gers & Schmidhuber 2000); default false. */
  peephole?: boolean;
  /** Coupled input and forget gates, i = 1 − f (Greff et al. 2017); default false. */
  coupled?: boolean;
  /** Initialiser of the peephole weights (default 'zeros'). */
  peepholeInitializer?: InitializerIdentifier;
  /** Only 'tanh' (accepted so tf.layers.lstm options carry over). */
  activation?: 'tanh';
  /** Only 'sigmoid', the modern Keras default (tf.layers' default is hardSigmoid). */
  recurrentActivation?: 'sigmoid';
}

const KEYS = ['unitForgetBias', 'peephole', 'coupled', 'peepholeInitializer', 'activation', 'recurrentActivation'] as const;

/** Keras' unit forget bias: the bias initialiser per block, ones for the forget block. */
class UnitForgetBias extends tf.serialization.Serializable implements InitializerLike {
  static className = 'RecurrentUnitForgetBias';
  constructor(private readonly base: InitializerLike, private readonly units: number, private readonly forgetBlock: number, private readonly blocks: number) {
    super();
  }
  apply(): tf.Tensor {
    return tf.tidy(() => {
      const H = this.units;
      const parts: tf.Tensor[] = [];
      if (this.forgetBlock > 0) parts.push(this.base.apply([this.forgetBlock * H], 'float32'));
      parts.push(tf.ones([H]));
      const after = this.blocks - this.forgetBlock - 1;
      if (after > 0) parts.push(this.base.apply([after * H], 'float32'));
      return tf.concat(parts);
    });
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
  fromConfigUsesCustomObjects(): boolean {
    return false;
  }
}

/**
 * An LSTM layer driven by `ops.lstm`.
 *
 * @example
 * ```ts
 * const model = tf.sequential({ layers: [
 *   tf.layers.embedding({ inputDim: 100, outputDim: 16, maskZero: true }),
 *   layers.lstm({ units: 32, dropout: 0.1 }),
 *   tf.layers.dense({ units: 1 }),
 * ] });
 * ```
 */
export class Lstm extends RecurrentLayer {
  static className = 'RecurrentLSTM';
  readonly unitForgetBias: boolean;
  readonly peephole: boolean;
  readonly coupled: boolean;
  readonly peepholeInitializer: InitializerLike;

  constructor(args: LstmLayerArgs) {
    super(args, 'lstm', KEYS);
    this.unitForgetBias = checkBool(this.who, 'unitForgetBias', args.unitForgetBias, true);
    this.peephole = checkBool(this.who, 'peephole', args.peephole, false);
    this.coupled = checkBool(this.who, 'coupled', args.coupled, false);
    this.peepholeInitializer = resolveInitializer(`${this.who}: peepholeInitializer`, args.peepholeInitializer ?? 'zeros');
    checkFixed(this.who, 'activation', args.activation, ['tanh'], 'ops.lstm computes tanh');
    checkFixed(this.who, 'recurrentActivation', args.recurrentActivation, ['sigmoid'], 'ops.lstm computes the logistic sigmoid; hardSigmoid models cannot run on it unchanged');
    if (args.peepholeInitializer !== undefined && !this.peephole) layerError(this.who, 'peepholeInitializer needs peephole: true');
  }

  variant(): CellVariant {
    return { op: 'lstm', coupled: this.coupled, peephole: this.peephole };
  }

  protected override biasInit(): InitializerLike {
    if (!this.unitForgetBias) return this.biasInitializer;
    return new UnitForgetBias(this.biasInitializer, this.units, this.coupled ? 0 : 1, this.coupled ? 3 : 4);
  }

  protected override extraWeights(): WeightSpec[] {
    if (!this.peephole) return [];
    const gates = this.coupled ? ['f', 'o'] : ['i', 'f', 'o'];
    return gates.map((g) => ({ name: `peephole_${g}`, shape: [this.units], init: this.peepholeInitializer }));
  }

  protected variantConfig(): tf.serialization.ConfigDict {
    return {
      unitForgetBias: this.unitForgetBias,
      peephole: this.peephole,
      coupled: this.coupled,
      ...(this.peephole ? { peepholeInitializer: serializeObject(this.peepholeInitializer) as unknown as tf.serialization.ConfigDict } : {}),
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
    };
  }
}
tf.serialization.registerClass(Lstm);
