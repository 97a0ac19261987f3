/**
 * Sequence tagger (many-to-many, aligned): embedding → LSTM/GRU over the masked sequence,
 * optionally bidirectional (a second op run with `reverse`, outputs concatenated per position)
 * → dense softmax over tags at every position.
 *
 *     →h_t = Cell(→h_{t−1}, E[x_t]);  ←h_t = Cell'(←h_{t+1}, E[x_t]);
 *     p(tag_t | x) = softmax(W [→h_t; ←h_t] + b)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StepContext } from '@recurrent/core';
import { checkInt, dense, embed, maskedCrossEntropy, ParamStore, runCell, type Cell, type CellParams, type SavedModel } from '../common/params.js';
import { padIds } from '../common/tokens.js';

export interface TaggerConfig {
  cell: Cell;
  /** Input ids, including PAD 0. */
  vocab: number;
  tags: number;
  embedding: number;
  hidden: number;
  /** Read the sequence in both directions (default false). */
  bidirectional?: boolean;
  /** Dropout on the recurrent outputs while training (default 0). */
  dropout?: number;
  seed: number;
}

/** ids, mask and tags [B, T] (tags int32; ignored where mask is 0). */
export interface TaggerBatch {
  ids: tf.Tensor2D;
  mask: tf.Tensor2D;
  tags: tf.Tensor2D;
}

export class SequenceTagger {
  readonly store: ParamStore;
  private readonly table: tf.Variable;
  private readonly forward: CellParams;
  private readonly backward: CellParams | undefined;
  private readonly outW: tf.Variable;
  private readonly outB: tf.Variable;

  constructor(readonly config: TaggerConfig) {
    for (const k of ['vocab', 'tags', 'embedding', 'hidden'] as const) checkInt('SequenceTagger', k, config[k]);
    const d = config.dropout ?? 0;
    if (!(d >= 0 && d < 1)) throw new Error(`SequenceTagger: dropout must be in [0, 1), found ${d}`);
    const { cell, embedding: D, hidden: H } = config;
    this.store = new ParamStore(config.seed);
    this.table = this.store.glorot('embed', config.vocab, D);
    this.forward = this.store.cell('forward', cell, D, H);
    this.backward = config.bidirectional ? this.store.cell('backward', cell, D, H) : undefined;
    const width = config.bidirectional ? 2 * H : H;
    this.outW = this.store.glorot('outW', width, config.tags);
    this.outB = this.store.zeros('outB', [config.tags]);
  }

  get params(): Record<string, tf.Variable> {
    return this.store.vars;
  }

  /** Tag logits [B, T, K] for ids [B, T] with mask [B, T]. */
  logits(ids: tf.Tensor2D, mask: tf.Tensor2D, ctx?: StepContext): tf.Tensor3D {
    const x = embed(ids, this.table);
    let h = runCell(this.config.cell, x, this.forward, undefined, mask).sequence;
    if (this.backward) h = tf.concat([h, runCell(this.config.cell, x, this.backward, undefined, mask, true).sequence], 2);
    if (ctx && this.config.dropout) h = ctx.dropout(h, this.config.dropout);
    return dense(h, this.outW, this.outB) as tf.Tensor3D;
  }

  /** Mean cross-entropy per real (unmasked) token. */
  loss(b: TaggerBatch, ctx?: StepContext): tf.Scalar {
    const logits = tf.reshape(this.logits(b.ids, b.mask, ctx), [-1, this.config.tags]) as tf.Tensor2D;
    return maskedCrossEntropy(logits, tf.reshape(b.tags, [-1]) as tf.Tensor1D, tf.reshape(b.mask, [-1]) as tf.Tensor1D);
  }

  /** The most likely tag at each position of each sequence (same lengths as the inputs). */
  async predict(seqs: readonly (readonly number[])[]): Promise<number[][]> {
    const { ids, mask } = padIds(seqs);
    const best = tf.tidy(() => tf.argMax(this.logits(ids, mask), 2));
    const v = (await best.array()) as number[][];
    tf.dispose([ids, mask, best]);
    return v.map((row, b) => row.slice(0, seqs[b]!.length));
  }

  async save(): Promise<SavedModel<TaggerConfig>> {
    return { kind: 'tagger', config: this.config, weights: await this.store.toJSON() };
  }

  static load(saved: SavedModel<TaggerConfig>): SequenceTagger {
    if (saved.kind !== 'tagger') throw new Error(`SequenceTagger.load: expected kind "tagger", found "${saved.kind}"; load it with its own model class`);
    const m = new SequenceTagger(saved.config);
    m.store.load(saved.weights);
    return m;
  }

  dispose(): void {
    this.store.dispose();
  }
}
