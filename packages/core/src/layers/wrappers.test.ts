/**
 * `layers.bidirectional` and `layers.stack` / `layers.stacked` on every backend: against vanilla
 * `tf.layers.bidirectional` and a vanilla `tf.sequential` of the same layers with copied weights
 * (every merge mode, returnState, initial states), weight names as Keras writes them, regulariser
 * losses reaching the model, between-layer dropout only in training, and leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { describeBackends, expectNoLeaks, tolerances } from '../testing/index.js';
import { layers, type MergeMode } from './index.js';

const [B, T, I, H] = [2, 4, 3, 3];
const list = (t: unknown) => (Array.isArray(t) ? t : [t]) as tf.Tensor[];

/** Seeded N(0, 0.5²) weights for a built layer or model, so every run compares the same numbers. */
function seed(target: { getWeights(): tf.Tensor[]; setWeights(w: tf.Tensor[]): void }, s = 1): void {
  const values = target.getWeights().map((w, k) => tf.randomNormal(w.shape, 0, 0.5, 'float32', s + k));
  target.setWeights(values);
  tf.dispose(values);
}

describeBackends('bidirectional and stacks', (backend) => {
  const tol = tolerances(backend).forward;

  it.each(['concat', 'sum', 'mul', 'ave'] as MergeMode[])('bidirectional %s = tf.layers.bidirectional with copied weights', async (mergeMode) => {
    const x = tf.randomNormal([B, T, I], 0, 1, 'float32', 1);
    for (const returnSequences of [true, false]) {
      const v = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: H, recurrentActivation: 'sigmoid', returnSequences }) as tf.RNN, mergeMode });
      const u = layers.bidirectional({ layer: layers.lstm({ units: H, returnSequences }), mergeMode });
      tf.dispose([v.apply(x) as tf.Tensor, u.apply(x) as tf.Tensor]); // builds both
      seed(v);
      u.setWeights(v.getWeights());
      const want = v.apply(x) as tf.Tensor;
      const got = u.apply(x) as tf.Tensor;
      expect(got.shape).toEqual(want.shape);
      expect(await got.data(), `returnSequences ${returnSequences}`).toHaveRelativeError(await want.data(), tol);
      tf.dispose([got, want]);
      v.dispose();
      u.dispose();
    }
    x.dispose();
  });

  it('bidirectional GRU with returnState and initial states [fwd h, bwd h]', async () => {
    const x = tf.randomNormal([B, T, I], 0, 1, 'float32', 2);
    const states = [tf.randomNormal([B, H], 0, 1, 'float32', 3), tf.randomNormal([B, H], 0, 1, 'float32', 4)];
    const v = tf.layers.bidirectional({ layer: tf.layers.gru({ units: H, recurrentActivation: 'sigmoid', returnSequences: true, returnState: true }) as tf.RNN });
    const u = layers.bidirectional({ layer: layers.gru({ units: H, resetAfter: false, returnSequences: true, returnState: true }) });
    tf.dispose([...list(v.apply(x, { initialState: states })), ...list(u.apply(x, { initialState: states }))]);
    seed(v);
    u.setWeights(v.getWeights());
    const want = list(v.apply(x, { initialState: states }));
    const got = list(u.apply(x, { initialState: states }));
    expect(got.length).toBe(3);
    for (let k = 0; k < 3; k++) expect(await got[k]!.data(), `output ${k}`).toHaveRelativeError(await want[k]!.data(), tol);
    tf.dispose([...got, ...want, x, ...states]);
  });

  it('stacked(lstm, 3 layers, dropout) = vanilla sequential of the same layers (inference), weights named <stack>/<layer>/…', async () => {
    const stack = layers.stacked('lstm', { units: H, numLayers: 3, dropout: 0.5, returnSequences: true, name: 'enc', inputShape: [T, I] });
    const ours = tf.sequential({ layers: [stack] });
    const vanilla = tf.sequential({
      layers: [0, 1, 2].map((k) => tf.layers.lstm({ units: H, recurrentActivation: 'sigmoid', returnSequences: true, ...(k === 0 ? { inputShape: [T, I] } : {}) })),
    });
    expect(stack.weights.map((w) => w.originalName)).toEqual(
      [0, 1, 2].flatMap((k) => ['kernel', 'recurrent_kernel', 'bias'].map((n) => `enc/lstm_${k}/${n}`)),
    );
    seed(vanilla);
    ours.setWeights(vanilla.getWeights());
    const x = tf.randomNormal([B, T, I], 0, 1, 'float32', 5);
    const [got, want] = [ours.predict(x) as tf.Tensor, vanilla.predict(x) as tf.Tensor];
    expect(await got.data()).toHaveRelativeError(await want.data(), tol);
    // In training the between-layer dropout changes the output; the same seed-free call twice differs too.
    const trained = stack.apply(x, { training: true }) as tf.Tensor;
    expect(Array.from(await trained.data())).not.toEqual(Array.from(await got.data()));
    tf.dispose([x, got, want, trained]);
  });

  it('stacked bidirectional GRU (PyTorch num_layers=2, bidirectional=True): shapes, weight names, losses, leaks', async () => {
    const stack = layers.stacked('gru', { units: H, numLayers: 2, bidirectional: 'concat', dropout: 0.2, kernelRegularizer: 'l2', name: 'bi', returnSequences: true });
    const x = tf.randomNormal([B, T, I], 0, 1, 'float32', 6);
    const y = stack.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([B, T, 2 * H]);
    expect(stack.weights.map((w) => w.originalName).slice(0, 3)).toEqual(['bi/bidirectional_0/forward_gru_0/kernel', 'bi/bidirectional_0/forward_gru_0/recurrent_kernel', 'bi/bidirectional_0/forward_gru_0/bias']);
    expect(stack.weights.length).toBe(12);
    const losses = stack.calculateLosses(); // one l2 kernel penalty per direction per layer
    expect(losses.length).toBe(4);
    tf.dispose([y, ...losses]);
    await expectNoLeaks(async () => {
      const out = tf.tidy(() => stack.apply(x, { training: true }) as tf.Tensor);
      await out.data();
      out.dispose();
    });
    x.dispose();
    stack.dispose();
  });
});
