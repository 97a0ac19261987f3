/**
 * Truncated BPTT over parallel streams, and the gradient-flow diagnostic, against independent
 * oracles: the streams' layout by hand; carried state against one long forward pass; the
 * trainer's gradient against a hand-built truncated graph (and not the full one); ‖∂E/∂h_k‖
 * against tf.grad with respect to the op's own initial state after splitting the sequence at k.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describeBackends, expectNoLeaks, isGpuBackend } from '../testing/index.js';
import { globalNorm } from './clip.js';
import { measureGradientFlow, StepContext } from './context.js';
import { Rng } from './rng.js';
import { TokenStreams } from './streams.js';
import { Trainer } from './trainer.js';
import { lstm } from '../ops/lstm.js';
import { recurrentRegressor } from './tasks/regressor.js';
import { tinyLm } from './tasks/tiny-lm.js';

describe('TokenStreams', () => {
  it('cuts the stream into parallel rows that continue from batch to batch', async () => {
    // 21 ids, 2 streams of ⌊20/2⌋ = 10, 3 steps: 3 batches per epoch.
    const data = new TokenStreams(Int32Array.from({ length: 21 }, (_, i) => i), { batch: 2, steps: 3 });
    expect([data.streamLength, data.batchesPerEpoch, data.tokensPerBatch]).toEqual([10, 3, 6]);
    const b0 = data.batch(0);
    const b1 = data.batch(1);
    const b3 = data.batch(3);
    expect(await b0.x.array()).toEqual([[0, 1, 2], [10, 11, 12]]);
    expect(await b0.y.array()).toEqual([[1, 2, 3], [11, 12, 13]]);
    expect(await b1.x.array()).toEqual([[3, 4, 5], [13, 14, 15]]);
    expect(await b3.x.array()).toEqual([[0, 1, 2], [10, 11, 12]]); // the next epoch starts over…
    expect([0, 1, 2, 3, 6].map((p) => data.resetsState(p))).toEqual([true, false, false, true, true]); // …with a fresh state
    tf.dispose([b0, b1, b3].flatMap((b) => [b.x, b.y]));
    expect(() => new TokenStreams(new Int32Array(6), { batch: 2, steps: 3 })).toThrow(/6 tokens cannot fill one batch of 2 streams × 3 steps \(need ≥ 7\)/);
  });
});

describeBackends('truncated BPTT and gradient flow', (backend) => {
  const rtol = isGpuBackend(backend) ? 2e-3 : 2e-5;
  const ids = Int32Array.from({ length: 121 }, (_, i) => (i * 5 + (i % 7)) % 9);

  it('carries the state: three 5-step batches score exactly like one 15-step pass', async () => {
    await expectNoLeaks(async () => {
      const model = tinyLm({ vocab: 9, embedding: 4, hidden: 6, seed: 1 });
      const trainer = new Trainer({ model, data: new TokenStreams(ids, { batch: 3, steps: 5 }), steps: 1, seed: 1, optimizer: { kind: 'sgd' }, learningRate: 0.1 });
      const chunked = await trainer.evaluate(new TokenStreams(ids, { batch: 3, steps: 5 }), 3);
      const whole = await trainer.evaluate(new TokenStreams(ids, { batch: 3, steps: 15 }), 1);
      expect(chunked).toBeAllClose(whole, { rtol });
      // Without carrying (a fresh state every batch) the score differs: the oracle can tell.
      const fresh = new TokenStreams(ids, { batch: 3, steps: 5 });
      fresh.resetsState = () => true;
      expect(Math.abs((await trainer.evaluate(fresh, 3)) - whole)).toBeGreaterThan(1e-4);
      trainer.dispose();
      model.dispose();
    });
  });

  it('cuts gradients at the batch boundary: step 2 sees the carried state as a constant', async () => {
    await expectNoLeaks(async () => {
      const model = tinyLm({ vocab: 9, embedding: 4, hidden: 6, seed: 2 });
      const data = new TokenStreams(ids, { batch: 3, steps: 5 });
      const norms: number[] = [];
      // Learning rate 0: the weights stay put, so the oracle below sees the same function.
      const trainer = new Trainer({ model, data, steps: 2, seed: 1, optimizer: { kind: 'sgd' }, learningRate: () => 0, callbacks: [{ onStep: (m) => void norms.push(m.gradNorm) }] });
      await trainer.run();
      const vars = Object.values(model.params);
      const ctx = new StepContext({ training: true, step: 0, rng: new Rng(1) });
      const [b0, b1] = [data.batch(0), data.batch(1)];
      const gradNorm = async (f: () => tf.Scalar) => {
        const { value, grads } = tf.variableGrads(f, vars);
        const n = globalNorm(grads);
        const out = (await n.data())[0]!;
        tf.dispose([value, n, ...Object.values(grads)]);
        return out;
      };
      const s0 = tf.tidy(() => {
        const st = model.loss(b0, undefined, ctx).state!;
        return { h: st.h, c: st.c };
      });
      const truncated = await gradNorm(() => model.loss(b1, s0, ctx).loss);
      const full = await gradNorm(() => model.loss(b1, model.loss(b0, undefined, ctx).state, ctx).loss);
      expect(norms[1]).toBeAllClose(truncated, { rtol: isGpuBackend(backend) ? 2e-3 : 1e-5 });
      expect(Math.abs(full - truncated) / truncated).toBeGreaterThan(1e-3); // the untruncated gradient is different
      tf.dispose([b0.x, b0.y, b1.x, b1.y, s0.h, s0.c]);
      trainer.dispose();
      model.dispose();
    });
  });

  it('measures ‖∂E/∂h_k‖ equal to the gradient with respect to h0 after splitting the sequence at k', async () => {
    await expectNoLeaks(async () => {
      const [B, T, H] = [3, 6, 4];
      const model = recurrentRegressor({ cell: 'lstm', inputSize: 2, hidden: H, seed: 4 });
      const rng = new Rng(7);
      const x = tf.tensor3d(Float32Array.from({ length: B * T * 2 }, () => rng.normal()), [B, T, 2]);
      const y = tf.tensor2d(Float32Array.from({ length: B }, () => rng.normal()), [B, 1]);
      const flow = await measureGradientFlow(model, { x, y }, undefined, new Rng(1));
      expect(flow.layers.map((l) => l.name)).toEqual(['lstm']);
      const p = { kernel: model.params.kernel as tf.Tensor as tf.Tensor2D, recurrentKernel: model.params.recurrentKernel as tf.Tensor as tf.Tensor2D, bias: model.params.bias as tf.Tensor as tf.Tensor1D };
      const oracle: number[] = [];
      for (let k = 0; k < T; k++) {
        // Run steps 0..k to get (h_k, c_k); E as a function of h_k is the rest of the run from (h_k, c_k) and the read-out.
        const n = tf.tidy(() => {
          const head = lstm(tf.slice(x, [0, 0, 0], [B, k + 1, 2]), p);
          const loss = (h: tf.Tensor) => {
            const last = k === T - 1 ? h : lstm(tf.slice(x, [0, k + 1, 0], [B, T - k - 1, 2]), p, { h0: h as tf.Tensor2D, c0: head.c }).h;
            return tf.losses.meanSquaredError(y, tf.add(tf.matMul(last, model.params.outW), model.params.outB));
          };
          return tf.norm(tf.grad(loss)(head.h));
        });
        oracle.push((await n.data())[0]!);
        n.dispose();
      }
      expect(flow.layers[0]!.norms).toBeAllClose(oracle, { rtol: isGpuBackend(backend) ? 5e-3 : 1e-4, atol: 1e-9 });
      expect(oracle[0]).toBeGreaterThan(0);
      tf.dispose([x, y]);
      model.dispose();
    });
  });

  it('measuring gradient flow does not change training (same losses, dropout included)', async () => {
    await expectNoLeaks(async () => {
      const losses = async (every: number | undefined) => {
        const model = tinyLm({ vocab: 9, embedding: 4, hidden: 6, seed: 3, dropout: 0.3 });
        const out: number[] = [];
        const flows: number[] = [];
        const trainer = new Trainer({
          model, data: new TokenStreams(ids, { batch: 3, steps: 5 }), steps: 6, seed: 9, optimizer: { kind: 'adam' }, learningRate: 0.02,
          ...(every ? { gradientFlowEvery: every } : {}),
          callbacks: [{ onStep: (m) => void (out.push(m.loss), m.gradientFlow && flows.push(m.step)) }],
        });
        await trainer.run();
        trainer.dispose();
        model.dispose();
        return { out, flows };
      };
      const plain = await losses(undefined);
      const measured = await losses(2);
      expect(measured.out).toEqual(plain.out);
      expect(measured.flows).toEqual([1, 3, 5]); // measured before 0-based steps 0, 2, 4
    });
  });
});
