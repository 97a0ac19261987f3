/**
 * Training the character model: truncated BPTT over char-rnn's parallel streams (state carried
 * across consecutive batches, gradients cut at batch boundaries), Adam, global-norm clipping.
 */
import * as tf from '@tensorflow/tfjs-core';
import { clipByGlobalNorm } from '@recurrent/core';
import { StreamBatches } from './data.js';
import type { CharLstm, LstmState } from './model.js';

export interface TrainOptions {
  batch: number;
  steps: number;
  learningRate: number;
  clip: number;
  /** Stop after this many seconds of training. */
  seconds: number;
  /** Called every `logEvery` updates with the current figures. */
  onProgress?: (p: Progress) => void;
  logEvery?: number;
}

export interface Progress {
  update: number;
  loss: number;
  gradNorm: number;
  charsPerSecond: number;
  elapsed: number;
}

const disposeState = (s: LstmState) => tf.dispose(s.flatMap((l) => [l.h, l.c]));

/** Trains in place until the time budget is spent; returns the number of updates made. */
export async function train(model: CharLstm, ids: Int32Array, o: TrainOptions): Promise<number> {
  const batches = new StreamBatches(ids, o.batch, o.steps);
  const optimizer = tf.train.adam(o.learningRate, 0.9, 0.999, 1e-8);
  const logEvery = o.logEvery ?? 20;
  let state = model.zeroState(o.batch);
  const start = performance.now();
  let update = 0;
  let since = start;
  try {
    while ((performance.now() - start) / 1000 < o.seconds) {
      if (update % batches.batchesPerEpoch === 0 && update > 0) {
        disposeState(state);
        state = model.zeroState(o.batch);
      }
      const { x, y } = batches.get(update);
      let next: LstmState = [];
      const { value, grads } = tf.variableGrads(() => {
        const r = model.loss(x, y, state);
        next = r.state.map((l) => ({ h: tf.keep(l.h), c: tf.keep(l.c) }));
        return r.loss;
      });
      const clip = clipByGlobalNorm(grads, o.clip);
      // tfjs types Adam's map as Variables; any tensors keyed by variable name are what it reads.
      optimizer.applyGradients(clip.grads as unknown as Parameters<typeof optimizer.applyGradients>[0]);
      tf.dispose([x, y, ...Object.values(grads), ...Object.values(clip.grads), clip.clipped]);
      disposeState(state);
      state = next;
      update++;
      if (update % logEvery === 0 || update === 1) {
        const [loss, norm] = await Promise.all([value.data(), clip.norm.data()]);
        const now = performance.now();
        const chars = (update === 1 ? 1 : logEvery) * o.batch * o.steps;
        o.onProgress?.({ update, loss: loss[0]!, gradNorm: norm[0]!, charsPerSecond: chars / ((now - since) / 1000), elapsed: (now - start) / 1000 });
        since = now;
      }
      tf.dispose([value, clip.norm]);
    }
  } finally {
    disposeState(state);
    optimizer.dispose();
  }
  return update;
}

/** Mean loss in nats per character over up to `maxBatches` consecutive batches of `ids`. */
export async function evaluate(model: CharLstm, ids: Int32Array, batch: number, steps: number, maxBatches = Infinity): Promise<number> {
  const batches = new StreamBatches(ids, batch, steps);
  let state = model.zeroState(batch);
  let total = 0;
  const n = Math.min(batches.batchesPerEpoch, maxBatches);
  for (let k = 0; k < n; k++) {
    const { x, y } = batches.get(k);
    const r = tf.tidy(() => {
      const out = model.loss(x, y, state);
      return { loss: out.loss, state: out.state };
    });
    total += (await r.loss.data())[0]!;
    tf.dispose([x, y, r.loss]);
    disposeState(state);
    state = r.state;
  }
  disposeState(state);
  return total / n;
}
