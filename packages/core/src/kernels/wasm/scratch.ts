/**
 * What the fused cell kernels on wasm (kernels/{lstm,gru,rnn}-cell/wasm.ts) share: temporaries on
 * the wasm heap, and the two pieces of arithmetic they hand to tfjs-backend-wasm's own kernels —
 * the recurrent matMul (the registered `BatchMatMul`: XNNPACK, the fixed kernel unless the stock
 * ones were asked for) and the sigmoid (the stock SIMD `Sigmoid`, ~1 ns per element, where a
 * JavaScript `Math.exp` costs ~12). Everything else in a step is a pass of JavaScript over heap
 * views, so a step is one engine kernel each way instead of a dozen.
 *
 * Heap views go stale whenever the heap grows (any allocation may grow it): take them with
 * {@link Scratch.view} after the last allocation they must survive, never across a `matMul`,
 * `sigmoid` or `alloc`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from '../wasm-overrides/wasm-backend.js';

export class Scratch {
  private readonly temps: tf.TensorInfo[] = [];

  constructor(private readonly backend: WasmBackendLike) {}

  /** A float32 temporary, freed by {@link dispose}. Its contents are undefined. */
  alloc(shape: number[]): tf.TensorInfo {
    const t = this.backend.makeOutput(shape, 'float32');
    this.temps.push(t);
    return t;
  }

  /** An output of the kernel (not freed here). */
  output(shape: number[]): tf.TensorInfo {
    return this.backend.makeOutput(shape, 'float32');
  }

  /** The heap view of `t`: valid until the next allocation. */
  view(t: tf.TensorInfo): Float32Array {
    return this.backend.typedArrayFromHeap(t) as Float32Array;
  }

  /** The byte offset of `t` in the wasm heap: what the SIMD passes (simd/module.ts) take. */
  ptr(t: tf.TensorInfo): number {
    return this.backend.getMemoryOffset(t.dataId);
  }

  /** a·b for a [M, K], b [K, N] through the registered BatchMatMul (a temporary). */
  matMul(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.keep(this.run(tf.BatchMatMul, { a, b }, { transposeA: false, transposeB: false }));
  }

  /** σ(x) elementwise through the registered Sigmoid (a temporary). */
  sigmoid(x: tf.TensorInfo): tf.TensorInfo {
    return this.keep(this.run(tf.Sigmoid, { x }, {}));
  }

  /** Columns [from, from + width) of rows 0 … rows−1 of `src` (row stride `stride`, first row at `offset`) as a new [rows, width] temporary. */
  copyColumns(src: tf.TensorInfo, offset: number, rows: number, stride: number, from: number, width: number): tf.TensorInfo {
    const out = this.alloc([rows, width]);
    const s = this.view(src);
    const o = this.view(out);
    for (let r = 0; r < rows; r++) {
      const at = offset + r * stride + from;
      o.set(s.subarray(at, at + width), r * width);
    }
    return out;
  }

  /** Frees every temporary. */
  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }

  private keep(t: tf.TensorInfo): tf.TensorInfo {
    this.temps.push(t);
    return t;
  }

  private run(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.TensorInfo {
    const config = tf.getKernel(name, 'wasm');
    if (config === undefined) throw new Error(`wasm cell kernels: tfjs-backend-wasm registers no "${name}" kernel; load the wasm backend through useBackend('wasm')`);
    return config.kernelFunc({ inputs, attrs, backend: this.backend as unknown as tf.KernelBackend }) as tf.TensorInfo;
  }
}

/** Runs `body` with a {@link Scratch} whose temporaries are freed afterwards, also on a throw. */
export function withScratch<T>(backend: unknown, body: (s: Scratch) => T): T {
  const s = new Scratch(backend as WasmBackendLike);
  try {
    return body(s);
  } finally {
    s.dispose();
  }
}
