/**
 * CharGenerator.snapshot / restore: a generator restored into another model instance with the
 * same weights draws exactly what the original draws next; a snapshot that does not fit the model
 * is refused, naming both shapes; nothing leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { CharRnn, type CharRnnConfig } from './model.js';
import { CharGenerator } from './sample.js';
import { Vocabulary } from './vocab.js';

const vocab = new Vocabulary(['a', 'b', 'c', 'd', 'e']);
const config: CharRnnConfig = { vocabSize: 5, cell: 'lstm', layers: 2, hidden: 7, embedding: 3, dropout: 0, seed: 4 };
const draw = async (g: CharGenerator, n: number) => {
  let s = '';
  for (let i = 0; i < n; i++) s += await g.next({ temperature: 1.3 });
  return s;
};

describe('CharGenerator snapshot', () => {
  it('restored into a twin model, continues with the same characters', async () => {
    const before = tf.memory().numTensors;
    const a = new CharRnn(config);
    const b = new CharRnn(config); // same seed: same weights, separate variables
    const ga = new CharGenerator(a, vocab, { seed: 9 });
    ga.feed('abcab');
    await draw(ga, 4);
    const snap = await ga.snapshot();
    expect(snap.state.map((s) => [s.h.length, s.c?.length])).toEqual([[7, 7], [7, 7]]);
    expect(snap.logits).toHaveLength(5);
    const gb = new CharGenerator(b, vocab, { seed: 12345 });
    gb.restore(snap);
    const next = await draw(ga, 30);
    expect(await draw(gb, 30)).toBe(next);
    // A fresh generator with the same seed but without the restored state draws something else.
    const gc = new CharGenerator(b, vocab, { seed: 9 });
    expect(await draw(gc, 30)).not.toBe(next);
    for (const x of [ga, gb, gc, a, b]) x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a snapshot that does not fit the model', async () => {
    const small = new CharRnn({ ...config, hidden: 3 });
    const big = new CharRnn(config);
    const source = new CharGenerator(small, vocab);
    const snap = await source.snapshot();
    const g = new CharGenerator(big, vocab);
    expect(() => g.restore(snap)).toThrow('CharGenerator.restore: the snapshot (h[3] c[3], h[3] c[3]) does not fit this 2-layer lstm of 7 units and 5 characters');
    source.dispose();
    g.dispose();
    small.dispose();
    big.dispose();
  });
});
