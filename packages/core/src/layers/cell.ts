/**
 * The bridge between a layer and the math: which recurrence a layer runs (`CellVariant`), the fast
 * path through our ops, and the per-step path that recurrent dropout needs.
 *
 * Recurrent dropout (Gal & Ghahramani 2016, one mask per sequence) multiplies h_{t−1} by a fixed
 * mask m [B, H] wherever it enters a product with the recurrent kernel:
 *
 *     LSTM:        z_t = x_t W + (h_{t−1} ⊙ m) U + b                      (c and the carry untouched)
 *     GRU before:  z, r from (h_{t−1} ⊙ m) U_{z,r};  ĥ from (r_t ⊙ h_{t−1} ⊙ m) U_h
 *     GRU after:   ĥ from r_t ⊙ ((h_{t−1} ⊙ m) U_h + b_hh);  h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ (unmasked carry)
 *     simple RNN:  h_t = φ(x_t W + (h_{t−1} ⊙ m) U + b)
 *
 * (Keras ≥ 2 with `implementation: 2` and Keras 3 use the same single mask.) The mask sits inside
 * the recurrence, so no reparametrisation of the whole-sequence ops can express it; during
 * training with `recurrentDropout > 0` the layers therefore run this per-step composite of plain
 * tfjs ops, differentiated by tfjs autodiff — slower, like Keras' own fallback from cuDNN in the
 * same case. Inference (and training without recurrent dropout) always runs the fused ops.
 */
import * as tf from '@tensorflow/tfjs';
import { ops } from '../ops/index.js';

/** Which recurrence a layer runs, with the options that change its math. */
export type CellVariant =
  | { op: 'lstm'; coupled: boolean; peephole: boolean }
  | { op: 'gru'; resetAfter: boolean }
  | { op: 'simpleRnn'; activation: 'tanh' | 'relu' };

/** A layer's parameters as tensors (read from its variables for one call). */
export interface CellParams {
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias?: tf.Tensor;
  peephole?: { i?: tf.Tensor1D; f: tf.Tensor1D; o: tf.Tensor1D };
}

/** A run over a whole sequence: the outputs aligned with input positions, and the final states. */
export interface CellRun {
  sequence: tf.Tensor3D;
  /** [h] or [h, c], each [B, H]. */
  states: tf.Tensor2D[];
}

/** Number of H-wide column blocks of the kernels. */
export function gateCount(v: CellVariant): number {
  switch (v.op) {
    case 'lstm':
      return v.coupled ? 3 : 4;
    case 'gru':
      return 3;
    case 'simpleRnn':
      return 1;
    default:
      return v satisfies never;
  }
}

/** Number of state tensors ([h] or [h, c]). */
export function stateCount(v: CellVariant): 1 | 2 {
  return v.op === 'lstm' ? 2 : 1;
}

/** The fused whole-sequence op with our BPTT (the path for everything but recurrent dropout). */
export function runFast(v: CellVariant, x: tf.Tensor3D, p: CellParams, states: tf.Tensor2D[] | undefined, mask: tf.Tensor2D | undefined, reverse: boolean): CellRun {
  const h0 = states?.[0];
  switch (v.op) {
    case 'lstm': {
      const r = ops.lstm(x, { kernel: p.kernel, recurrentKernel: p.recurrentKernel, bias: p.bias as tf.Tensor1D | undefined, peephole: p.peephole }, { h0, c0: states?.[1], mask, reverse, coupled: v.coupled });
      return { sequence: r.sequence, states: [r.h, r.c] };
    }
    case 'gru': {
      const r = ops.gru(x, { kernel: p.kernel, recurrentKernel: p.recurrentKernel, bias: p.bias as tf.Tensor1D | tf.Tensor2D | undefined }, { h0, mask, reverse, resetAfter: v.resetAfter });
      return { sequence: r.sequence, states: [r.h] };
    }
    case 'simpleRnn': {
      const r = ops.simpleRnn(x, { kernel: p.kernel, recurrentKernel: p.recurrentKernel, bias: p.bias as tf.Tensor1D | undefined }, { h0, mask, reverse, activation: v.activation });
      return { sequence: r.sequence, states: [r.h] };
    }
    default:
      return v satisfies never;
  }
}

/**
 * The per-step composite with recurrent dropout mask `m` [B, H] (already scaled by 1/(1 − rate)).
 * Same conventions as the ops: `mask` [B, T] carries the state over where 0, `reverse` runs from
 * T − 1 down to 0 with outputs aligned to input positions.
 */
export function runWithRecurrentDropout(
  v: CellVariant, x: tf.Tensor3D, p: CellParams, states: tf.Tensor2D[] | undefined, mask: tf.Tensor2D | undefined, reverse: boolean, m: tf.Tensor2D,
): CellRun {
  return tf.tidy(() => {
    const [B, T] = x.shape;
    const H = p.recurrentKernel.shape[0];
    const G = gateCount(v);
    const zeros = () => tf.zeros([B, H]) as tf.Tensor2D;
    let h: tf.Tensor2D = states?.[0] ?? zeros();
    let c: tf.Tensor2D = states?.[1] ?? zeros();
    // Input projection for all steps at once: [T, B, G·H]; reset-after GRU adds only row 0 of its bias.
    // (unstack, not gather: gather's gradient needs UnsortedSegmentSum, which wasm lacks)
    const biasRows = p.bias !== undefined && p.bias.rank === 2 ? tf.unstack(p.bias) : undefined;
    const inBias = biasRows ? biasRows[0] : p.bias;
    const xw = tf.reshape(tf.matMul(tf.reshape(x, [B * T, -1]), p.kernel), [B, T, G * H]);
    const XP = tf.unstack(tf.transpose(inBias ? tf.add(xw, inBias) : xw, [1, 0, 2]));
    const M = mask === undefined ? undefined : tf.unstack(tf.transpose(tf.cast(tf.notEqual(mask, 0), 'float32')));
    const blocks = (t: tf.Tensor, n: number) => tf.split(t, n, t.rank - 1);
    // Reset-before GRU: U_{z,r} and U_h separately, once.
    const uSplit = v.op === 'gru' && !v.resetAfter ? (tf.split(p.recurrentKernel, [2 * H, H], 1) as [tf.Tensor2D, tf.Tensor2D]) : undefined;
    const outputs: tf.Tensor2D[] = new Array<tf.Tensor2D>(T);
    for (let k = 0; k < T; k++) {
      const t = reverse ? T - 1 - k : k;
      const xp = XP[t]!;
      const hd = tf.mul(h, m); // the dropped h_{t−1}, for the recurrent products only
      let hNew: tf.Tensor;
      let cNew: tf.Tensor = c;
      if (v.op === 'lstm') {
        const z = tf.add(xp, tf.matMul(hd, p.recurrentKernel));
        const parts = blocks(z, G);
        const pp = p.peephole;
        const [zi, zf, zc, zo] = v.coupled ? [undefined, parts[0]!, parts[1]!, parts[2]!] : [parts[0]!, parts[1]!, parts[2]!, parts[3]!];
        const f = tf.sigmoid(pp ? tf.add(zf, tf.mul(pp.f, c)) : zf);
        const i = v.coupled ? tf.sub(1, f) : tf.sigmoid(pp?.i ? tf.add(zi!, tf.mul(pp.i, c)) : zi!);
        cNew = tf.add(tf.mul(f, c), tf.mul(i, tf.tanh(zc)));
        const o = tf.sigmoid(pp ? tf.add(zo, tf.mul(pp.o, cNew)) : zo);
        hNew = tf.mul(o, tf.tanh(cNew));
      } else if (v.op === 'gru') {
        const [xz, xr, xh] = blocks(xp, 3) as [tf.Tensor, tf.Tensor, tf.Tensor];
        let hz: tf.Tensor;
        let hr: tf.Tensor;
        let hh: tf.Tensor;
        if (v.resetAfter) {
          const rb = biasRows?.[1];
          const hu = tf.matMul(hd, p.recurrentKernel);
          [hz, hr, hh] = blocks(rb ? tf.add(hu, rb) : hu, 3) as [tf.Tensor, tf.Tensor, tf.Tensor];
          const r = tf.sigmoid(tf.add(xr, hr));
          const z = tf.sigmoid(tf.add(xz, hz));
          const cand = tf.tanh(tf.add(xh, tf.mul(r, hh)));
          hNew = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), cand));
        } else {
          const [Uzr, Uh] = uSplit!;
          [hz, hr] = blocks(tf.matMul(hd, Uzr), 2) as [tf.Tensor, tf.Tensor];
          const z = tf.sigmoid(tf.add(xz, hz));
          const r = tf.sigmoid(tf.add(xr, hr));
          const cand = tf.tanh(tf.add(xh, tf.matMul(tf.mul(r, hd), Uh)));
          hNew = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), cand));
        }
      } else {
        const a = tf.add(xp, tf.matMul(hd, p.recurrentKernel));
        hNew = v.activation === 'relu' ? tf.relu(a) : tf.tanh(a);
      }
      if (M !== undefined) {
        const mt = tf.reshape(M[t]!, [B, 1]);
        hNew = tf.add(h, tf.mul(mt, tf.sub(hNew, h)));
        cNew = tf.add(c, tf.mul(mt, tf.sub(cNew, c)));
      }
      h = hNew as tf.Tensor2D;
      c = cNew as tf.Tensor2D;
      outputs[t] = h;
    }
    return { sequence: tf.stack(outputs, 1) as tf.Tensor3D, states: v.op === 'lstm' ? [h, c] : [h] };
  });
}
