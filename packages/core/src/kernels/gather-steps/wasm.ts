/**
 * `RecurrentGatherSteps` on wasm (see kernel.ts): row copies between heap views. The composite
 * (a concat of every part, then a column slice) copies a carry sequence twice; this copies only
 * the columns kept, once.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from '../wasm-overrides/wasm-backend.js';
import { GATHER_STEPS, type GatherStepsAttrs } from './kernel.js';

export const gatherStepsWasm: tf.KernelConfig = {
  kernelName: GATHER_STEPS,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const wasm = backend as unknown as WasmBackendLike;
    const { from, width } = attrs as unknown as GatherStepsAttrs;
    const parts = Object.values(inputs) as tf.TensorInfo[];
    const [, B, W] = parts[0]!.shape as [number, number, number];
    const T = parts.reduce((n, p) => n + p.shape[0]!, 0);
    const out = wasm.makeOutput([T, B, width], 'float32'); // allocate before taking views
    const o = wasm.typedArrayFromHeap(out) as Float32Array;
    let row = 0;
    for (const p of parts) {
      const v = wasm.typedArrayFromHeap(p) as Float32Array;
      const rows = p.shape[0]! * B;
      if (from === 0 && width === W) o.set(v.subarray(0, rows * W), row * width);
      else for (let r = 0; r < rows; r++) o.set(v.subarray(r * W + from, r * W + from + width), (row + r) * width);
      row += rows;
    }
    return out;
  },
};
