/**
 * A tagging task that needs context on both sides, made on the fly. Strings over vowels,
 * consonants and digits; each character is tagged with its class (V, C, D) and whether it ends
 * its run of that class ("V." when the next character is of another class or the string ends):
 *
 *     "ab12e" → V. C. D D. V.      "bcd" → C C C.
 *
 * The class is local; the run end needs the next character, so a left-to-right tagger is capped
 * below 100% while a bidirectional one can reach it.
 */
import { Rng, type TrainData } from '@recurrent/core';
import { padIds, Vocab } from '../common/tokens.js';
import type { TaggerBatch } from './model.js';

export const CLASSES = { V: 'aeiou', C: 'bcdfgkmst', D: '0123456789' } as const;
/** The six tags, in id order. */
export const TAGS = ['V', 'V.', 'C', 'C.', 'D', 'D.'] as const;

const classOf = (ch: string): 'V' | 'C' | 'D' => {
  for (const k of ['V', 'C', 'D'] as const) if (CLASSES[k].includes(ch)) return k;
  throw new Error(`runTags: expected a vowel, consonant or digit, found "${ch}"`);
};

/** The tag ids (indices into TAGS) of a string. */
export function runTags(text: string): number[] {
  return [...text].map((ch, i) => {
    const k = classOf(ch);
    const ends = i === text.length - 1 || classOf(text[i + 1]!) !== k;
    return TAGS.indexOf(ends ? `${k}.` : k);
  });
}

export class RunTagTask {
  readonly vocab = new Vocab([...CLASSES.V, ...CLASSES.C, ...CLASSES.D]);

  constructor(readonly minLength = 3, readonly maxLength = 14) {
    if (!(Number.isInteger(minLength) && minLength >= 1 && maxLength >= minLength)) throw new Error(`RunTagTask: expected 1 ≤ minLength ≤ maxLength, found ${minLength} and ${maxLength}`);
  }

  /** A random string built of runs (lengths 1–3) of random classes. */
  draw(rng: Rng): string {
    const n = this.minLength + rng.int(this.maxLength - this.minLength + 1);
    let s = '';
    while (s.length < n) {
      const set = [CLASSES.V, CLASSES.C, CLASSES.D][rng.int(3)]!;
      for (let r = 1 + rng.int(3); r > 0 && s.length < n; r--) s += set[rng.int(set.length)]!;
    }
    return s;
  }

  batch(texts: readonly string[]): TaggerBatch {
    const { ids, mask } = padIds(texts.map((t) => this.vocab.encode([...t])));
    const tags = padIds(texts.map(runTags));
    tags.mask.dispose();
    return { ids, mask, tags: tags.ids };
  }

  data(batch: number): TrainData<TaggerBatch> {
    return { batch: (_p, rng) => this.batch(Array.from({ length: batch }, () => this.draw(rng))) };
  }
}
