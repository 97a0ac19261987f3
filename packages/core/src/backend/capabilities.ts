/** What the active backend can do, for ops and layers that must adapt their kernels to it. */
import * as tf from '@tensorflow/tfjs-core';
import { wasmKernels } from '../kernels/wasm-overrides/index.js';
import { simdCellsReady } from '../kernels/wasm/simd/module.js';
import type { BackendCapabilities, BackendName } from './types.js';

const PORTABLE = { gpu: false, slowTransposedMatMul: false, packsMatMulOperandB: false, copyingSlices: false, slowTanh: false, hostMemory: false } as const;

/** Capabilities of the active tfjs backend. */
export function backendCapabilities(): BackendCapabilities {
  const name = tf.getBackend() as BackendName;
  switch (name) {
    case 'cpu':
      return { ...PORTABLE, name, hostMemory: true, epsilon: tf.backend().epsilon() };
    case 'wasm':
      return {
        ...PORTABLE, name, slowTransposedMatMul: true, copyingSlices: true, slowTanh: true, hostMemory: true, epsilon: tf.backend().epsilon(),
        // (gᵀ·a)ᵀ pays off only with the fixed Transpose and Sum, which run on the SIMD module
        packsMatMulOperandB: wasmKernels() === 'fixed' && simdCellsReady(tf.backend()),
      };
    case 'webgl':
    case 'webgpu':
      return { ...PORTABLE, name, gpu: true, epsilon: tf.backend().epsilon() };
    case 'tensorflow':
      return { ...PORTABLE, name, epsilon: tf.backend().epsilon() };
    default:
      name satisfies never;
      // A backend registered by someone else: assume the portable, conservative choices.
      return { ...PORTABLE, name, epsilon: tf.backend().epsilon() };
  }
}
