/**
 * What the fused cell kernels on wasm (kernels/{lstm,gru,rnn}-cell/wasm.ts) share: temporaries on
 * the wasm heap, tensors' byte offsets for the SIMD passes (wasm/simd/module.ts), and the
 * recurrent matMul, handed to tfjs-backend-wasm's registered `BatchMatMul` (XNNPACK, the fixed
 * kernel unless the stock ones were asked for). Everything else in a step is one generated SIMD
 * pass (or two, reset-before GRU) over the heap, so a step is one engine kernel each way.
 *
 * Heap views go stale whenever the heap grows (any allocation may grow it): take them with
 * {@link Scratch.view} after the last allocation they must survive, never across a `matMul` or
 * `alloc`. Byte offsets ({@link Scratch.ptr}) stay valid.
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

  /** The first `width` columns of every row of `src` [1, B, W] (a step's record or carry) as a new [B, width] temporary: a matMul's left operand. */
  firstColumns(src: tf.TensorInfo, width: number): tf.TensorInfo {
    const [rows, stride] = [src.shape[1]!, src.shape[2]!];
    const out = this.alloc([rows, width]);
    const s = this.view(src);
    const o = this.view(out);
    for (let r = 0; r < rows; r++) o.set(s.subarray(r * stride, r * stride + width), r * width);
    return out;
  }

  /** The byte offset of step `step` of a time-major [T, B, W] tensor: its [B, W] slice, read in place. */
  stepAt(t: tf.TensorInfo, step: number): number {
    return this.ptr(t) + 4 * step * t.shape[1]! * t.shape[2]!;
  }

  /** The passes' mask arguments for a step: [byte offset of its [B] values, 1], or [0, 0] unmasked. */
  maskAt(mask: tf.TensorInfo | undefined, step: number): [number, number] {
    return mask === undefined ? [0, 0] : [this.stepAt(mask, step), 1];
  }

  /**
   * Column `col` of the state before step `step`, as [byte offset of row 0, row stride]: from
   * `state0` [1, B, ·] at the first step, else from the previous record of `records` [T, B, R].
   */
  stateBefore(records: tf.TensorInfo, state0: tf.TensorInfo, step: number, col: number): [number, number] {
    return step === 0 ? [this.ptr(state0) + 4 * col, state0.shape[2]!] : [this.stepAt(records, step - 1) + 4 * col, records.shape[2]!];
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
