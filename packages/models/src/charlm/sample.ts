/**
 * Sampling from the character model: a stateful generator that feeds one character at a time
 * (the prefix is consumed once, never re-run), with temperature and top-k.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CharLstm, LstmState } from './model.js';
import type { Vocabulary } from './vocab.js';

export interface SampleOptions {
  temperature?: number;
  topK?: number;
  /** Uniform random numbers in [0, 1); Math.random by default. */
  random?: () => number;
}

/** Draws an index from logits with temperature and top-k, on the CPU (V is small). */
export function drawFromLogits(logits: Float32Array, options: SampleOptions = {}): number {
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`sample: temperature must be > 0, got ${temperature}`);
  const random = options.random ?? Math.random;
  const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]!);
  const keep = order.slice(0, Math.max(1, Math.min(options.topK ?? order.length, order.length)));
  const max = logits[keep[0]!]!;
  const weights = keep.map((i) => Math.exp((logits[i]! - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let r = random() * total;
  for (let j = 0; j < keep.length; j++) {
    r -= weights[j]!;
    if (r <= 0) return keep[j]!;
  }
  return keep[keep.length - 1]!;
}

/** Generates `length` characters after `prime`, feeding the model one character at a time. */
export async function* generate(model: CharLstm, vocab: Vocabulary, prime: string, length: number, options: SampleOptions = {}): AsyncGenerator<string> {
  const primeIds = vocab.encode(prime.length > 0 ? prime : vocab.chars[0]!);
  let state: LstmState = model.zeroState(1);
  let logits: Float32Array | undefined;
  const feed = async (id: number) => {
    const out = tf.tidy(() => {
      const r = model.forward(tf.tensor2d([id], [1, 1], 'int32'), state);
      return { logits: r.logits, state: r.state };
    });
    tf.dispose(state.flatMap((s) => [s.h, s.c]));
    state = out.state;
    logits = (await out.logits.data()) as Float32Array;
    out.logits.dispose();
  };
  try {
    for (const id of primeIds) await feed(id);
    for (let n = 0; n < length; n++) {
      const id = drawFromLogits(logits!, options);
      yield vocab.chars[id]!;
      await feed(id);
    }
  } finally {
    tf.dispose(state.flatMap((s) => [s.h, s.c]));
  }
}
