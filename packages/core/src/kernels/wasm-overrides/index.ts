/**
 * The wasm kernel overrides: tfjs-backend-wasm 4.22 kernels that are slow for recurrent training,
 * replaced by kernels that compute the same values faster (one file per kernel, this one list).
 * The stock kernels are kept, so `useWasmKernels('stock')` puts them back and tests can compare
 * both in one process (`stockWasmKernel`).
 *
 * | kernel | stock problem | override |
 * |---|---|---|
 * | BatchMatMul | any transpose runs a scalar loop instead of XNNPACK | explicit transpose, then XNNPACK |
 * | Slice, Unpack, SplitV | copy the whole input out of the heap for every output | copy only the slice |
 * | Transpose (last two axes) | strided reads, ~9 ns per element | SIMD 4 × 4 blocks (blocked copy without SIMD) |
 * | Sum (leading axes) | transposes first, with the strided copy | SIMD column sums, rows in order |
 * | Exp | the C library's exp per element, ~6.6 ns | SIMD, ~1 ns, within 2 ulp (no subnormal results) |
 * | Identity | copies the tensor (every clone, every tensor a customGrad saves) | shares the data, counted |
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchMatMulWasm } from './batch-mat-mul.js';
import { sliceWasm } from './slice.js';
import { transposeWasm } from './transpose.js';
import { splitVWasm } from './split-v.js';
import { unpackWasm } from './unpack.js';
import { identityWasm } from './identity.js';
import { sumWasm } from './sum.js';
import { expWasm } from './exp.js';
import { rememberStock, stockWasmKernel } from './wasm-backend.js';
import { TransposeCache } from './transpose-cache.js';

export { stockWasmKernel } from './wasm-backend.js';

export const WASM_OVERRIDES: readonly tf.KernelConfig[] = [batchMatMulWasm, sliceWasm, unpackWasm, splitVWasm, transposeWasm, sumWasm, expWasm, identityWasm];

let active: 'stock' | 'fixed' = 'stock';

/** Which wasm kernels are registered now. */
export function wasmKernels(): 'stock' | 'fixed' {
  return active;
}

/**
 * Registers the fixed kernels (`'fixed'`) or tfjs' own (`'stock'`) for the wasm backend. Needs
 * tfjs-backend-wasm loaded (it registers the stock kernels). Takes effect on the next kernel call.
 */
export function useWasmKernels(kernels: 'stock' | 'fixed'): void {
  if (kernels === active) return;
  TransposeCache.clearAll(); // BatchMatMul's Bᵀ, and the reset-before GRU's weight blocks
  for (const config of WASM_OVERRIDES) {
    rememberStock(config.kernelName);
    const next = kernels === 'fixed' ? config : stockWasmKernel(config.kernelName);
    if (tf.getKernel(config.kernelName, 'wasm') !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(next);
    // tfjs runs setupFunc when a backend starts; a kernel registered later needs it run now.
    const running = tf.engine().registry['wasm'];
    if (running !== undefined) next.setupFunc?.(running);
  }
  active = kernels;
}
