/**
 * char-rnn's batching: the id stream is cut into `batch` parallel streams; batch k holds
 * positions [k·T, (k+1)·T) of every stream, so each batch continues where the previous one
 * stopped and a recurrent state can be carried across batches (truncated BPTT).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface Split {
  train: Int32Array;
  validation: Int32Array;
}

/** Train on the first 90%, validate on the last 10% (the split char-rnn's users compare on). */
export function splitLast(ids: Int32Array, validationFraction = 0.1): Split {
  const cut = Math.floor(ids.length * (1 - validationFraction));
  return { train: ids.subarray(0, cut), validation: ids.subarray(cut) };
}

export class StreamBatches {
  readonly streamLength: number;
  readonly batchesPerEpoch: number;

  constructor(private readonly ids: Int32Array, readonly batch: number, readonly steps: number) {
    this.streamLength = Math.floor((ids.length - 1) / batch);
    this.batchesPerEpoch = Math.floor(this.streamLength / steps);
    if (this.batchesPerEpoch < 1) {
      throw new Error(`StreamBatches: ${ids.length} characters cannot fill one batch of ${batch} streams × ${steps} steps; use a smaller batch or sequence length`);
    }
  }

  /** Inputs [B, T] and next-character targets [B, T] of batch `k` (mod the epoch). */
  get(k: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
    const B = this.batch;
    const T = this.steps;
    const offset = (k % this.batchesPerEpoch) * T;
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = b * this.streamLength + offset;
      x.set(this.ids.subarray(start, start + T), b * T);
      y.set(this.ids.subarray(start + 1, start + T + 1), b * T);
    }
    return { x: tf.tensor2d(x, [B, T], 'int32'), y: tf.tensor2d(y, [B, T], 'int32') };
  }
}
