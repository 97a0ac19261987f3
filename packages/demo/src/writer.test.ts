/**
 * The live writer without a page: it writes the asked length from the vocabulary, stops on
 * request, continues after a rebuild (a backend switch) from the text so far, and gives back every
 * tensor it made.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CharRnn, encodeCharModel, parseCharModel, Vocabulary } from '@recurrent/models';
import { describe, expect, it } from 'vitest';
import { Writer } from './writer.js';

describe('Writer', () => {
  it('writes, stops, continues after a rebuild, and leaks no tensor', async () => {
    const model = new CharRnn({ vocabSize: 4, cell: 'lstm', layers: 2, hidden: 6, embedding: 3, dropout: 0, seed: 5 });
    const { json, weights } = await encodeCharModel(model, new Vocabulary(['a', 'b', 'c', 'd']));
    model.dispose();
    const host = parseCharModel(json, weights);
    const before = tf.memory().numTensors;

    const w = new Writer(host);
    expect(w.unknownChars('abxa y')).toEqual(['x', ' ', 'y']);
    let written = '';
    const speeds: number[] = [];
    const cb = { temperature: () => 1, onChar: (c: string) => (written += c), onSpeed: (_: number, n: number) => speeds.push(n) };
    w.start('ab', 3);
    await w.run(5, cb);
    expect(written).toHaveLength(5);
    expect(w.text).toBe(`ab${written}`);
    expect([...written].every((c) => 'abcd'.includes(c))).toBe(true);
    expect(speeds.at(-1)).toBe(5);

    // Stop after the first character of a long run.
    const stopping = { ...cb, onChar: (c: string) => ((written += c), void w.stop()) };
    await w.run(1000, stopping);
    expect(w.isRunning).toBe(false);
    expect(written).toHaveLength(6);

    w.rebuild(); // without a snapshot: re-reads the text
    await w.run(3, cb);
    expect(w.text).toBe(`ab${written}`);
    expect(written).toHaveLength(9);

    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('continues after a rebuild from a snapshot with the same draws as without a rebuild', async () => {
    const model = new CharRnn({ vocabSize: 4, cell: 'gru', layers: 2, hidden: 6, embedding: 3, dropout: 0, seed: 8 });
    const { json, weights } = await encodeCharModel(model, new Vocabulary(['a', 'b', 'c', 'd']));
    model.dispose();
    const host = parseCharModel(json, weights);
    const cb = { temperature: () => 1.5, onChar: () => undefined, onSpeed: () => undefined };
    const plain = new Writer(host);
    plain.start('abca', 21);
    await plain.run(6, cb);
    await plain.run(20, cb);
    const switched = new Writer(host);
    switched.start('abca', 21);
    await switched.run(6, cb);
    switched.rebuild(await switched.snapshot());
    await switched.run(20, cb);
    expect(switched.text).toBe(plain.text);
    plain.dispose();
    switched.dispose();
  });
});
