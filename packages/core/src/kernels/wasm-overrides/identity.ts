/**
 * `Identity` on wasm: tfjs-backend-wasm 4.22 copies the whole tensor, which is what `tf.clone` and
 * every tensor a `customGrad` saves for its gradient cost (the LSTM's training records: 14.7 MB,
 * ~1 ms per step at B 32, T 64, H 256). Tensors are immutable, so the output shares the input's
 * data and the backend counts the reference, as its own `Reshape` and tfjs' cpu `Identity` do.
 * Strings stay with the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runStock } from './wasm-backend.js';

interface RefCounted {
  incRef(dataId: tf.DataId): void;
}

export const identityWasm: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return runStock(tf.Identity, args);
    (args.backend as unknown as RefCounted).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  },
};
