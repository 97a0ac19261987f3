/**
 * What vanilla tf.layers cannot check, on every backend: our variants (peephole, coupled, GRU
 * reset-after, IRNN) through the layer against the float64 reference, with masks, goBackwards and
 * initial states; the recurrent-dropout composite against the fused ops (mask of ones, and a
 * batch-of-one mask folded into the recurrent kernel: (h ⊙ m)U = h·diag(m)U); and dropout's
 * one-mask-per-sequence semantics read off a transparent IRNN.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  describeBackends, expectNoLeaks, mulberry32, randomMat, referenceGru, referenceLstm, referenceSimpleRnn, tolerances, type Mat,
} from '../testing/index.js';
import { type CellVariant, gateCount, runFast, runWithRecurrentDropout, type CellParams } from './cell.js';
import { layers, type RecurrentLayer } from './index.js';

const [B, T, I, H] = [3, 5, 4, 3];
const toT = (m: Mat) => tf.tensor(Float32Array.from(m.data), [...m.shape]);
const MASK: Mat = { shape: [B, T], data: Float64Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0]) };

const VARIANTS: [string, CellVariant][] = [
  ['lstm peephole', { op: 'lstm', peephole: true, coupled: false }],
  ['lstm coupled', { op: 'lstm', peephole: false, coupled: true }],
  ['lstm peephole coupled', { op: 'lstm', peephole: true, coupled: true }],
  ['gru reset-after', { op: 'gru', resetAfter: true }],
  ['gru reset-before', { op: 'gru', resetAfter: false }],
  ['simpleRnn relu (IRNN)', { op: 'simpleRnn', activation: 'relu' }],
];

function makeLayer(v: CellVariant, extra: Record<string, unknown> = {}): RecurrentLayer {
  const common = { units: H, returnSequences: true, returnState: true, ...extra };
  if (v.op === 'lstm') return layers.lstm({ ...common, peephole: v.peephole, coupled: v.coupled });
  if (v.op === 'gru') return layers.gru({ ...common, resetAfter: v.resetAfter });
  return layers.simpleRnn({ ...common, activation: v.activation, recurrentInitializer: 'identity' });
}

/** Random float64 parameters in the layer's weight order. */
function randomParams(v: CellVariant, seed: number) {
  const rng = mulberry32(seed);
  const G = gateCount(v);
  const p: { kernel: Mat; recurrentKernel: Mat; bias: Mat; peephole?: { i?: Mat; f: Mat; o: Mat } } = {
    kernel: randomMat([I, G * H], rng, 0.5),
    recurrentKernel: randomMat([H, G * H], rng, 0.5),
    bias: randomMat(v.op === 'gru' && v.resetAfter ? [2, G * H] : [G * H], rng, 0.3),
  };
  if (v.op === 'lstm' && v.peephole) p.peephole = { ...(v.coupled ? {} : { i: randomMat([H], rng, 0.3) }), f: randomMat([H], rng, 0.3), o: randomMat([H], rng, 0.3) };
  const list = [p.kernel, p.recurrentKernel, p.bias, ...(p.peephole ? [p.peephole.i, p.peephole.f, p.peephole.o].filter((m): m is Mat => m !== undefined) : [])];
  return { p, list };
}

function reference(v: CellVariant, x: Mat, p: ReturnType<typeof randomParams>['p'], o: { h0: Mat; c0: Mat; mask: Mat; reverse: boolean }) {
  if (v.op === 'lstm') return referenceLstm(x, p, { ...o, coupled: v.coupled });
  if (v.op === 'gru') return referenceGru(x, p, { h0: o.h0, mask: o.mask, reverse: o.reverse, resetAfter: v.resetAfter });
  return referenceSimpleRnn(x, p, { h0: o.h0, mask: o.mask, reverse: o.reverse, activation: v.activation });
}

/** Reverses a [B, T, H] Mat along time (Keras' goBackwards output order). */
function reverseTime(m: Mat): Float64Array {
  const [b, t, h] = m.shape as [number, number, number];
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < b; i++) for (let k = 0; k < t; k++) for (let j = 0; j < h; j++) out[(i * t + k) * h + j] = m.data[(i * t + (t - 1 - k)) * h + j]!;
  return out;
}

describeBackends('layer variants vs the float64 reference', (backend) => {
  const tol = tolerances(backend).forward;

  describe.each(VARIANTS)('%s', (_name, v) => {
    it.each([false, true])('mask + initial states, goBackwards %s', async (goBackwards) => {
      const rng = mulberry32(goBackwards ? 11 : 12);
      const x = randomMat([B, T, I], rng);
      const h0 = randomMat([B, H], rng, 0.5);
      const c0 = randomMat([B, H], rng, 0.5);
      const { p, list } = randomParams(v, 3);
      const want = reference(v, x, p, { h0, c0, mask: MASK, reverse: goBackwards });
      await expectNoLeaks(async () => {
        const layer = makeLayer(v, { goBackwards });
        const [xt, mt, h0t, c0t] = [toT(x), toT(MASK), toT(h0), toT(c0)];
        const states = v.op === 'lstm' ? [h0t, c0t] : [h0t];
        tf.dispose(layer.apply(xt, { initialState: states, mask: mt }) as tf.Tensor[]);
        const weights = list.map(toT);
        layer.setWeights(weights);
        const out = layer.apply(xt, { initialState: states, mask: mt }) as tf.Tensor[];
        const got = await Promise.all(out.map((t) => t.data()));
        expect(got[0], 'sequence').toHaveRelativeError(goBackwards ? reverseTime(want.sequence) : want.sequence.data, tol);
        expect(got[1], 'h').toHaveRelativeError(want.h.data, tol);
        if (v.op === 'lstm') expect(got[2], 'c').toHaveRelativeError((want as ReturnType<typeof referenceLstm>).c.data, tol);
        tf.dispose([...out, ...weights, xt, mt, h0t, c0t]);
        layer.dispose();
      });
    });
  });
});

describeBackends('recurrent dropout composite vs the fused ops', (backend) => {
  const tol = tolerances(backend).forward;
  const ALL: [string, CellVariant][] = [...VARIANTS, ['lstm plain', { op: 'lstm', peephole: false, coupled: false }], ['simpleRnn tanh', { op: 'simpleRnn', activation: 'tanh' }]];

  function params(v: CellVariant, seed: number, scaleRows?: Float64Array): CellParams {
    const { p } = randomParams(v, seed);
    const U = p.recurrentKernel;
    const u = scaleRows ? { shape: U.shape, data: U.data.map((val, k) => val * scaleRows[Math.floor(k / U.shape[1]!)]!) } : U;
    const cp: CellParams = { kernel: toT(p.kernel) as tf.Tensor2D, recurrentKernel: toT(u) as tf.Tensor2D, bias: toT(p.bias) };
    if (p.peephole) cp.peephole = { ...(p.peephole.i ? { i: toT(p.peephole.i) as tf.Tensor1D } : {}), f: toT(p.peephole.f) as tf.Tensor1D, o: toT(p.peephole.o) as tf.Tensor1D };
    return cp;
  }
  const disposeParams = (p: CellParams) => tf.dispose([p.kernel, p.recurrentKernel, p.bias ?? [], p.peephole?.i ?? [], p.peephole?.f ?? [], p.peephole?.o ?? []]);

  it.each(ALL)('%s: mask of ones = fused op (mask, reverse, initial states)', async (_n, v) => {
    const p = params(v, 5);
    const x = tf.randomNormal([B, T, I], 0, 1, 'float32', 9) as tf.Tensor3D;
    const states = [tf.randomNormal([B, H], 0, 0.5, 'float32', 1), tf.randomNormal([B, H], 0, 0.5, 'float32', 2)].slice(0, v.op === 'lstm' ? 2 : 1) as tf.Tensor2D[];
    const mask = toT(MASK) as tf.Tensor2D;
    const ones = tf.ones([B, H]) as tf.Tensor2D;
    const a = runWithRecurrentDropout(v, x, p, states, mask, true, ones);
    const b = runFast(v, x, p, states, mask, true);
    expect(await a.sequence.data()).toHaveRelativeError(await b.sequence.data(), tol);
    for (let k = 0; k < a.states.length; k++) expect(await a.states[k]!.data()).toHaveRelativeError(await b.states[k]!.data(), tol);
    tf.dispose([a.sequence, ...a.states, b.sequence, ...b.states, x, ...states, mask, ones]);
    disposeParams(p);
  });

  it.each(ALL)('%s: batch of one, (h ⊙ m)U = h·(diag(m)U)', async (_n, v) => {
    const m = Float64Array.from([2, 0, 2]); // keep, drop, keep at rate 0.5
    const p = params(v, 6);
    const folded = params(v, 6, m);
    const x = tf.randomNormal([1, T, I], 0, 1, 'float32', 10) as tf.Tensor3D;
    const mt = tf.tensor2d(Float32Array.from(m), [1, H]);
    const a = runWithRecurrentDropout(v, x, p, undefined, undefined, false, mt);
    const b = runFast(v, x, folded, undefined, undefined, false);
    expect(await a.sequence.data()).toHaveRelativeError(await b.sequence.data(), tol);
    tf.dispose([a.sequence, ...a.states, b.sequence, ...b.states, x, mt]);
    disposeParams(p);
    disposeParams(folded);
  });
});

describeBackends('dropout: one mask per sequence', () => {
  // A transparent IRNN: W = I, b = 0, ReLU, positive inputs, so h_t = relu(x_t ⊙ d + (h_{t−1} ⊙ m) U).
  const irnn = (extra: Record<string, unknown>) =>
    layers.simpleRnn({ units: 4, activation: 'relu', kernelInitializer: 'identity', recurrentInitializer: 'identity', returnSequences: true, seed: 42, ...extra });

  it('input dropout: each (sample, feature) is dropped at every step or at none, survivors scaled by 1/(1 − rate)', async () => {
    const layer = irnn({ dropout: 0.5, recurrentInitializer: 'zeros' });
    const x = tf.add(tf.randomUniform([6, 7, 4], 0, 1, 'float32', 3), 0.5);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const [xv, yv] = [await x.data(), await y.data()];
    let dropped = 0;
    for (let b = 0; b < 6; b++) {
      for (let f = 0; f < 4; f++) {
        const ratios = Array.from({ length: 7 }, (_, t) => yv[(b * 7 + t) * 4 + f]! / xv[(b * 7 + t) * 4 + f]!);
        const first = Math.round(ratios[0]!);
        expect([0, 2]).toContain(first);
        for (const r of ratios) expect(r).toBeCloseTo(first, 4);
        if (first === 0) dropped++;
      }
    }
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(24);
    const inference = layer.apply(x) as tf.Tensor; // no dropout outside training
    expect(await inference.data()).toBeAllClose(xv, { rtol: 1e-5 });
    tf.dispose([x, y, inference]);
    layer.dispose();
  });

  it('recurrent dropout: h_t = x_0 ⊙ (2m)^t for one impulse, the same m at every step', async () => {
    const layer = irnn({ recurrentDropout: 0.5 });
    const impulse = tf.concat([tf.ones([5, 1, 4]), tf.zeros([5, 5, 4])], 1);
    const y = layer.apply(impulse, { training: true }) as tf.Tensor;
    const yv = await y.data();
    let dropped = 0;
    for (let b = 0; b < 5; b++) {
      for (let u = 0; u < 4; u++) {
        const h = Array.from({ length: 6 }, (_, t) => yv[(b * 6 + t) * 4 + u]!);
        expect(h[0]).toBeCloseTo(1, 5);
        const kept = h[1]! > 0;
        if (!kept) dropped++;
        for (let t = 1; t < 6; t++) expect(h[t]).toBeCloseTo(kept ? 2 ** t : 0, 3);
      }
    }
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(20);
    tf.dispose([impulse, y]);
    layer.dispose();
  });
});
