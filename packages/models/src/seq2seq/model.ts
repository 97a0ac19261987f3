/**
 * Encoder–decoder (Sutskever et al. 2014): an LSTM/GRU encoder reads the source (masked, so
 * padding leaves its final state alone); its final state (h, c) is the decoder's initial state
 * h0/c0; the decoder predicts the target one token at a time from the previous one (BOS first).
 *
 *     (h, c) = Enc(x_1..x_S);   s_0 = (h, c);   s_t = Dec(s_{t−1}, E[y_{t−1}]);
 *     p(y_t | y_<t, x) = softmax(W s_t.h + b)
 *
 * Training: teacher forcing (the true y_{t−1} as input, one whole-sequence op call) or, with
 * scheduled sampling (Bengio et al. 2015), step by step, each input replaced by the model's own
 * previous argmax with probability ε. Decoding: greedy and beam search, both scoring a sequence
 * as Σ_t log p(y_t | …) including the final EOS (no length normalisation).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StepContext } from '@recurrent/core';
import { checkInt, dense, embed, maskedCrossEntropy, ParamStore, runCell, type Cell, type CellParams, type CellState, type SavedModel } from '../common/params.js';
import { BOS, EOS, padIds } from '../common/tokens.js';

export interface Seq2SeqConfig {
  cell: Cell;
  /** Source and target vocabulary sizes, including PAD 0, BOS 1, EOS 2. */
  srcVocab: number;
  tgtVocab: number;
  embedding: number;
  hidden: number;
  seed: number;
}

/** A training batch: source ids/mask [B, S]; decoder inputs (BOS y…), targets (y… EOS) and their mask [B, T]. */
export interface Seq2SeqBatch {
  src: tf.Tensor2D;
  srcMask: tf.Tensor2D;
  tgtIn: tf.Tensor2D;
  tgtOut: tf.Tensor2D;
  tgtMask: tf.Tensor2D;
}

/** A decoded sequence (ids without BOS/EOS) and its log-probability Σ log p (EOS included when emitted). */
export interface Decoded {
  ids: number[];
  score: number;
}

/** Builds a batch from (source ids, target ids) pairs. */
export function seq2seqBatch(pairs: readonly { src: readonly number[]; tgt: readonly number[] }[]): Seq2SeqBatch {
  const src = padIds(pairs.map((p) => p.src));
  const tin = padIds(pairs.map((p) => [BOS, ...p.tgt]));
  const tout = padIds(pairs.map((p) => [...p.tgt, EOS]));
  tin.mask.dispose();
  return { src: src.ids, srcMask: src.mask, tgtIn: tin.ids, tgtOut: tout.ids, tgtMask: tout.mask };
}

export class Seq2Seq {
  readonly store: ParamStore;
  private readonly srcEmbed: tf.Variable;
  private readonly tgtEmbed: tf.Variable;
  private readonly enc: CellParams;
  private readonly dec: CellParams;
  private readonly outW: tf.Variable;
  private readonly outB: tf.Variable;

  constructor(readonly config: Seq2SeqConfig) {
    const { srcVocab, tgtVocab, embedding: D, hidden: H, cell } = config;
    for (const k of ['srcVocab', 'tgtVocab', 'embedding', 'hidden'] as const) checkInt('Seq2Seq', k, config[k]);
    this.store = new ParamStore(config.seed);
    this.srcEmbed = this.store.glorot('srcEmbed', srcVocab, D);
    this.tgtEmbed = this.store.glorot('tgtEmbed', tgtVocab, D);
    this.enc = this.store.cell('encoder', cell, D, H);
    this.dec = this.store.cell('decoder', cell, D, H);
    this.outW = this.store.glorot('outW', H, tgtVocab);
    this.outB = this.store.zeros('outB', [tgtVocab]);
  }

  /** The trainable variables by name. */
  get params(): Record<string, tf.Variable> {
    return this.store.vars;
  }

  /** The encoder's final state for src [B, S] with mask [B, S]. */
  encode(src: tf.Tensor2D, srcMask: tf.Tensor2D): CellState {
    return runCell(this.config.cell, embed(src, this.srcEmbed), this.enc, undefined, srcMask).state;
  }

  /** One decoder step: previous tokens [B] → logits [B, V] and the next state. */
  step(tokens: tf.Tensor1D, state: CellState): { logits: tf.Tensor2D; state: CellState } {
    const x = embed(tf.reshape(tokens, [-1, 1]) as tf.Tensor2D, this.tgtEmbed);
    const r = runCell(this.config.cell, x, this.dec, state);
    return { logits: dense(r.state.h, this.outW, this.outB) as tf.Tensor2D, state: r.state };
  }

  /**
   * Mean cross-entropy per target token (EOS included). With `sampling` ε > 0 and a training
   * context, each decoder input after the first is the model's previous argmax with probability ε.
   */
  loss(b: Seq2SeqBatch, ctx?: StepContext, sampling = 0): tf.Scalar {
    const [B, T] = b.tgtIn.shape;
    const V = this.config.tgtVocab;
    const s0 = this.encode(b.src, b.srcMask);
    let logits: tf.Tensor2D;
    if (sampling > 0 && ctx?.training) {
      const steps: tf.Tensor2D[] = [];
      let state = s0;
      let prev: tf.Tensor1D | undefined;
      for (let t = 0; t < T; t++) {
        let input = tf.reshape(tf.slice(b.tgtIn, [0, t], [B, 1]), [B]) as tf.Tensor1D;
        if (prev) {
          const coins = Float32Array.from({ length: B }, () => (ctx.rng.next() < sampling ? 1 : 0));
          input = tf.where(tf.cast(tf.tensor1d(coins), 'bool'), prev, input);
        }
        const o = this.step(input, state);
        steps.push(o.logits);
        // argMax is piecewise constant: no gradient flows through the sampled input.
        prev = tf.cast(tf.argMax(o.logits, 1), 'int32') as tf.Tensor1D;
        state = o.state;
      }
      logits = tf.reshape(tf.stack(steps, 1), [B * T, V]) as tf.Tensor2D;
    } else {
      const seq = runCell(this.config.cell, embed(b.tgtIn, this.tgtEmbed), this.dec, s0).sequence;
      logits = dense(tf.reshape(seq, [B * T, this.config.hidden]), this.outW, this.outB) as tf.Tensor2D;
    }
    return maskedCrossEntropy(logits, tf.reshape(b.tgtOut, [-1]) as tf.Tensor1D, tf.reshape(b.tgtMask, [-1]) as tf.Tensor1D);
  }

  /** log p(tgt EOS | src) under teacher forcing: the score decoding maximises. */
  async score(src: readonly number[], tgt: readonly number[]): Promise<number> {
    const b = seq2seqBatch([{ src, tgt }]);
    const lp = tf.tidy(() => {
      const s0 = this.encode(b.src, b.srcMask);
      const seq = runCell(this.config.cell, embed(b.tgtIn, this.tgtEmbed), this.dec, s0).sequence;
      const logits = dense(tf.reshape(seq, [-1, this.config.hidden]), this.outW, this.outB) as tf.Tensor2D;
      return tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.reshape(b.tgtOut, [-1]) as tf.Tensor1D, this.config.tgtVocab)));
    });
    tf.dispose(Object.values(b));
    const v = (await lp.data())[0]!;
    lp.dispose();
    return v;
  }

  /** Greedy decoding of a batch of sources: argmax at each step until EOS or `maxLength` tokens. */
  async greedy(srcs: readonly (readonly number[])[], maxLength: number): Promise<Decoded[]> {
    const B = srcs.length;
    const out: Decoded[] = srcs.map(() => ({ ids: [], score: 0 }));
    const done = new Array<boolean>(B).fill(false);
    const { ids, mask } = padIds(srcs);
    let state = tf.tidy(() => this.encode(ids, mask));
    tf.dispose([ids, mask]);
    let tokens = tf.fill([B], BOS, 'int32') as tf.Tensor1D;
    for (let t = 0; t <= maxLength && !done.every(Boolean); t++) {
      const [next, lpBest, s] = tf.tidy(() => {
        const o = this.step(tokens, state);
        const lp = tf.logSoftmax(o.logits);
        return [tf.cast(tf.argMax(lp, 1), 'int32'), tf.max(lp, 1), o.state] as const;
      });
      const [nv, lv] = [await next.data(), await lpBest.data()];
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        out[b]!.score += lv[b]!;
        if (nv[b] === EOS) done[b] = true;
        else if (t === maxLength) { out[b]!.score -= lv[b]!; done[b] = true; }
        else out[b]!.ids.push(nv[b]!);
      }
      tf.dispose([tokens, lpBest, state.h, state.c]);
      tokens = next as tf.Tensor1D;
      state = s;
    }
    tf.dispose([tokens, state.h, state.c]);
    return out;
  }

  /**
   * Beam search for one source: keeps the `beam` best partial hypotheses by Σ log p; a hypothesis
   * that emits EOS is finished. Stops when no open hypothesis can beat the best finished one
   * (scores only fall) or after `maxLength` tokens. With beam 1 it is greedy decoding.
   */
  async beamSearch(src: readonly number[], beam: number, maxLength: number): Promise<Decoded> {
    checkInt('beamSearch', 'beam', beam);
    const V = this.config.tgtVocab;
    const { ids, mask } = padIds([src]);
    let state = tf.tidy(() => this.encode(ids, mask));
    tf.dispose([ids, mask]);
    let open: Decoded[] = [{ ids: [], score: 0 }];
    let best: Decoded | undefined;
    let lastOpen = open;
    for (let t = 0; t <= maxLength && open.length > 0; t++) {
      const last = open.map((h) => (h.ids.length ? h.ids[h.ids.length - 1]! : BOS));
      const [lp, s] = tf.tidy(() => {
        const o = this.step(tf.tensor1d(last, 'int32'), state);
        return [tf.logSoftmax(o.logits), o.state] as const;
      });
      const lv = await lp.data();
      lp.dispose();
      const cands: { from: number; token: number; score: number }[] = [];
      open.forEach((h, i) => {
        for (let v = 0; v < V; v++) cands.push({ from: i, token: v, score: h.score + lv[i * V + v]! });
      });
      cands.sort((x, y) => y.score - x.score);
      // The `beam` best extensions: those ending in EOS finish, the rest stay open.
      const kept: typeof cands = [];
      for (const c of cands.slice(0, beam)) {
        if (c.token === EOS) {
          if (!best || c.score > best.score) best = { ids: open[c.from]!.ids, score: c.score };
        } else if (t < maxLength) kept.push(c);
      }
      // Scores only fall as tokens are added: an open hypothesis at or below the best finished one is dead.
      const alive = kept.filter((c) => !best || c.score > best.score);
      lastOpen = open;
      open = alive.map((c) => ({ ids: [...open[c.from]!.ids, c.token], score: c.score }));
      const rows = tf.tensor1d(alive.map((c) => c.from), 'int32');
      tf.dispose([state.h, state.c]);
      state = tf.tidy(() => ({ h: tf.gather(s.h, rows), c: tf.gather(s.c, rows) }));
      tf.dispose([rows, s.h, s.c]);
    }
    tf.dispose([state.h, state.c]);
    // No EOS within maxLength tokens: the best hypothesis of maxLength tokens (as greedy returns).
    return best ?? lastOpen[0] ?? { ids: [], score: -Infinity };
  }

  /** Serialises config and weights to JSON-ready data. */
  async save(): Promise<SavedModel<Seq2SeqConfig>> {
    return { kind: 'seq2seq', config: this.config, weights: await this.store.toJSON() };
  }

  /** Rebuilds a model from {@link Seq2Seq.save}'s output. */
  static load(saved: SavedModel<Seq2SeqConfig>): Seq2Seq {
    if (saved.kind !== 'seq2seq') throw new Error(`Seq2Seq.load: expected kind "seq2seq", found "${saved.kind}"; load it with its own model class`);
    const m = new Seq2Seq(saved.config);
    m.store.load(saved.weights);
    return m;
  }

  dispose(): void {
    this.store.dispose();
  }
}
