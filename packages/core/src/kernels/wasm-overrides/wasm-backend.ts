/**
 * What the wasm kernel overrides need from tfjs-backend-wasm's `BackendWasm`, as a structural type
 * (the backend package itself is imported only by `src/backend/`), and the stock kernels they fall
 * back to: the registry entries tfjs registered, kept before ours replace them.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId): boolean;
  /** The byte offset of a tensor's data in the wasm heap. */
  getMemoryOffset(dataId: tf.DataId): number;
}

const stock = new Map<string, tf.KernelConfig>();

/** Remembers tfjs' own wasm kernel `name` (once: later calls keep the first, the stock one). */
export function rememberStock(name: string): void {
  if (stock.has(name)) return;
  const config = tf.getKernel(name, 'wasm');
  if (config !== undefined) stock.set(name, config);
}

/**
 * tfjs' own wasm kernel `name`, as registered before any override: the fallback of the overrides
 * and the reference of their equivalence tests.
 */
export function stockWasmKernel(name: string): tf.KernelConfig {
  const config = stock.get(name) ?? tf.getKernel(name, 'wasm');
  if (config === undefined) throw new Error(`stockWasmKernel: tfjs-backend-wasm registers no "${name}" kernel (is the wasm backend loaded?).`);
  return config;
}

/** Calls a stock kernel and returns its single output. */
export function runStock(name: string, args: Omit<Parameters<tf.KernelFunc>[0], 'backend'> & { backend: unknown }): tf.TensorInfo {
  return stockWasmKernel(name).kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}
