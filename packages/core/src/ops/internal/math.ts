/** Small numeric building blocks shared by the recurrent ops. */
import * as tf from '@tensorflow/tfjs-core';
import { backendCapabilities } from '../../backend/index.js';
import { splitColumns } from './time.js';

/** x·W + b as one fused kernel ([N, I]·[I, G·H] + [G·H]). */
export function affine(x: tf.Tensor, W: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.fused.matMul({ a: x as tf.Tensor2D, b: W as tf.Tensor2D, bias: b }) as tf.Tensor2D;
}

/** Aᵀ·B; transposes A explicitly where transposed matMuls are slow (stock wasm). */
export function matMulT(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return backendCapabilities().slowTransposedMatMul ? tf.matMul(tf.transpose(a), b) : tf.matMul(a, b, true, false);
}

/** Wᵀ, materialised once per call so the per-step matMul needs no transpose flag. */
export function transposeOnce(w: tf.Tensor): tf.Tensor2D {
  return tf.transpose(w as tf.Tensor2D);
}

/** [G·H] vector of ones with the `block`-th H-wide block set to 2. */
export function gateScale(gates: number, block: number, units: number): tf.Tensor1D {
  const v = new Float32Array(gates * units).fill(1);
  v.fill(2, block * units, (block + 1) * units);
  return tf.tensor1d(v);
}

/** tanh(x), or 2σ(2x) − 1 where tanh is slow (wasm: ~15× slower than sigmoid per element). */
export function tanhOf(x: tf.Tensor, slow: boolean): tf.Tensor {
  return slow ? tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1) : tf.tanh(x);
}

/** [first; seq[0..T−2]]: the state before each step, from the initial state [B, H] and the per-step states [T, B, H]. */
export function shiftIn(first: tf.Tensor, seq: tf.Tensor3D): tf.Tensor3D {
  const [T, B, H] = seq.shape;
  const head = tf.expandDims(first, 0);
  if (T === 1) return head as tf.Tensor3D;
  return tf.concat([head, tf.slice(seq, [0, 0, 0], [T - 1, B, H])], 0) as tf.Tensor3D;
}

/**
 * The gradients of the weights a gate gradient g [N, M] flows into: `weight(a)` = aᵀ·g for the
 * activations a [N, K] that multiplied them (`weight(a, [from, width])`: against g's columns
 * from … from + width − 1 only), `bias()` = the column sums of g. Where matMul repacks
 * its second operand (capability `packsMatMulOperandB`: wasm) aᵀ·g is formed as (gᵀ·a)ᵀ, gᵀ
 * transposed once for every a, so only the activations are packed (~3 ms less per LSTM training
 * step at B 32, T 64, H 256 on this machine); the bias then takes the column-sum `Sum`.
 */
export function gradsAgainst(g: tf.Tensor2D): { weight(a: tf.Tensor2D, columns?: [number, number]): tf.Tensor2D; bias(): tf.Tensor1D } {
  const repacks = backendCapabilities().packsMatMulOperandB;
  const [N, M] = g.shape;
  let gT: tf.Tensor2D | undefined;
  return {
    weight: (a, [from, width] = [0, M]) => {
      if (!repacks) return matMulT(a, width === M ? g : (tf.slice(g, [0, from], [N, width]) as tf.Tensor2D));
      gT ??= tf.transpose(g);
      return tf.transpose(tf.matMul(width === M ? gT : (tf.slice(gT, [from, 0], [width, N]) as tf.Tensor2D), a));
    },
    bias: () => (repacks ? tf.sum(g, 0) : sumRows(g)),
  };
}

/** Column sums of [N, K] as [K]: a ones-vector matMul, far faster than a reduction over axis 0 on wasm. */
export function sumRows(x: tf.Tensor2D): tf.Tensor1D {
  const [n, k] = x.shape;
  return tf.reshape(tf.matMul(tf.ones([1, n]), x), [k]) as tf.Tensor1D;
}

/** [n·H] vector whose k-th H-wide block is `values[k]`, e.g. [−1, 1, 2] → (−1 ×H, 1 ×H, 2 ×H). */
export function blockConstants(values: readonly number[], units: number): tf.Tensor1D {
  const v = new Float32Array(values.length * units);
  values.forEach((value, k) => v.fill(value, k * units, (k + 1) * units));
  return tf.tensor1d(v);
}

/**
 * tanh(a) read off s = σ(2a) as 2s − 1, for backends with slow tanh whose callers scaled a's
 * weights by 2 beforehand: one sigmoid and one read (a single dispatch where the step kernel
 * exists) instead of tanhOf's four kernels.
 */
export function tanhOfDoubled(a2: tf.Tensor2D): tf.Tensor2D {
  return splitColumns(tf.sigmoid(a2), [a2.shape[1]], { scale: [2], shift: [-1] })[0]!;
}
