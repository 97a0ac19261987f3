/**
 * The host trace against an independent computation: CharRnn's forward pass (`ops.lstm`,
 * `ops.gru`, `ops.simpleRnn`, fused tfjs kernels) fed one character at a time gives each layer's
 * h and c and the next-character distribution; the gates are recomputed from those states with
 * plain tfjs ops (σ(x W + h U + b) per block) as a second, separately written reference.
 */
import * as tf from '@tensorflow/tfjs-core';
import { buildCharModel, CharRnn, encodeCharModel, parseCharModel, Vocabulary, type CharCell, type CharState } from '@recurrent/models';
import { describe, expect, it } from 'vitest';
import { topK, Tracer } from './trace.js';

const V = 5;
const H = 4;
const E = 3;
const ids = [0, 3, 1, 4, 4, 2, 0, 1];

async function setup(cell: CharCell) {
  const model = new CharRnn({ vocabSize: V, cell, layers: 2, hidden: H, embedding: E, dropout: 0, seed: 11 });
  // Larger weights than the ±0.08 initialisation, so gates leave 0.5 and the test has teeth.
  let k = 0;
  for (const v of Object.values(model.params)) tf.tidy(() => v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => Math.sin(1.3 * ++k) * 1.5), v.shape)));
  const vocab = new Vocabulary(['a', 'b', 'c', 'd', 'e']);
  const { json, weights } = await encodeCharModel(model, vocab);
  const host = parseCharModel(json, weights);
  return { model, host };
}

const sigmoid = (x: tf.Tensor) => tf.sigmoid(x);

describe.each(['lstm', 'gru', 'rnn'] as const)('Tracer (%s)', (cell) => {
  it('matches CharRnn.forward step by step: h, c, next-character probabilities and gates', async () => {
    const { model, host } = await setup(cell);
    const tracer = new Tracer(host);
    let state: CharState = model.zeroState(1);
    for (const id of ids) {
      const step = tracer.step(id);
      const prev = state;
      const out = tf.tidy(() => model.forward(tf.tensor2d([[id]], [1, 1], 'int32'), prev));
      const probs = tf.tidy(() => tf.softmax(out.logits));
      expect(step.next).toBeAllClose(await probs.data(), { atol: 1e-5 });
      for (let l = 0; l < 2; l++) {
        const got = step.layers[l]!;
        const s = out.state[l]!;
        expect(got.h!).toBeAllClose(await s.h.data(), { atol: 1e-5 });
        if ('c' in s) expect(got.c!).toBeAllClose(await s.c.data(), { atol: 1e-5 });
        // Gates from plain tfjs ops: a = x W + h_{t−1} U + b, x the layer's input this step.
        const x = l === 0 ? tf.tidy(() => tf.slice(model.params.embed!, [id, 0], [1, E])) : out.state[0]!.h;
        const W = model.params[`l${l}.kernel`]!;
        const U = model.params[`l${l}.recurrentKernel`]!;
        const b = model.params[`l${l}.bias`]!;
        const h0 = prev[l]!.h;
        const gates = tf.tidy(() => {
          const xw = tf.add(tf.matMul(x, W), b);
          const hu = tf.matMul(h0, U);
          const block = (t: tf.Tensor, j: number) => tf.slice(t, [0, j * H], [1, H]);
          if (cell === 'lstm') {
            const a = tf.add(xw, hu);
            return { i: sigmoid(block(a, 0)), f: sigmoid(block(a, 1)), g: tf.tanh(block(a, 2)), o: sigmoid(block(a, 3)) };
          }
          if (cell === 'gru') {
            const z = sigmoid(tf.add(block(xw, 0), block(hu, 0)));
            const r = sigmoid(tf.add(block(xw, 1), block(hu, 1)));
            const g = tf.tanh(tf.add(block(xw, 2), tf.matMul(tf.mul(r, h0), tf.slice(U, [0, 2 * H], [H, H]))));
            return { z, r, g };
          }
          return {};
        });
        for (const [q, t] of Object.entries(gates)) expect(got[q as 'i']!).toBeAllClose(await t.data(), { atol: 1e-5 });
        tf.dispose(Object.values(gates));
        if (l === 0) x.dispose();
      }
      tf.dispose([probs, out.logits, ...prev.flatMap((s) => Object.values(s))]);
      state = out.state;
    }
    tf.dispose(state.flatMap((s) => Object.values(s)));
    model.dispose();
  });
});

describe('Tracer', () => {
  it('reset() starts again from the zero state', async () => {
    const { model, host } = await setup('lstm');
    const tracer = new Tracer(host);
    const first = tracer.step(2);
    tracer.step(1);
    tracer.reset();
    expect(Array.from(tracer.step(2).layers[1]!.c!)).toEqual(Array.from(first.layers[1]!.c!));
    model.dispose();
    buildCharModel(host).model.dispose();
  });

  it('topK lists the most likely first', () => {
    expect(topK([0.1, 0.5, 0.15, 0.25], 3)).toEqual([[1, 0.5], [3, 0.25], [2, 0.15]]);
  });
});
