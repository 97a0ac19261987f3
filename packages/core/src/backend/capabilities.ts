/** What the active backend can do, for ops and layers that must adapt their kernels to it. */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendCapabilities, BackendName } from './types.js';

/** Capabilities of the active tfjs backend. */
export function backendCapabilities(): BackendCapabilities {
  const name = tf.getBackend() as BackendName;
  switch (name) {
    case 'cpu':
      return { name, gpu: false, slowTransposedMatMul: false, epsilon: tf.backend().epsilon() };
    case 'wasm':
      return { name, gpu: false, slowTransposedMatMul: true, epsilon: tf.backend().epsilon() };
    case 'webgl':
    case 'webgpu':
      return { name, gpu: true, slowTransposedMatMul: false, epsilon: tf.backend().epsilon() };
    case 'tensorflow':
      return { name, gpu: false, slowTransposedMatMul: false, epsilon: tf.backend().epsilon() };
    default:
      name satisfies never;
      // A backend registered by someone else: assume the portable, conservative choices.
      return { name, gpu: false, slowTransposedMatMul: false, epsilon: tf.backend().epsilon() };
  }
}
