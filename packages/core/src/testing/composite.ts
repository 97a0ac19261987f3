/**
 * The per-step composite: SPEC.md's equations, one step at a time, with ordinary tfjs ops
 * (`tf.slice` per step, `tf.sigmoid`, `tf.tanh`, `tf.relu`), no customGrad and no fused gates —
 * so tfjs autodiff of it is an oracle for our BPTT independent of the ops' own code.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gateCount, type Call, type Outputs, type TensorRun, type Variant } from './op-harness.js';

/** Runs the variant's cell over the sequence with plain tfjs ops; tfjs autodiff differentiates it. */
export function composite(variant: Variant): TensorRun {
  return (call) => tf.tidy(() => compositeRun(variant, call));
}

function compositeRun(variant: Variant, { x, params, options }: Call<tf.Tensor>): Outputs<tf.Tensor> {
  const [B, T, I] = x.shape as [number, number, number];
  const H = params.recurrentKernel.shape[0]!;
  const G = gateCount(variant);
  const W = params.kernel as tf.Tensor2D;
  const U = params.recurrentKernel as tf.Tensor2D;
  // Column block k (H wide) of a [B, G·H] or [G·H] tensor.
  const col = (a: tf.Tensor, k: number): tf.Tensor =>
    a.rank === 1 ? tf.slice(a, [k * H], [H]) : tf.slice(a, [0, k * H], [a.shape[0]!, H]);
  const zerosBH = () => tf.zeros([B, H]);
  let h: tf.Tensor = options.h0 ?? zerosBH();
  let c: tf.Tensor = options.c0 ?? zerosBH();
  const outputs: tf.Tensor[] = new Array(T);
  for (let n = 0; n < T; n++) {
    const t = options.reverse ? T - 1 - n : n;
    const xt = tf.reshape(tf.slice(x, [0, t, 0], [B, 1, I]), [B, I]);
    let hNew: tf.Tensor;
    let cNew: tf.Tensor = c;
    if (variant.op === 'lstm') {
      // a = x_t W + h_{t-1} U + b, blocks i, f, c, o (coupled: f, c, o).
      const a0 = tf.add(tf.matMul(xt, W), tf.matMul(h, U));
      const a = params.bias ? tf.add(a0, params.bias) : a0;
      const p = params.peephole;
      const fb = variant.coupled ? 0 : 1;
      const f = tf.sigmoid(p ? tf.add(col(a, fb), tf.mul(p.f, c)) : col(a, fb));
      const i = variant.coupled ? tf.sub(1, f) : tf.sigmoid(p?.i ? tf.add(col(a, 0), tf.mul(p.i, c)) : col(a, 0));
      const g = tf.tanh(col(a, fb + 1));
      cNew = tf.add(tf.mul(f, c), tf.mul(i, g));
      const o = tf.sigmoid(p ? tf.add(col(a, fb + 2), tf.mul(p.o, cNew)) : col(a, fb + 2));
      hNew = tf.mul(o, tf.tanh(cNew));
    } else if (variant.op === 'gru') {
      const ax = tf.matMul(xt, W); // x_t W, blocks z, r, h
      let z: tf.Tensor;
      let r: tf.Tensor;
      let hHat: tf.Tensor;
      if (variant.resetAfter) {
        // bias [2, 3H]: row 0 input bias b_x, row 1 recurrent bias b_h.
        const bx = params.bias ? tf.reshape(tf.slice(params.bias, [0, 0], [1, G * H]), [G * H]) : undefined;
        const bh = params.bias ? tf.reshape(tf.slice(params.bias, [1, 0], [1, G * H]), [G * H]) : undefined;
        const xs = bx ? tf.add(ax, bx) : ax;
        const hU = tf.matMul(h, U);
        const hs = bh ? tf.add(hU, bh) : hU;
        z = tf.sigmoid(tf.add(col(xs, 0), col(hs, 0)));
        r = tf.sigmoid(tf.add(col(xs, 1), col(hs, 1)));
        hHat = tf.tanh(tf.add(col(xs, 2), tf.mul(r, col(hs, 2))));
      } else {
        const xs = params.bias ? tf.add(ax, params.bias) : ax;
        z = tf.sigmoid(tf.add(col(xs, 0), tf.matMul(h, col(U, 0))));
        r = tf.sigmoid(tf.add(col(xs, 1), tf.matMul(h, col(U, 1))));
        hHat = tf.tanh(tf.add(col(xs, 2), tf.matMul(tf.mul(r, h), col(U, 2))));
      }
      hNew = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hHat));
    } else {
      const a0 = tf.add(tf.matMul(xt, W), tf.matMul(h, U));
      const a = params.bias ? tf.add(a0, params.bias) : a0;
      hNew = variant.activation === 'relu' ? tf.relu(a) : tf.tanh(a);
    }
    if (options.mask !== undefined) {
      // Where mask[b, t] = 0 the state is carried over: s ← m·s_new + (1 − m)·s.
      const m = tf.reshape(tf.slice(options.mask, [0, t], [B, 1]), [B, 1]);
      const keep = tf.sub(1, m);
      hNew = tf.add(tf.mul(m, hNew), tf.mul(keep, h));
      cNew = tf.add(tf.mul(m, cNew), tf.mul(keep, c));
    }
    h = hNew;
    c = cNew;
    outputs[t] = h;
  }
  const out: Outputs<tf.Tensor> = { sequence: tf.stack(outputs, 1), h };
  if (variant.op === 'lstm') out.c = c;
  return out;
}
