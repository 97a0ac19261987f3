/**
 * Training with our layers on every backend: `model.fit` lowers the loss on a tiny task (the mean
 * of a sequence) for each layer kind, with recurrent dropout (the composite path) and stateful
 * layers; regularisers add exactly their penalty; repeated fit / predict leaks no tensor.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { describeBackends, expectNoLeaks, isGpuBackend, tolerances } from '../testing/index.js';
import { layers } from './index.js';

const [B, T, I] = [8, 5, 2];

/** Target: the mean over time and features, a smooth function of the whole sequence. */
function task(seed: number, batch = B) {
  const x = tf.randomNormal([batch, T, I], 0, 1, 'float32', seed);
  const y = tf.mean(x, [1, 2]).reshape([batch, 1]);
  return { x, y };
}

async function fitLoss(model: tf.LayersModel, epochs: number, batchSize = B, seed = 1): Promise<{ first: number; last: number }> {
  const { x, y } = task(seed, 2 * batchSize);
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
  const history = await model.fit(x, y, { epochs, batchSize, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  const loss = history.history.loss as number[];
  return { first: loss[0]!, last: loss[loss.length - 1]! };
}

const seqModel = (rnn: tf.layers.Layer, batchInputShape?: number[]) =>
  tf.sequential({ layers: [tf.layers.inputLayer(batchInputShape ? { batchInputShape } : { inputShape: [T, I] }), rnn, tf.layers.dense({ units: 1 })] });

describeBackends('layers: training', (backend) => {
  // Dawn in Node runs on a software adapter here, where every kernel launch costs ~1 ms: the GPU
  // backends train the three layer kinds; cpu and wasm also train every variant. (tfjs-layers'
  // own masking is broken on webgpu, ops/lstm.test.ts: the gradient comparison runs unmasked there.)
  const gpu = isGpuBackend(backend);
  const kinds = {
    lstm: () => layers.lstm({ units: 8, seed: 1 }),
    gru: () => layers.gru({ units: 8, seed: 1 }),
    'gru reset-before': () => layers.gru({ units: 8, resetAfter: false, seed: 1 }),
    simpleRnn: () => layers.simpleRnn({ units: 8, seed: 1 }),
    'lstm peephole coupled': () => layers.lstm({ units: 8, peephole: true, coupled: true }),
    'lstm dropout + recurrentDropout (composite path)': () => layers.lstm({ units: 8, dropout: 0.1, recurrentDropout: 0.2, seed: 3 }),
    'stacked bidirectional gru, dropout between layers': () => layers.stacked('gru', { units: 6, numLayers: 2, bidirectional: 'concat', dropout: 0.1, seed: 4 }),
  };

  const kindCases = Object.entries(kinds).filter(([name]) => !gpu || ['lstm', 'gru', 'simpleRnn'].includes(name));
  it.each(kindCases)('model.fit lowers the loss: %s', async (_name, make) => {
    const model = seqModel(make());
    const { first, last } = await fitLoss(model, 10);
    expect(last).toBeLessThan(0.5 * first);
    model.dispose();
  });

  it.each([
    ['lstm', () => layers.lstm({ units: 3, returnSequences: true }), () => tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid', returnSequences: true })],
    ['gru (reset-before)', () => layers.gru({ units: 3, resetAfter: false, returnSequences: true }), () => tf.layers.gru({ units: 3, recurrentActivation: 'sigmoid', returnSequences: true })],
    ['simpleRnn', () => layers.simpleRnn({ units: 3, returnSequences: true }), () => tf.layers.simpleRNN({ units: 3, returnSequences: true })],
  ] as const)('%s: weight gradients (our BPTT) = tf.layers autodiff with copied weights', async (_name, makeOurs, makeVanilla) => {
    const x = tf.randomNormal([3, T, I], 0, 1, 'float32', 7);
    const mask = tf.tensor2d([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0], [3, T]);
    const w = tf.randomNormal([3, T, 3], 0, 1, 'float32', 8);
    const [u, v] = [makeOurs(), makeVanilla()];
    tf.dispose([u.apply(x) as tf.Tensor, v.apply(x) as tf.Tensor]);
    const seeded = v.getWeights().map((t, k) => tf.randomNormal(t.shape, 0, 0.5, 'float32', k));
    v.setWeights(seeded);
    tf.dispose(seeded);
    u.setWeights(v.getWeights());
    const grads = async (layer: tf.layers.Layer) => {
      const vars = layer.trainableWeights.map((lv) => lv.read() as tf.Variable);
      const { value, grads: g } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { mask: gpu ? undefined : mask }) as tf.Tensor, w)) as tf.Scalar, vars);
      const out = await Promise.all(vars.map(async (vv) => g[vv.name]!.data()));
      tf.dispose([value, ...Object.values(g)]);
      return out;
    };
    const [got, want] = [await grads(u), await grads(v)];
    got.forEach((g, k) => expect(g, ['kernel', 'recurrent_kernel', 'bias'][k]).toHaveRelativeError(want[k]!, tolerances(backend).gradient));
    tf.dispose([x, mask, w]);
    u.dispose();
    v.dispose();
  });

  it('stateful: fit with a fixed batch size, state carried between batches', async () => {
    const rnn = layers.gru({ units: 8, stateful: true });
    const model = seqModel(rnn, [B, T, I]);
    const { first, last } = await fitLoss(model, 10);
    expect(last).toBeLessThan(first);
    const before = rnn.getStates()!;
    const beforeNorm = (await tf.norm(before[0]!).data())[0]!;
    expect(beforeNorm).toBeGreaterThan(0);
    rnn.resetStates();
    const after = rnn.getStates()!;
    expect((await tf.norm(after[0]!).data())[0]).toBe(0);
    tf.dispose([...before, ...after]);
    model.dispose();
  });

  it('regularisers add λ·Σw² (l2) and λ·Σ|w| (l1) to the layer losses', async () => {
    const rnn = layers.lstm({ units: 3, kernelRegularizer: tf.regularizers.l2({ l2: 0.1 }), recurrentRegularizer: 'l1', biasRegularizer: null });
    const model = seqModel(rnn);
    const losses = rnn.calculateLosses();
    expect(losses.length).toBe(2);
    const [W, U] = rnn.getWeights();
    const want = [0.1 * ((await tf.sum(tf.square(W!)).data())[0]!), 0.01 * ((await tf.sum(tf.abs(U!)).data())[0]!)];
    const got = await Promise.all(losses.map(async (l) => (await l.data())[0]!));
    expect(got).toBeAllClose(want, { rtol: 1e-5 });
    tf.dispose(losses); // (getWeights returns the variables themselves: not disposed here)
    model.dispose();
  });

  describe('no tensor leaks over repeated fit / predict', () => {
    const cases = {
      lstm: () => layers.lstm({ units: 4, returnSequences: false }),
      'gru with recurrentDropout': () => layers.gru({ units: 4, recurrentDropout: 0.3, dropout: 0.2 }),
      'stateful simpleRnn': () => layers.simpleRnn({ units: 4, stateful: true }),
    };
    it.each(Object.entries(cases))('%s', async (name, make) => {
      const stateful = name.startsWith('stateful');
      const model = seqModel(make(), stateful ? [4, T, I] : undefined);
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
      const { x, y } = task(5, 8);
      const round = async () => {
        await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, shuffle: false });
        const p = model.predict(x, { batchSize: 4 }) as tf.Tensor;
        await p.data();
        p.dispose();
      };
      await round(); // optimizer slots and the first states are created here, once
      await expectNoLeaks(async () => {
        await round();
        await round();
      });
      tf.dispose([x, y]);
      model.dispose();
    });
  });
});
