/**
 * Sequence classifier (many-to-one): embedding → LSTM/GRU over the masked sequence → the final
 * state h_T (the state after the last real token; padding carries it) → dense softmax over classes.
 *
 *     h_t = Cell(h_{t−1}, E[x_t]) where mask_t = 1, else h_{t−1};   p(y | x) = softmax(W h_T + b)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StepContext } from '@recurrent/core';
import { checkInt, dense, embed, maskedCrossEntropy, ParamStore, runCell, type Cell, type CellParams, type SavedModel } from '../common/params.js';
import { padIds } from '../common/tokens.js';

export interface ClassifierConfig {
  cell: Cell;
  /** Input ids, including PAD 0. */
  vocab: number;
  classes: number;
  embedding: number;
  hidden: number;
  /** Dropout on h_T before the read-out while training (default 0). */
  dropout?: number;
  seed: number;
}

/** ids and mask [B, T]; labels [B] (int32). */
export interface ClassifierBatch {
  ids: tf.Tensor2D;
  mask: tf.Tensor2D;
  labels: tf.Tensor1D;
}

export class SequenceClassifier {
  readonly store: ParamStore;
  private readonly table: tf.Variable;
  private readonly rnn: CellParams;
  private readonly outW: tf.Variable;
  private readonly outB: tf.Variable;

  constructor(readonly config: ClassifierConfig) {
    for (const k of ['vocab', 'classes', 'embedding', 'hidden'] as const) checkInt('SequenceClassifier', k, config[k]);
    const d = config.dropout ?? 0;
    if (!(d >= 0 && d < 1)) throw new Error(`SequenceClassifier: dropout must be in [0, 1), found ${d}`);
    this.store = new ParamStore(config.seed);
    this.table = this.store.glorot('embed', config.vocab, config.embedding);
    this.rnn = this.store.cell('rnn', config.cell, config.embedding, config.hidden);
    this.outW = this.store.glorot('outW', config.hidden, config.classes);
    this.outB = this.store.zeros('outB', [config.classes]);
  }

  get params(): Record<string, tf.Variable> {
    return this.store.vars;
  }

  /** Class logits [B, C] for ids [B, T] with mask [B, T]. */
  logits(ids: tf.Tensor2D, mask: tf.Tensor2D, ctx?: StepContext): tf.Tensor2D {
    let h = runCell(this.config.cell, embed(ids, this.table), this.rnn, undefined, mask).state.h;
    if (ctx && this.config.dropout) h = ctx.dropout(h, this.config.dropout);
    return dense(h, this.outW, this.outB) as tf.Tensor2D;
  }

  /** Mean cross-entropy of the batch's labels. */
  loss(b: ClassifierBatch, ctx?: StepContext): tf.Scalar {
    return maskedCrossEntropy(this.logits(b.ids, b.mask, ctx), b.labels);
  }

  /** Class probabilities per sequence (rows sum to 1). */
  async probabilities(seqs: readonly (readonly number[])[]): Promise<number[][]> {
    const { ids, mask } = padIds(seqs);
    const p = tf.tidy(() => tf.softmax(this.logits(ids, mask)));
    const v = await p.array();
    tf.dispose([ids, mask, p]);
    return v as number[][];
  }

  /** The most likely class of each sequence. */
  async predict(seqs: readonly (readonly number[])[]): Promise<number[]> {
    return (await this.probabilities(seqs)).map((row) => row.indexOf(Math.max(...row)));
  }

  async save(): Promise<SavedModel<ClassifierConfig>> {
    return { kind: 'classifier', config: this.config, weights: await this.store.toJSON() };
  }

  static load(saved: SavedModel<ClassifierConfig>): SequenceClassifier {
    if (saved.kind !== 'classifier') throw new Error(`SequenceClassifier.load: expected kind "classifier", found "${saved.kind}"; load it with its own model class`);
    const m = new SequenceClassifier(saved.config);
    m.store.load(saved.weights);
    return m;
  }

  dispose(): void {
    this.store.dispose();
  }
}
