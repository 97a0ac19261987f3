/** `RecurrentTimeStep` on wasm: copies the step's rows straight out of the wasm heap. */
import type * as tf from '@tensorflow/tfjs-core';
import { copyStep, stepShape, TIME_STEP, type TimeStepAttrs } from './kernel.js';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

export const timeStepWasm: tf.KernelConfig = {
  kernelName: TIME_STEP,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    const addend = inputs.addend as tf.TensorInfo | undefined;
    const a = attrs as unknown as TimeStepAttrs;
    const wasm = backend as unknown as WasmBackendLike;
    const [, B] = stepShape(x.shape);
    // Allocate every output first: allocation can grow (and detach) the wasm heap.
    const outs = a.sizes.map((size) => wasm.makeOutput([B, size], 'float32'));
    const add = addend === undefined ? undefined : wasm.typedArrayFromHeap(addend);
    copyStep(wasm.typedArrayFromHeap(x), x.shape, a, outs.map((o) => wasm.typedArrayFromHeap(o)), add);
    return outs;
  },
};
