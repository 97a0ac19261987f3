/**
 * Host-side units of the character model, checked against hand-computed values: the vocabulary,
 * the 90/10 split, and the sampling distribution under temperature, top-k and top-p.
 */
import { describe, expect, it } from 'vitest';
import { splitLast } from './data.js';
import { drawFromLogits, filteredDistribution } from './sample.js';
import { Vocabulary } from './vocab.js';

// p = (0.5, 0.3, 0.2) given as logits log p.
const P = [0.5, 0.3, 0.2];
const logits = Float32Array.from(P.map(Math.log));

describe('Vocabulary', () => {
  it('is the sorted distinct characters of the text, and round-trips', () => {
    const v = Vocabulary.fromText('hello, world');
    expect(v.chars.join('')).toBe(' ,dehlorw');
    expect(Array.from(v.encode('hold'))).toEqual([4, 6, 5, 2]); // h=4 o=6 l=5 d=2
    expect(v.decode(v.encode('hello, world'))).toBe('hello, world');
  });

  it('counts code points, not UTF-16 units', () => {
    const v = Vocabulary.fromText('ab😀a');
    expect(v.size).toBe(3);
    expect(v.decode(v.encode('😀b'))).toBe('😀b');
  });

  it('names a character outside the vocabulary and its position', () => {
    expect(() => Vocabulary.fromText('abc').encode('abz')).toThrow(/"z" at position 2/);
  });
});

describe('splitLast', () => {
  it('keeps the last 10% for validation', () => {
    const { train, validation } = splitLast(Int32Array.from({ length: 25 }, (_, i) => i));
    // ⌊25 · 0.9⌋ = 22
    expect(Array.from(train)).toEqual(Array.from({ length: 22 }, (_, i) => i));
    expect(Array.from(validation)).toEqual([22, 23, 24]);
  });
});

describe('filteredDistribution', () => {
  const close = (got: [number, number][], want: [number, number][]) => {
    expect(got.map(([i]) => i)).toEqual(want.map(([i]) => i));
    got.forEach(([, p], j) => expect(p).toBeCloseTo(want[j]![1], 6));
  };

  it('is softmax(z) at temperature 1, most likely first', () => {
    close(filteredDistribution(logits), [[0, 0.5], [1, 0.3], [2, 0.2]]);
  });

  it('sharpens with temperature: τ = 0.5 gives p² renormalised', () => {
    // 0.25, 0.09, 0.04 over 0.38
    close(filteredDistribution(logits, { temperature: 0.5 }), [[0, 0.25 / 0.38], [1, 0.09 / 0.38], [2, 0.04 / 0.38]]);
  });

  it('top-k keeps the k most likely, renormalised', () => {
    close(filteredDistribution(logits, { topK: 2 }), [[0, 0.625], [1, 0.375]]); // 0.5/0.8, 0.3/0.8
    close(filteredDistribution(logits, { topK: 1 }), [[0, 1]]);
  });

  it('top-p keeps the smallest prefix reaching mass p', () => {
    close(filteredDistribution(logits, { topP: 0.5 }), [[0, 1]]); // 0.5 ≥ 0.5
    close(filteredDistribution(logits, { topP: 0.7 }), [[0, 0.625], [1, 0.375]]); // 0.5 < 0.7 ≤ 0.8
    close(filteredDistribution(logits, { topP: 0.81 }), [[0, 0.5], [1, 0.3], [2, 0.2]]);
  });

  it('rejects bad options, naming them', () => {
    expect(() => filteredDistribution(logits, { temperature: 0 })).toThrow(/temperature must be a finite number > 0, got 0/);
    expect(() => filteredDistribution(logits, { topK: 0 })).toThrow(/topK must be an integer ≥ 1, got 0/);
    expect(() => filteredDistribution(logits, { topP: 1.5 })).toThrow(/topP must be in \(0, 1\], got 1.5/);
  });
});

describe('drawFromLogits', () => {
  it('inverts the cumulative distribution', () => {
    // cumulative 0.5, 0.8, 1.0
    expect(drawFromLogits(logits, {}, 0.0)).toBe(0);
    expect(drawFromLogits(logits, {}, 0.49)).toBe(0);
    expect(drawFromLogits(logits, {}, 0.51)).toBe(1);
    expect(drawFromLogits(logits, {}, 0.79)).toBe(1);
    expect(drawFromLogits(logits, {}, 0.81)).toBe(2);
    // top-k 2: cumulative 0.625, 1.0 — u = 0.81 now lands on 1, never on 2
    expect(drawFromLogits(logits, { topK: 2 }, 0.81)).toBe(1);
    expect(drawFromLogits(logits, { topK: 2 }, 0.999)).toBe(1);
  });

  it('matches the distribution over many draws', () => {
    let s = 12345;
    const u = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
    const counts = [0, 0, 0];
    for (let n = 0; n < 20000; n++) counts[drawFromLogits(logits, { topP: 0.7 }, u())]!++;
    expect(counts[2]).toBe(0);
    expect(counts[0]! / 20000).toBeCloseTo(0.625, 1);
  });
});
