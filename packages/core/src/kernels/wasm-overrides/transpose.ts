/**
 * `Transpose` on wasm for the permutation recurrent training uses most: swapping the last two
 * axes (Aᵀ for a matMul gradient, Hᵀ for ∂E/∂U). tfjs-backend-wasm 4.22 walks the output in order
 * and reads the input with a stride, ~9 ns per element at [2048, 256] on this machine (4.3 ms of a
 * 155 ms LSTM training step). Here 4-byte elements move in 4 × 4 register blocks of the SIMD module
 * (scripts/simd/layout.mjs `transpose32`, ~0.3 ns per element); bool, or a wasm without the
 * module, takes a blocked copy between heap views. Other permutations and strings stay with the
 * stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { simdIfReady } from '../wasm/simd/module.js';
import { runStock, stockWasmKernel, type WasmBackendLike } from './wasm-backend.js';

type Flat = Float32Array | Int32Array | Uint8Array;

/** Whether `perm` keeps the leading axes and swaps the last two. */
export function swapsLastTwo(perm: readonly number[]): boolean {
  const r = perm.length;
  if (r < 2 || perm[r - 2] !== r - 1 || perm[r - 1] !== r - 2) return false;
  for (let d = 0; d < r - 2; d++) if (perm[d] !== d) return false;
  return true;
}

const BLOCK = 8; // measured best of 8, 16, 32, 64 for [2048, 1024] float32

/** out[b, j, i] = x[b, i, j] for `batch` matrices of rows × cols, in BLOCK × BLOCK tiles. */
export function transposeBlocks(x: Flat, out: Flat, batch: number, rows: number, cols: number): void {
  const size = rows * cols;
  for (let b = 0; b < batch; b++) {
    const base = b * size;
    for (let i0 = 0; i0 < rows; i0 += BLOCK) {
      const i1 = Math.min(rows, i0 + BLOCK);
      for (let j0 = 0; j0 < cols; j0 += BLOCK) {
        const j1 = Math.min(cols, j0 + BLOCK);
        for (let i = i0; i < i1; i++) {
          const from = base + i * cols;
          for (let j = j0; j < j1; j++) out[base + j * rows + i] = x[from + j]!;
        }
      }
    }
  }
}

/** x with its last two axes swapped (any numeric dtype). */
export function transposeLastTwo(x: tf.TensorInfo, backend: WasmBackendLike): tf.TensorInfo {
  const r = x.shape.length;
  const rows = x.shape[r - 2]!;
  const cols = x.shape[r - 1]!;
  const out = backend.makeOutput([...x.shape.slice(0, -2), cols, rows], x.dtype); // before taking views
  const size = tf.util.sizeFromShape(x.shape);
  if (size === 0) return out;
  const simd = x.dtype === 'bool' ? undefined : simdIfReady(backend);
  if (simd !== undefined) {
    const [src, dst, bytes] = [backend.getMemoryOffset(x.dataId), backend.getMemoryOffset(out.dataId), 4 * rows * cols];
    for (let b = 0; b < size / (rows * cols); b++) simd['transpose32']!(src + b * bytes, dst + b * bytes, rows, cols);
    return out;
  }
  transposeBlocks(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), size / (rows * cols), rows, cols);
  return out;
}

export const transposeWasm: tf.KernelConfig = {
  kernelName: tf.Transpose,
  backendName: 'wasm',
  // The stock kernel binds its wasm function in its setup, and other stock kernels (and the
  // fallback below) call it: bind it too.
  setupFunc: (backend) => stockWasmKernel(tf.Transpose).setupFunc?.(backend),
  kernelFunc: (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { perm } = args.attrs as unknown as { perm: number[] };
    if (x.dtype === 'string' || x.dtype === 'complex64' || perm.length !== x.shape.length || !swapsLastTwo(perm)) return runStock(tf.Transpose, args);
    return transposeLastTwo(x, args.backend as unknown as WasmBackendLike);
  },
};
