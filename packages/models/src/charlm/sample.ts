/**
 * Sampling from the character model. `CharGenerator` is stateful: it keeps each layer's recurrent
 * state, so feeding a priming text and then drawing characters costs one one-step forward per
 * character — the prefix is consumed once and never re-run. Draws use temperature, top-k and top-p
 * (nucleus) filtering on the host (V is small) from a seeded generator, so the same seed gives the
 * same text.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@recurrent/core';
import type { CharRnn, CharState } from './model.js';
import type { Vocabulary } from './vocab.js';

export interface SampleOptions {
  /** Softmax temperature τ > 0: p_i ∝ exp(z_i / τ). Default 1. */
  temperature?: number;
  /** Keep only the k most likely characters (default: all). */
  topK?: number;
  /** Keep the smallest set of most likely characters whose probability reaches p ∈ (0, 1] (default 1). */
  topP?: number;
}

/** Checks sampling options, naming the one that is wrong. */
export function validateSampleOptions(o: SampleOptions): void {
  if (o.temperature !== undefined && !(o.temperature > 0 && Number.isFinite(o.temperature))) throw new Error(`sample: temperature must be a finite number > 0, got ${o.temperature}`);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 1)) throw new Error(`sample: topK must be an integer ≥ 1, got ${o.topK}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) throw new Error(`sample: topP must be in (0, 1], got ${o.topP}`);
}

/**
 * The distribution draws come from: softmax(z/τ), restricted to the top k, then to the smallest
 * prefix (by decreasing probability) whose mass reaches p, renormalised. Returns [index, prob]
 * pairs, most likely first.
 *
 * @example
 * ```ts
 * filteredDistribution(Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)]), { topP: 0.7 });
 * // [[0, 0.625], [1, 0.375]]   (0.5 < 0.7 ≤ 0.5 + 0.3; renormalised by 0.8)
 * ```
 */
export function filteredDistribution(logits: ArrayLike<number>, options: SampleOptions = {}): [number, number][] {
  validateSampleOptions(options);
  const temperature = options.temperature ?? 1;
  const order = Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]!);
  const k = Math.min(options.topK ?? order.length, order.length);
  const keep = order.slice(0, k);
  const max = logits[keep[0]!]!;
  const w = keep.map((i) => Math.exp((logits[i]! - max) / temperature));
  let total = w.reduce((a, b) => a + b, 0);
  let n = keep.length;
  const topP = options.topP ?? 1;
  if (topP < 1) {
    let mass = 0;
    for (n = 0; n < keep.length; ) {
      mass += w[n]! / total;
      n++;
      if (mass >= topP - 1e-12) break;
    }
    total = w.slice(0, n).reduce((a, b) => a + b, 0);
  }
  return keep.slice(0, n).map((i, j) => [i, w[j]! / total]);
}

/** Draws an index from logits (see {@link filteredDistribution}) with a uniform u ∈ [0, 1). */
export function drawFromLogits(logits: ArrayLike<number>, options: SampleOptions, u: number): number {
  const dist = filteredDistribution(logits, options);
  let r = u;
  for (const [i, p] of dist) {
    r -= p;
    if (r < 0) return i;
  }
  return dist[dist.length - 1]![0];
}

/**
 * Everything a {@link CharGenerator} carries, on the host: per layer h (and c for an LSTM), each
 * [H]; the logits [V] of the next character once something was read; the sampler's uint32 state.
 * A generator restored from it on another backend (or another model instance with the same
 * weights) continues with the same draws.
 */
export interface GeneratorSnapshot {
  state: { h: Float32Array; c?: Float32Array }[];
  logits?: Float32Array;
  rng: number;
}

/**
 * A stateful character generator (batch 1).
 *
 * @example
 * ```ts
 * const g = new CharGenerator(model, vocab, { seed: 1 });
 * g.feed('ROMEO:');                           // the prefix, once
 * let text = ''; for (let i = 0; i < 200; i++) text += await g.next({ temperature: 0.8 });
 * g.dispose();
 * ```
 */
export class CharGenerator {
  private state: CharState;
  private logits: tf.Tensor2D | undefined;
  private readonly rng: Rng;

  constructor(private readonly model: CharRnn, private readonly vocab: Vocabulary, options: { seed?: number } = {}) {
    this.state = model.zeroState(1);
    this.rng = new Rng(options.seed ?? 1);
  }

  /** Advances the state over `text` (its characters must be in the vocabulary). */
  feed(text: string): void {
    for (const id of this.vocab.encode(text)) this.step(id);
  }

  private step(id: number): void {
    const out = tf.tidy(() => {
      const r = this.model.forward(tf.tensor2d([id], [1, 1], 'int32'), this.state);
      return { logits: r.logits, state: r.state };
    });
    tf.dispose(this.state.flatMap((s) => Object.values(s)));
    this.logits?.dispose();
    this.state = out.state;
    this.logits = out.logits;
  }

  /** Draws the next character, feeds it back, and returns it. Feeds the first vocabulary character if nothing was fed yet. */
  async next(options: SampleOptions = {}): Promise<string> {
    if (this.logits === undefined) this.step(0);
    const logits = await this.logits!.data();
    const id = drawFromLogits(logits, options, this.rng.next());
    this.step(id);
    return this.vocab.chars[id]!;
  }

  /** Reads the generator's state to the host (see {@link GeneratorSnapshot}). */
  async snapshot(): Promise<GeneratorSnapshot> {
    const state: GeneratorSnapshot['state'] = [];
    for (const s of this.state) state.push({ h: (await s.h.data()) as Float32Array, ...('c' in s ? { c: (await s.c.data()) as Float32Array } : {}) });
    return { state, ...(this.logits ? { logits: (await this.logits.data()) as Float32Array } : {}), rng: this.rng.state };
  }

  /**
   * Replaces the generator's state with `snapshot`, on the active backend: the cheap way to carry
   * a generation across a backend switch instead of re-reading the text.
   */
  restore(snapshot: GeneratorSnapshot): void {
    const { layers, hidden: H, cell, vocabSize: V } = this.model.config;
    const found = snapshot.state.map((s) => `h[${s.h.length}]${s.c ? ` c[${s.c.length}]` : ''}`).join(', ');
    const fits = snapshot.state.length === layers && snapshot.state.every((s) => s.h.length === H && (cell === 'lstm' ? s.c?.length === H : s.c === undefined));
    if (!fits || (snapshot.logits !== undefined && snapshot.logits.length !== V)) {
      throw new Error(`CharGenerator.restore: the snapshot (${found}${snapshot.logits ? `; logits[${snapshot.logits.length}]` : ''}) does not fit this ${layers}-layer ${cell} of ${H} units and ${V} characters`);
    }
    this.dispose();
    this.state = snapshot.state.map((s) => (s.c ? { h: tf.tensor2d(s.h, [1, H]), c: tf.tensor2d(s.c, [1, H]) } : { h: tf.tensor2d(s.h, [1, H]) }));
    if (snapshot.logits) this.logits = tf.tensor2d(snapshot.logits, [1, V]);
    this.rng.state = snapshot.rng;
  }

  dispose(): void {
    tf.dispose(this.state.flatMap((s) => Object.values(s)));
    this.logits?.dispose();
    this.logits = undefined;
  }
}

/**
 * `length` characters after `prime` (not included), drawn one at a time.
 *
 * @example
 * ```ts
 * for await (const ch of generate(model, vocab, 'ROMEO:', 200, { temperature: 0.8 }, 1)) process.stdout.write(ch);
 * ```
 */
export async function* generate(model: CharRnn, vocab: Vocabulary, prime: string, length: number, options: SampleOptions = {}, seed = 1): AsyncGenerator<string> {
  validateSampleOptions(options);
  const g = new CharGenerator(model, vocab, { seed });
  try {
    g.feed(prime);
    for (let n = 0; n < length; n++) yield await g.next(options);
  } finally {
    g.dispose();
  }
}

/** The whole sample as a string. */
export async function sampleText(model: CharRnn, vocab: Vocabulary, prime: string, length: number, options: SampleOptions = {}, seed = 1): Promise<string> {
  let s = '';
  for await (const ch of generate(model, vocab, prime, length, options, seed)) s += ch;
  return s;
}
