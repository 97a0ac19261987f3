/**
 * `layers.bidirectional`: one of our recurrent layers run forward and backward over the sequence
 * (Schuster & Paliwal 1997), outputs merged by concat, sum, mul or ave — Keras' `Bidirectional`,
 * for our layers.
 *
 *     y_t = merge(→h_t, ←h_t)     ←h_t: the backward layer's state after consuming x_{T−1} … x_t
 *
 * The two directions are clones of the given layer (`forward_<name>`, `backward_<name>` with
 * `goBackwards` flipped), whose weights are named `<bidi>/forward_<name>/kernel` … exactly as
 * Keras names them, so a saved model maps one-to-one onto a Keras `Bidirectional`. Unlike
 * tfjs-layers' wrapper, the directions' regularisation losses reach `model.fit`.
 */
import * as tf from '@tensorflow/tfjs';
import { type ApplyIO, type Kwargs, RecurrentLayer, applyWithInitialStates, callInputs } from './base.js';
import type { SerializedObject } from './initializers.js';
import { type LayerArgs, checkKnownKeys, layerError } from './options.js';
import { cloneRecurrent, deserializeRecurrent } from './registry.js';

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';
const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave'];

export interface BidirectionalArgs extends LayerArgs {
  /** The layer to run in both directions (a template: it is cloned, not used itself). */
  layer: RecurrentLayer | SerializedObject;
  /** How the two directions' outputs combine (default 'concat'). */
  mergeMode?: MergeMode;
}

const KEYS = ['layer', 'mergeMode', 'name', 'inputShape', 'batchInputShape', 'batchSize', 'dtype', 'trainable', 'weights', 'inputDType', 'customObjects'];

/**
 * A bidirectional wrapper around `layers.lstm` / `gru` / `simpleRnn`.
 *
 * @example
 * ```ts
 * const encoder = layers.bidirectional({ layer: layers.gru({ units: 32, returnSequences: true }), mergeMode: 'concat' });
 * const y = encoder.apply(x) as tf.Tensor; // [B, T, 64]
 * ```
 */
export class Bidirectional extends tf.layers.Layer {
  static className = 'RecurrentBidirectional';
  readonly forwardLayer: RecurrentLayer;
  readonly backwardLayer: RecurrentLayer;
  readonly mergeMode: MergeMode;
  private readonly template: SerializedObject;

  constructor(args: BidirectionalArgs) {
    super(args);
    const who = `bidirectional '${this.name}'`;
    checkKnownKeys(who, args, KEYS);
    const given = args.layer as unknown;
    if (given instanceof tf.layers.Layer && !(given instanceof RecurrentLayer)) {
      layerError(who, `layer must be one of layers.lstm, layers.gru, layers.simpleRnn, got ${given.getClassName()}`);
    }
    const template = given instanceof RecurrentLayer ? given : deserializeRecurrent(who, args.layer as SerializedObject);
    const mode = args.mergeMode ?? 'concat';
    if (!MERGE_MODES.includes(mode)) layerError(who, `mergeMode must be one of ${MERGE_MODES.join(', ')}, got ${JSON.stringify(args.mergeMode)}`);
    this.mergeMode = mode;
    this.template = { className: template.getClassName(), config: template.getConfig() };
    const name = template.name;
    this.forwardLayer = cloneRecurrent(who, this.template, { name: `forward_${name}` });
    this.backwardLayer = cloneRecurrent(who, this.template, { name: `backward_${name}`, goBackwards: !template.goBackwards });
    this._stateful = template.stateful;
    this.supportsMasking = true;
    this.inputSpec = [new tf.InputSpec({ ndim: 3 })];
  }

  get returnSequences(): boolean {
    return this.forwardLayer.returnSequences;
  }
  get returnState(): boolean {
    return this.forwardLayer.returnState;
  }
  get who(): string {
    return `bidirectional '${this.name}'`;
  }

  private check(x: { shape: readonly (number | null)[] }, states: readonly { shape: readonly (number | null)[] }[] | undefined): void {
    this.forwardLayer.checkInputShape(x.shape);
    if (states === undefined) return;
    const n = this.forwardLayer.stateSize;
    if (states.length !== 2 * n) layerError(this.who, `expects ${2 * n} initial states (forward ${n === 2 ? '[h, c]' : '[h]'} then backward), got ${states.length}`);
    this.forwardLayer.checkStates(states.slice(0, n), x.shape[0] ?? null);
    this.backwardLayer.checkStates(states.slice(n), x.shape[0] ?? null);
  }

  override apply(inputs: ApplyIO, kwargs: Kwargs = {}): ApplyIO {
    return applyWithInitialStates(this, (i, k) => super.apply(i, k), inputs, kwargs, (x, states) => this.check(x, states));
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    this.buildNested((Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape, '');
  }

  /** Builds both directions under `<scope>/forward_<name>` and `<scope>/backward_<name>` (a stack's member). */
  buildNested(shape: tf.Shape, scope: string): void {
    this.forwardLayer.checkInputShape(shape);
    const prefix = scope === '' ? '' : `${scope}/`;
    this.forwardLayer.buildNested(shape, `${prefix}${this.forwardLayer.name}`);
    this.backwardLayer.buildNested(shape, `${prefix}${this.backwardLayer.name}`);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const { x, states, mask } = callInputs(inputs, kwargs);
      this.check(x, states);
      const n = this.forwardLayer.stateSize;
      const sub = (s: tf.Tensor[] | undefined): Kwargs => ({ mask, training: kwargs.training, ...(s ? { initialState: s } : {}) });
      const f = [this.forwardLayer.call(x, sub(states?.slice(0, n)))].flat();
      const b = [this.backwardLayer.call(x, sub(states?.slice(n)))].flat();
      // The backward layer outputs in processing order; put its sequence back in input order.
      const yb = this.returnSequences ? tf.reverse(b[0]!, 1) : b[0]!;
      const yf = f[0]!;
      const merged =
        this.mergeMode === 'concat' ? tf.concat([yf, yb], -1)
          : this.mergeMode === 'sum' ? tf.add(yf, yb)
            : this.mergeMode === 'mul' ? tf.mul(yf, yb)
              : tf.mul(tf.add(yf, yb), 0.5);
      return this.returnState ? [merged, ...f.slice(1), ...b.slice(1)] : merged;
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const fwd = this.forwardLayer.computeOutputShape(inputShape);
    const shapes = (this.returnState ? fwd : [fwd]) as tf.Shape[];
    const out = [...shapes[0]!];
    if (this.mergeMode === 'concat') out[out.length - 1] = 2 * this.forwardLayer.units;
    return this.returnState ? [out, ...shapes.slice(1), ...shapes.slice(1)] : out;
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const m = (Array.isArray(mask) ? mask[0] : mask) ?? null;
    const out = this.returnSequences ? m : null;
    const nulls = Array.from({ length: 2 * this.forwardLayer.stateSize }, () => null);
    return (this.returnState ? [out, ...nulls] : out) as tf.Tensor | tf.Tensor[];
  }

  override get trainableWeights(): tf.LayerVariable[] {
    if (this.forwardLayer === undefined) return []; // during super()
    return this.trainable ? [...this.forwardLayer.trainableWeights, ...this.backwardLayer.trainableWeights] : [];
  }
  override get nonTrainableWeights(): tf.LayerVariable[] {
    if (this.forwardLayer === undefined) return [];
    const all = [...this.forwardLayer.weights, ...this.backwardLayer.weights];
    return this.trainable ? [...this.forwardLayer.nonTrainableWeights, ...this.backwardLayer.nonTrainableWeights] : all;
  }

  override calculateLosses(): tf.Scalar[] {
    return [...this.forwardLayer.calculateLosses(), ...this.backwardLayer.calculateLosses()];
  }

  override resetStates(): void {
    this.forwardLayer.resetStates();
    this.backwardLayer.resetStates();
  }

  override setFastWeightInitDuringBuild(value: boolean): void {
    super.setFastWeightInitDuringBuild(value);
    this.forwardLayer?.setFastWeightInitDuringBuild(value);
    this.backwardLayer?.setFastWeightInitDuringBuild(value);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mergeMode: this.mergeMode, layer: this.template as unknown as tf.serialization.ConfigDict };
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0) {
      this.forwardLayer.releaseStates();
      this.backwardLayer.releaseStates();
    }
    return result;
  }
}
tf.serialization.registerClass(Bidirectional);
