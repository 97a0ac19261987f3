/**
 * `Exp` on wasm: tfjs-backend-wasm 4.22 calls the C library's `exp` one element at a time, ~6.6 ns
 * per element (three calls on [B·T, C] in every softmax cross-entropy step). The SIMD module's
 * `exp32` (scripts/simd/unary.mjs) runs at ~1 ns: within 2 ulp of the correctly rounded value,
 * +∞ above ln(FLT_MAX), NaN for NaN, and 0 where the result would be below 2⁻¹²⁵ (no
 * subnormals; the stock kernel returns them). Other dtypes, or a wasm without the module: stock.
 */
import * as tf from '@tensorflow/tfjs-core';
import { simdIfReady } from '../wasm/simd/module.js';
import { runStock, stockWasmKernel, type WasmBackendLike } from './wasm-backend.js';

export const expWasm: tf.KernelConfig = {
  kernelName: tf.Exp,
  backendName: 'wasm',
  // the stock kernel binds its wasm function in its setup, and the fallback below calls it
  setupFunc: (backend) => stockWasmKernel(tf.Exp).setupFunc?.(backend),
  kernelFunc: (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const backend = args.backend as unknown as WasmBackendLike;
    const simd = x.dtype === 'float32' ? simdIfReady(backend) : undefined;
    if (simd === undefined) return runStock(tf.Exp, args);
    const out = backend.makeOutput([...x.shape], 'float32');
    const n = tf.util.sizeFromShape(x.shape);
    if (n > 0) simd['exp32']!(backend.getMemoryOffset(x.dataId), backend.getMemoryOffset(out.dataId), n);
    return out;
  },
};
