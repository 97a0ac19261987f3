/**
 * A classification task made on the fly: does a random string contain a pattern? Half the
 * strings have it planted at a random place, the other half are redrawn until they lack it, so
 * chance is 50% and the label depends on an order-sensitive run of symbols anywhere in the string.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, type TrainData } from '@recurrent/core';
import { padIds, Vocab } from '../common/tokens.js';
import type { ClassifierBatch } from './model.js';

export interface PatternTaskConfig {
  alphabet: string;
  pattern: string;
  minLength: number;
  maxLength: number;
}

export class PatternTask {
  readonly vocab: Vocab;

  constructor(readonly config: PatternTaskConfig) {
    const { alphabet, pattern, minLength, maxLength } = config;
    if (!(minLength >= pattern.length && maxLength >= minLength)) {
      throw new Error(`PatternTask: expected pattern length (${pattern.length}) ≤ minLength ≤ maxLength, found ${minLength} and ${maxLength}`);
    }
    if ([...pattern].some((c) => !alphabet.includes(c))) throw new Error(`PatternTask: pattern "${pattern}" uses symbols outside the alphabet "${alphabet}"`);
    this.vocab = new Vocab([...alphabet]);
  }

  /** A string and its label (1: contains the pattern). */
  draw(rng: Rng): { text: string; label: number } {
    const { alphabet, pattern, minLength, maxLength } = this.config;
    const n = minLength + rng.int(maxLength - minLength + 1);
    const random = () => Array.from({ length: n }, () => alphabet[rng.int(alphabet.length)]!).join('');
    if (rng.next() < 0.5) {
      const s = random();
      const at = rng.int(n - pattern.length + 1);
      return { text: s.slice(0, at) + pattern + s.slice(at + pattern.length), label: 1 };
    }
    let s = random();
    while (s.includes(pattern)) s = random();
    return { text: s, label: 0 };
  }

  /** A batch of the given examples. */
  batch(examples: readonly { text: string; label: number }[]): ClassifierBatch {
    const { ids, mask } = padIds(examples.map((e) => this.vocab.encode([...e.text])));
    return { ids, mask, labels: tf.tensor1d(examples.map((e) => e.label), 'int32') };
  }

  data(batch: number): TrainData<ClassifierBatch> {
    return { batch: (_p, rng) => this.batch(Array.from({ length: batch }, () => this.draw(rng))) };
  }
}
