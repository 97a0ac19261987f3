/**
 * The train/validation split of a character stream. Batching for truncated BPTT is the core's
 * `TokenStreams` (char-rnn's parallel streams).
 */

export interface Split {
  train: Int32Array;
  validation: Int32Array;
}

/**
 * Train on the first 90%, validate on the last 10% (the split char-rnn's users compare on).
 *
 * @example
 * ```ts
 * splitLast(Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])); // train [0..8], validation [9]
 * ```
 */
export function splitLast(ids: Int32Array, validationFraction = 0.1): Split {
  if (!(validationFraction > 0 && validationFraction < 1)) throw new Error(`splitLast: validationFraction must be in (0, 1), got ${validationFraction}`);
  const cut = Math.floor(ids.length * (1 - validationFraction));
  return { train: ids.subarray(0, cut), validation: ids.subarray(cut) };
}
