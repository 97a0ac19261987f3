/**
 * `BatchMatMul` on wasm with transposes on XNNPACK. tfjs-backend-wasm 4.22 sends a product to
 * XNNPACK only when neither operand is transposed (and the batch is 1); any `transposeA` /
 * `transposeB` runs its scalar blocked loop (`cc/kernels/BatchMatMul.cc`), which is what every
 * matMul gradient asks for (dA = dY·Bᵀ, dB = Aᵀ·dY). Here the transposed operand is transposed
 * explicitly (a blocked memory pass, transpose.ts) and the product goes down the stock
 * untransposed path: same values up to float32 summation order, several times faster.
 * A transposed right operand (a weight, in BPTT) is kept for the next step (transpose-cache.ts).
 * An empty shared dimension gives zeros (the stock XNNPACK path returns uninitialised memory).
 */
import * as tf from '@tensorflow/tfjs-core';
import { TransposeCache } from './transpose-cache.js';
import { transposeLastTwo as transposeLast2 } from './transpose.js';
import { runStock, stockWasmKernel, type WasmBackendLike } from './wasm-backend.js';

interface BatchMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** The shared dimension, or undefined when the operands do not fit (the stock kernel then says why). */
function innerDim(a: tf.TensorInfo, b: tf.TensorInfo, { transposeA, transposeB }: BatchMatMulAttrs): number | undefined {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  return k === (transposeB ? b.shape[rb - 1] : b.shape[rb - 2]) ? k : undefined;
}

/** op(A)·op(B) with an empty shared dimension is all zeros (the stock XNNPACK path leaves the output uninitialised). */
function zeros(a: tf.TensorInfo, b: tf.TensorInfo, { transposeA, transposeB }: BatchMatMulAttrs, backend: WasmBackendLike): tf.TensorInfo {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const out = backend.makeOutput([...batch, m, n], 'float32');
  backend.typedArrayFromHeap(out).fill(0);
  return out;
}

/** Bᵀ of recent weights (see transpose-cache.ts). */
export const transposedB = new TransposeCache();

export const batchMatMulWasm: tf.KernelConfig = {
  kernelName: tf.BatchMatMul,
  backendName: 'wasm',
  // The stock kernel binds its wasm function in its setup; it runs below, so bind it too.
  setupFunc: (backend) => stockWasmKernel(tf.BatchMatMul).setupFunc?.(backend),
  kernelFunc: (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs as unknown as BatchMatMulAttrs;
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    const wasm = backend as unknown as WasmBackendLike;
    // Other dtypes and malformed shapes: the stock kernel, and its errors.
    const k = innerDim(a, b, attrs);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || k === undefined) return runStock(tf.BatchMatMul, args);
    if (k === 0) return zeros(a, b, attrs, wasm);
    if (!attrs.transposeA && !attrs.transposeB) return runStock(tf.BatchMatMul, args);
    const temps: tf.TensorInfo[] = [];
    try {
      const a2 = attrs.transposeA ? transposeLast2(a, wasm) : a;
      if (a2 !== a) temps.push(a2);
      // Bᵀ comes from the cache (not a temporary): the same weight is transposed once per pass.
      const b2 = attrs.transposeB ? transposedB.get(b, wasm, (x) => transposeLast2(x, wasm)) : b;
      return runStock(tf.BatchMatMul, { inputs: { a: a2, b: b2 }, attrs: { transposeA: false, transposeB: false }, backend });
    } finally {
      for (const t of temps) wasm.disposeData(t.dataId);
    }
  },
};
