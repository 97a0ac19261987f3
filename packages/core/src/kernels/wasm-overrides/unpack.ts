/**
 * `Unpack` (`tf.unstack`) on wasm through the slice override: each output copies its own rows
 * instead of the whole input (tfjs-backend-wasm 4.22 slices through a full heap copy per output).
 */
import * as tf from '@tensorflow/tfjs-core';
import { sliceWasmImpl } from './slice.js';
import { runStock, type WasmBackendLike } from './wasm-backend.js';

export const unpackWasm: tf.KernelConfig = {
  kernelName: tf.Unpack,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const value = args.inputs.value as tf.TensorInfo;
    if (value.dtype === 'string') return runStock(tf.Unpack, args) as unknown as tf.TensorInfo[];
    const rank = value.shape.length;
    let axis = (args.attrs as unknown as { axis: number }).axis;
    if (axis < 0) axis += rank;
    const outShape = value.shape.filter((_, i) => i !== axis);
    const begin = new Array<number>(rank).fill(0);
    const size = value.shape.slice();
    size[axis] = 1;
    const outs: tf.TensorInfo[] = [];
    for (let i = 0; i < value.shape[axis]!; i++) {
      begin[axis] = i;
      const { dataId, dtype } = sliceWasmImpl(value, begin, size, args.backend as unknown as WasmBackendLike);
      outs.push({ dataId, dtype, shape: outShape });
    }
    return outs;
  },
};
