/**
 * Seq2seq data made on the fly: random strings over a small alphabet and a transformation of
 * them (reversal by default). Training batches depend only on the trainer's seeded generator;
 * a held-out set drawn from another seed is excluded from training by exact string.
 */
import { Rng, type TrainData } from '@recurrent/core';
import { Vocab } from '../common/tokens.js';
import { seq2seqBatch, type Seq2SeqBatch } from './model.js';

export interface StringTaskConfig {
  alphabet: string;
  minLength: number;
  maxLength: number;
  /** The target of a source string (default: its reversal). */
  transform?: (s: string) => string;
}

/** A string transformation task: the vocabulary, example drawing, batches and a held-out set. */
export class StringTask {
  readonly vocab: Vocab;
  readonly transform: (s: string) => string;
  private readonly heldOut = new Set<string>();

  constructor(readonly config: StringTaskConfig) {
    const { alphabet, minLength, maxLength } = config;
    if (!(Number.isInteger(minLength) && minLength >= 1 && maxLength >= minLength)) {
      throw new Error(`StringTask: expected 1 ≤ minLength ≤ maxLength, found ${minLength} and ${maxLength}`);
    }
    this.vocab = new Vocab([...new Set(alphabet)]);
    this.transform = config.transform ?? ((s) => [...s].reverse().join(''));
  }

  /** A random source string. */
  draw(rng: Rng): string {
    const { alphabet, minLength, maxLength } = this.config;
    const n = minLength + rng.int(maxLength - minLength + 1);
    return Array.from({ length: n }, () => alphabet[rng.int(alphabet.length)]!).join('');
  }

  /** `n` distinct strings from `seed`, reserved: training never draws them. */
  holdOut(n: number, seed: number): string[] {
    const rng = new Rng(seed);
    const out: string[] = [];
    while (out.length < n) {
      const s = this.draw(rng);
      if (!this.heldOut.has(s)) {
        this.heldOut.add(s);
        out.push(s);
      }
    }
    return out;
  }

  /** Source and target ids of a string. */
  pair(s: string): { src: number[]; tgt: number[] } {
    return { src: this.vocab.encode([...s]), tgt: this.vocab.encode([...this.transform(s)]) };
  }

  /** Training batches of `batch` fresh (non-held-out) strings. */
  data(batch: number): TrainData<Seq2SeqBatch> {
    return {
      batch: (_position, rng) => {
        const pairs: { src: number[]; tgt: number[] }[] = [];
        while (pairs.length < batch) {
          const s = this.draw(rng);
          if (!this.heldOut.has(s)) pairs.push(this.pair(s));
        }
        return seq2seqBatch(pairs);
      },
      tokensPerBatch: batch * (this.config.maxLength + 1),
    };
  }
}
