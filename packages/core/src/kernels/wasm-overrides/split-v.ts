/**
 * `SplitV` (`tf.split`) on wasm through the slice override: each part copies its own rows instead
 * of the whole input (tfjs-backend-wasm 4.22 slices through a full heap copy per part).
 */
import * as tf from '@tensorflow/tfjs-core';
import { sliceWasmImpl } from './slice.js';
import { runStock, type WasmBackendLike } from './wasm-backend.js';

interface SplitVAttrs {
  numOrSizeSplits: number | number[];
  axis: number;
}

export const splitVWasm: tf.KernelConfig = {
  kernelName: tf.SplitV,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return runStock(tf.SplitV, args) as unknown as tf.TensorInfo[];
    const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
    const $axis = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = x.shape.slice();
      size[$axis] = s;
      const part = sliceWasmImpl(x, begin, size, args.backend as unknown as WasmBackendLike);
      begin[$axis]! += s;
      return part;
    });
  },
};
