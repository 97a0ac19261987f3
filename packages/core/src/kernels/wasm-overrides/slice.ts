/**
 * `Slice` on wasm that copies only the slice. tfjs-backend-wasm 4.22's `Slice` starts with
 * `backend.readSync(x)`, a copy of the whole input out of the heap, for every slice: unstacking a
 * [T, B, H] sequence costs T whole copies. Here the rows of the slice are copied from a view of
 * the heap into the output. Strings (which do not live in the heap) stay with the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runStock, type WasmBackendLike } from './wasm-backend.js';

interface SliceAttrs {
  begin: number | number[];
  size: number | number[];
}

/**
 * Copies the box `begin … begin + size` of `x` (shape `shape`) into `out`, one contiguous run of
 * the innermost axis at a time.
 */
export function copyBox(x: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> }, shape: readonly number[], begin: readonly number[], size: readonly number[], out: { set(v: ArrayLike<number>, offset: number): void }): void {
  const rank = shape.length;
  const strides = tf.util.computeStrides(shape as number[]);
  const run = size[rank - 1]!;
  const rows = tf.util.sizeFromShape(size.slice(0, -1) as number[]);
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  for (let r = 0; r < rows; r++) {
    let offset = begin[rank - 1]!;
    for (let d = 0; d < rank - 1; d++) offset += (begin[d]! + index[d]!) * strides[d]!;
    out.set(x.subarray(offset, offset + run), r * run);
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < size[d]!) break;
      index[d] = 0;
    }
  }
}

/** The kernel function, also called by the Unpack and SplitV overrides. */
export function sliceWasmImpl(x: tf.TensorInfo, begin: number | number[], size: number | number[], backend: WasmBackendLike): tf.TensorInfo {
  const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [number[], number[]];
  // Allocate the output first: allocation can grow (and detach) the heap under older views.
  const out = backend.makeOutput(size_, x.dtype);
  const n = tf.util.sizeFromShape(size_);
  if (n === 0) return out;
  const xVals = backend.typedArrayFromHeap(x);
  const outVals = backend.typedArrayFromHeap(out);
  if (size_.length === 0 || tf.slice_util.isSliceContinous(x.shape, begin_, size_)) {
    const offset = tf.slice_util.computeFlatOffset(begin_, tf.util.computeStrides(x.shape));
    outVals.set(xVals.subarray(offset, offset + n));
  } else {
    copyBox(xVals, x.shape, begin_, size_, outVals);
  }
  return out;
}

export const sliceWasm: tf.KernelConfig = {
  kernelName: tf.Slice,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return runStock(tf.Slice, args);
    const { begin, size } = args.attrs as unknown as SliceAttrs;
    return sliceWasmImpl(x, begin, size, args.backend as unknown as WasmBackendLike);
  },
};
