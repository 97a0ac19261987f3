/**
 * Every rejection of the layers, with its message (the argument, what was expected, what was
 * found), and that a rejected build leaves nothing behind: no weights, no tensors, `built` false.
 * Validation runs before any kernel, so one backend per environment is enough.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { describeBackends, expectNoLeaks } from '../testing/index.js';
import { RecurrentInputError } from '../ops/index.js';
import { layers } from './index.js';
import type { InitializerLike } from './initializers.js';

type Anything = Record<string, unknown>;
const lstm = (o: Anything) => layers.lstm({ units: 2, name: 'l', ...o } as Parameters<typeof layers.lstm>[0]);

describeBackends('layer errors', () => {
  describe('options', () => {
    it.each([
      [{ units: 0 }, /lstm 'l': units must be a positive integer, got 0/],
      [{ dropout: 1 }, /lstm 'l': dropout must be a number in \[0, 1\), got 1/],
      [{ recurrentDropout: -0.1 }, /recurrentDropout must be a number in \[0, 1\), got -0.1/],
      [{ unroll: true }, /unknown option "unroll" \(the ops always run the whole sequence as one fused op/],
      [{ kernelConstraint: 'maxNorm' }, /unknown option "kernelConstraint" \(weight constraints are not supported\)/],
      [{ recurrentActivation: 'hardSigmoid' }, /recurrentActivation must be 'sigmoid', got "hardSigmoid"/],
      [{ activation: 'relu' }, /activation must be 'tanh', got "relu"/],
      [{ peepholeInitializer: 'ones' }, /peepholeInitializer needs peephole: true/],
      [{ returnSequences: 'yes' }, /returnSequences must be true or false, got "yes"/],
      [{ seed: 1.5 }, /seed must be an integer, got 1.5/],
      [{ kernelInitializer: 'glorot' }, /kernelInitializer: unknown initializer "glorot"/],
      [{ kernelRegularizer: 'l3' }, /kernelRegularizer: expected 'l1', 'l2', 'l1l2'/],
    ])('lstm %j', (o, message) => {
      expect(() => lstm(o)).toThrow(RecurrentInputError);
      expect(() => lstm(o)).toThrow(message);
    });

    it('simpleRnn activation, bidirectional and stack options', () => {
      expect(() => layers.simpleRnn({ units: 2, name: 's', activation: 'sigmoid' as 'tanh' })).toThrow(/simpleRnn 's': activation must be 'tanh' or 'relu', got "sigmoid"/);
      expect(() => layers.bidirectional({ name: 'b', layer: lstm({}), mergeMode: 'max' as 'sum' })).toThrow(/bidirectional 'b': mergeMode must be one of concat, sum, mul, ave, got "max"/);
      expect(() => layers.bidirectional({ name: 'b', layer: tf.layers.dense({ units: 2 }) as unknown as ReturnType<typeof lstm> })).toThrow(/bidirectional 'b': .*Dense/);
      const seq = (name: string, o: Anything = {}) => lstm({ name, returnSequences: true, ...o });
      expect(() => layers.stack({ name: 'st', layers: [lstm({ name: 'a' }), seq('b')] })).toThrow(/stack 'st': layers\[0\] \('a'\) must have returnSequences: true/);
      expect(() => layers.stack({ name: 'st', layers: [seq('a', { goBackwards: true }), seq('b')] })).toThrow(/layers\[0\] \('a'\): goBackwards would hand the next layer a time-reversed sequence/);
      expect(() => layers.stack({ name: 'st', layers: [seq('a'), seq('b', { returnState: true })] })).toThrow(/layers\[1\] \('b'\): returnState is not supported inside a stack/);
      expect(() => layers.stack({ name: 'st', layers: [seq('a'), seq('a')] })).toThrow(/the name 'a' is used twice/);
      expect(() => layers.stack({ name: 'st', layers: [seq('a')], dropout: 0.5 })).toThrow(/dropout acts between layers: it needs at least two layers/);
      expect(() => layers.stacked('gru', { units: 2, numLayers: 0 })).toThrow(/numLayers must be a positive integer, got 0/);
    });
  });

  describe('build and apply: rejected before anything is built', () => {
    const unbuilt = (layer: tf.layers.Layer) => {
      expect(layer.built).toBe(false);
      expect(layer.weights.length).toBe(0);
    };

    it('input rank and feature size', async () => {
      await expectNoLeaks(() => {
        const layer = lstm({});
        const x2 = tf.zeros([2, 3]);
        expect(() => layer.apply(x2)).toThrow(/lstm 'l': input must be rank 3 \[batch, time, features\], got rank 2 \[2, 3\]/);
        unbuilt(layer);
        expect(() => layer.apply(tf.input({ shape: [4, null] as unknown as number[] }))).toThrow(/the feature size \(last input dimension\) must be known, got \[null, 4, null\]/);
        const x = tf.zeros([2, 3, 4]);
        tf.dispose(layer.apply(x) as tf.Tensor);
        const x5 = tf.zeros([2, 3, 5]);
        expect(() => layer.apply(x5)).toThrow(/input features must be 4 \(the layer was built for \[batch, time, 4\]\), got \[2, 3, 5\]/);
        tf.dispose([x2, x, x5]);
        layer.dispose();
      });
    });

    it('initial states: count, shape, given twice', async () => {
      await expectNoLeaks(() => {
        const layer = lstm({});
        const x = tf.zeros([2, 3, 4]);
        const h = tf.zeros([2, 2]);
        const bad = tf.zeros([3, 2]);
        expect(() => layer.apply(x, { initialState: [h] })).toThrow(/lstm 'l': expects 2 initial states \[h, c\], got 1/);
        expect(() => layer.apply(x, { initialState: [h, bad] })).toThrow(/initial state 1 \(c\) must be \[batch, units\] = \[2, 2\], got \[3, 2\]/);
        expect(() => layer.apply([x, h, h], { initialState: [h, h] })).toThrow(/initial states were given both in the inputs array and as kwargs.initialState/);
        unbuilt(layer);
        const bi = layers.bidirectional({ name: 'b', layer: layers.gru({ units: 2 }) });
        expect(() => bi.apply(x, { initialState: [h] })).toThrow(/bidirectional 'b': expects 2 initial states \(forward \[h\] then backward\), got 1/);
        tf.dispose([x, h, bad]);
      });
    });

    it('mask shape', async () => {
      await expectNoLeaks(() => {
        const layer = lstm({});
        const x = tf.zeros([2, 3, 4]);
        const mask = tf.ones([2, 4]);
        expect(() => layer.apply(x, { mask })).toThrow(/lstm 'l': mask must be \[batch, time\] = \[2, 3\], got \[2, 4\]/);
        tf.dispose([x, mask]);
        layer.dispose();
      });
    });

    it('stateful: needs a batch size, keeps it, resetStates checks shapes', async () => {
      const noBatch = lstm({ stateful: true });
      expect(() => noBatch.apply(tf.input({ shape: [3, 4] }))).toThrow(/a stateful layer needs a fixed batch size: give the first layer batchInputShape/);
      unbuilt(noBatch);
      expect(() => lstm({}).resetStates()).toThrow(/resetStates\(\) is only for stateful layers/);
      expect(() => lstm({ stateful: true }).resetStates()).toThrow(/resetStates\(\) before the layer is built/);
      await expectNoLeaks(() => {
        const layer = lstm({ stateful: true });
        const x = tf.zeros([2, 3, 4]);
        tf.dispose(layer.apply(x) as tf.Tensor);
        const x3 = tf.zeros([3, 3, 4]);
        expect(() => layer.apply(x3)).toThrow(/a stateful layer needs batch size 2 \(its states are \[2, 2\]\), got \[3, 3, 4\]/);
        const h = tf.zeros([2, 3]);
        expect(() => layer.resetStates([h, h])).toThrow(/initial state 0 \(h\) must be \[batch, units\] = \[2, 2\], got \[2, 3\]/);
        tf.dispose([x, x3, h]);
        layer.dispose();
      });
    });

    it('a failing initialiser leaves no weights and no tensors', async () => {
      const broken: InitializerLike = {
        apply: () => {
          throw new Error('broken initializer');
        },
        getClassName: () => 'Broken',
        getConfig: () => ({}),
        fromConfigUsesCustomObjects: () => false,
      };
      await expectNoLeaks(() => {
        const layer = lstm({ biasInitializer: broken, unitForgetBias: false });
        const x = tf.zeros([1, 2, 3]);
        expect(() => layer.apply(x)).toThrow(/broken initializer/); // kernel and recurrent kernel were drawn first
        unbuilt(layer);
        x.dispose();
      });
    });
  });
}, { only: ['cpu', 'webgl'] }); // one backend per environment: cpu in Node, webgl in the browser
