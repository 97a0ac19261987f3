/**
 * Conditioned generator (one-to-many), as in image captioning (Vinyals et al. 2015): a small
 * convolutional encoder turns the image into a feature vector f; f initialises the decoder's
 * state (h0, c0) = tanh(W_s f + b_s) split in two; an LSTM/GRU decoder then emits the caption
 * word by word from BOS, teacher-forced in training, greedy at inference.
 *
 * Encoder: two blocks of 3×3 convolution (same padding) → ReLU → 2×2 max-pool, then flatten.
 * The convolution is written as im2col (nine shifted slices concatenated along channels, then
 * one matMul), because the wasm backend has no Conv2DBackpropFilter kernel; slice, concat and
 * matMul have gradients on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StepContext } from '@recurrent/core';
import { checkInt, dense, embed, maskedCrossEntropy, ParamStore, runCell, type Cell, type CellParams, type CellState, type SavedModel } from '../common/params.js';
import { BOS, EOS } from '../common/tokens.js';
import type { CaptionBatch } from './data.js';

export interface CaptionerConfig {
  cell: Cell;
  /** Image side (multiple of 4) and channels. */
  imageSize: number;
  channels: number;
  /** Filters of the two convolution blocks. */
  filters: [number, number];
  /** Caption vocabulary size, including PAD 0, BOS 1, EOS 2. */
  vocab: number;
  embedding: number;
  hidden: number;
  seed: number;
}

/** 3×3 same-padded convolution of x [B, S, S, C] by w [9C, F] (im2col) + b [F]. */
function conv3x3(x: tf.Tensor4D, w: tf.Variable, b: tf.Variable): tf.Tensor4D {
  const [B, S, , C] = x.shape;
  const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const patches: tf.Tensor4D[] = [];
  for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) patches.push(tf.slice(padded, [0, dy, dx, 0], [B, S, S, C]));
  const cols = tf.reshape(tf.concat(patches, 3), [B * S * S, 9 * C]) as tf.Tensor2D;
  return tf.reshape(tf.add(tf.matMul(cols, w as tf.Tensor as tf.Tensor2D), b), [B, S, S, w.shape[1]!]) as tf.Tensor4D;
}

export class Captioner {
  readonly store: ParamStore;
  private readonly conv: { w: tf.Variable; b: tf.Variable }[];
  private readonly stateW: tf.Variable;
  private readonly stateB: tf.Variable;
  private readonly table: tf.Variable;
  private readonly dec: CellParams;
  private readonly outW: tf.Variable;
  private readonly outB: tf.Variable;

  constructor(readonly config: CaptionerConfig) {
    for (const k of ['imageSize', 'channels', 'vocab', 'embedding', 'hidden'] as const) checkInt('Captioner', k, config[k]);
    if (config.imageSize % 4 !== 0) throw new Error(`Captioner: imageSize must be a multiple of 4 (two 2×2 pools), found ${config.imageSize}`);
    const [F1, F2] = config.filters;
    const H = config.hidden;
    this.store = new ParamStore(config.seed);
    this.conv = [
      { w: this.store.glorot('conv1.w', 9 * config.channels, F1), b: this.store.zeros('conv1.b', [F1]) },
      { w: this.store.glorot('conv2.w', 9 * F1, F2), b: this.store.zeros('conv2.b', [F2]) },
    ];
    const features = (config.imageSize / 4) ** 2 * F2;
    this.stateW = this.store.glorot('stateW', features, 2 * H);
    this.stateB = this.store.zeros('stateB', [2 * H]);
    this.table = this.store.glorot('embed', config.vocab, config.embedding);
    this.dec = this.store.cell('decoder', config.cell, config.embedding, H);
    this.outW = this.store.glorot('outW', H, config.vocab);
    this.outB = this.store.zeros('outB', [config.vocab]);
  }

  get params(): Record<string, tf.Variable> {
    return this.store.vars;
  }

  /** The feature vector f [B, (S/4)²·F2] of images [B, S, S, C]. */
  features(images: tf.Tensor4D): tf.Tensor2D {
    let x = images;
    for (const { w, b } of this.conv) x = tf.maxPool(tf.relu(conv3x3(x, w, b)), 2, 2, 'valid');
    return tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
  }

  /** The decoder's initial state from the images: (h0, c0) = split(tanh(W_s f + b_s)). */
  initialState(images: tf.Tensor4D): CellState {
    const s = tf.tanh(dense(this.features(images), this.stateW, this.stateB));
    const [h, c] = tf.split(s, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    return { h, c };
  }

  /** Mean cross-entropy per caption word (EOS included), teacher-forced. */
  loss(b: CaptionBatch, _ctx?: StepContext): tf.Scalar {
    const [B, T] = b.wordsIn.shape;
    const seq = runCell(this.config.cell, embed(b.wordsIn, this.table), this.dec, this.initialState(b.images)).sequence;
    const logits = dense(tf.reshape(seq, [B * T, this.config.hidden]), this.outW, this.outB) as tf.Tensor2D;
    return maskedCrossEntropy(logits, tf.reshape(b.wordsOut, [-1]) as tf.Tensor1D, tf.reshape(b.mask, [-1]) as tf.Tensor1D);
  }

  /** Greedy captions (word ids, without EOS) for images [B, S, S, C], at most `maxLength` words. */
  async caption(images: tf.Tensor4D, maxLength = 12): Promise<number[][]> {
    const B = images.shape[0];
    const out: number[][] = Array.from({ length: B }, () => []);
    const done = new Array<boolean>(B).fill(false);
    let state = tf.tidy(() => this.initialState(images));
    let tokens = tf.fill([B], BOS, 'int32') as tf.Tensor1D;
    for (let t = 0; t < maxLength && !done.every(Boolean); t++) {
      const [next, s] = tf.tidy(() => {
        const r = runCell(this.config.cell, embed(tf.reshape(tokens, [B, 1]) as tf.Tensor2D, this.table), this.dec, state);
        return [tf.cast(tf.argMax(dense(r.state.h, this.outW, this.outB), 1), 'int32') as tf.Tensor1D, r.state] as const;
      });
      const v = await next.data();
      v.forEach((id, b) => {
        if (done[b]) return;
        if (id === EOS) done[b] = true;
        else out[b]!.push(id);
      });
      tf.dispose([tokens, state.h, state.c]);
      tokens = next;
      state = s;
    }
    tf.dispose([tokens, state.h, state.c]);
    return out;
  }

  async save(): Promise<SavedModel<CaptionerConfig>> {
    return { kind: 'captioner', config: this.config, weights: await this.store.toJSON() };
  }

  static load(saved: SavedModel<CaptionerConfig>): Captioner {
    if (saved.kind !== 'captioner') throw new Error(`Captioner.load: expected kind "captioner", found "${saved.kind}"; load it with its own model class`);
    const m = new Captioner(saved.config);
    m.store.load(saved.weights);
    return m;
  }

  dispose(): void {
    this.store.dispose();
  }
}
