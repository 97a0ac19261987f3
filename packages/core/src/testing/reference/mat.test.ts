/** Checks the float64 Mat helpers the reference recurrences and finite differences work on. */
import { describe, expect, it } from 'vitest';
import { fromNested, mat, toNested } from './mat.js';

describe('Mat helpers', () => {
  it('builds row-major data from nested arrays and back', () => {
    const m = fromNested([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(m.shape).toEqual([2, 3]);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(toNested(m)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });
  it('copies Float32Array data into float64 and checks the element count', () => {
    const m = mat(Float32Array.of(0.5, 0.25), [2, 1]);
    expect(m.data).toBeInstanceOf(Float64Array);
    expect(Array.from(m.data)).toEqual([0.5, 0.25]);
    expect(() => mat([1, 2, 3], [2, 2])).toThrow('mat: shape [2, 2] needs 4 elements, got 3');
  });
  it('rejects ragged nested arrays', () => {
    expect(() => fromNested([[1, 2], [3]])).toThrow(
      'fromNested: ragged array, expected length 2 at root[1], got an array of length 1',
    );
  });
});
