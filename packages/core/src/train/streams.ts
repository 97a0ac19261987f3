/**
 * char-rnn's batching for truncated BPTT, as a trainer data source.
 *
 * The token stream is cut into `batch` parallel streams of equal length L = ⌊(N − 1)/batch⌋;
 * batch k holds positions [k·T, (k+1)·T) of every stream (inputs) and the next tokens (targets).
 * So row b of batch k+1 continues exactly where row b of batch k stopped, and the recurrent state
 * after batch k is the right initial state for batch k+1. After ⌊L/T⌋ batches (an epoch) the
 * streams start over and the state is reset.
 *
 *     stream 0: [ batch 0 ][ batch 1 ][ batch 2 ] …
 *     stream 1: [ batch 0 ][ batch 1 ][ batch 2 ] …      (rows of one batch: B streams side by side)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainData } from './task.js';

/** One batch of next-token prediction: inputs and targets, both [B, T] int32. */
export interface TokenBatch {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
}

/**
 * Parallel token streams (see the module header).
 *
 * @example
 * ```ts
 * const data = new TokenStreams(ids, { batch: 32, steps: 64 });
 * data.batchesPerEpoch;            // ⌊⌊(N − 1)/32⌋ / 64⌋
 * const { x, y } = data.batch(0);  // [32, 64] each; y[b, t] = x[b, t + 1] within a stream
 * ```
 */
export class TokenStreams implements TrainData<TokenBatch> {
  readonly batchSize: number;
  readonly steps: number;
  /** Tokens per stream. */
  readonly streamLength: number;
  readonly batchesPerEpoch: number;
  readonly tokensPerBatch: number;

  constructor(private readonly ids: Int32Array, options: { batch: number; steps: number }) {
    const { batch, steps } = options;
    if (!(Number.isInteger(batch) && batch >= 1)) throw new Error(`TokenStreams: batch must be a positive integer, got ${batch}`);
    if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`TokenStreams: steps must be a positive integer, got ${steps}`);
    this.batchSize = batch;
    this.steps = steps;
    this.streamLength = Math.floor((ids.length - 1) / batch);
    this.batchesPerEpoch = Math.floor(this.streamLength / steps);
    this.tokensPerBatch = batch * steps;
    if (this.batchesPerEpoch < 1) {
      throw new Error(`TokenStreams: ${ids.length} tokens cannot fill one batch of ${batch} streams × ${steps} steps (need ≥ ${batch * steps + 1}); use a smaller batch or fewer steps`);
    }
  }

  /** Batch at `position` (taken modulo the epoch). */
  batch(position: number): TokenBatch {
    const B = this.batchSize;
    const T = this.steps;
    const offset = (position % this.batchesPerEpoch) * T;
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = b * this.streamLength + offset;
      x.set(this.ids.subarray(start, start + T), b * T);
      y.set(this.ids.subarray(start + 1, start + T + 1), b * T);
    }
    return { x: tf.tensor2d(x, [B, T], 'int32'), y: tf.tensor2d(y, [B, T], 'int32') };
  }

  /** The state restarts with every epoch (the streams jump back to their beginnings). */
  resetsState(position: number): boolean {
    return position % this.batchesPerEpoch === 0;
  }
}
