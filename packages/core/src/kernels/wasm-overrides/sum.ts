/**
 * `Sum` on wasm over leading axes (a bias gradient: [B·T, C] → [C]). tfjs-backend-wasm 4.22
 * reduces only innermost axes, so it first transposes the input with its strided copy (~9 ns per
 * element: ~1 ms for [2048, 64]). Here the SIMD module (scripts/simd/layout.mjs `colsum32`) adds
 * the rows in order, four columns at a time — the order the stock kernel sums each column in.
 * A sum of no rows is 0 for float32 and int32 (the stock kernel returns uninitialised memory).
 * Other axes, dtypes, or a wasm without the module: the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { simdIfReady } from '../wasm/simd/module.js';
import { runStock, stockWasmKernel, type WasmBackendLike } from './wasm-backend.js';

/** The count of leading axes `axis` names when it names exactly axes 0 … k−1 (k ≥ 1, k < rank), else 0. */
export function leadingAxes(axis: number | number[], rank: number): number {
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= rank) return 0;
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

export const sumWasm: tf.KernelConfig = {
  kernelName: tf.Sum,
  backendName: 'wasm',
  // the stock kernel binds its wasm function in its setup, and the fallback below calls it
  setupFunc: (backend) => stockWasmKernel(tf.Sum).setupFunc?.(backend),
  kernelFunc: (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const k = leadingAxes(axis, x.shape.length);
    const backend = args.backend as unknown as WasmBackendLike;
    const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
    const kept = x.shape.slice(k);
    const shape = keepDims ? [...new Array<number>(k).fill(1), ...kept] : kept;
    if (k > 0 && rows === 0 && (x.dtype === 'float32' || x.dtype === 'int32')) {
      // a sum of no rows is 0 (the stock kernel leaves its output uninitialised here)
      const out = backend.makeOutput(shape, x.dtype);
      backend.typedArrayFromHeap(out).fill(0);
      return out;
    }
    const simd = x.dtype === 'float32' && k > 0 ? simdIfReady(backend) : undefined;
    if (simd === undefined) return runStock(tf.Sum, args);
    const out = backend.makeOutput(shape, 'float32');
    const cols = tf.util.sizeFromShape(kept);
    if (cols > 0) simd['colsum32']!(backend.getMemoryOffset(x.dataId), backend.getMemoryOffset(out.dataId), rows, cols);
    return out;
  },
};
