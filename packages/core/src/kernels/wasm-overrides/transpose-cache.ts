/**
 * Bᵀ of the last few right operands of `BatchMatMul(transposeB)`, by tensor data id and shape.
 *
 * In backpropagation through time the same weight meets `transposeB` at every step (dH·Uᵀ).
 * XNNPACK caches its packed weights by tensor id (`cc/kernels/BatchMatMul.cc`): handing it the
 * same transposed tensor each step skips both the transpose and the repacking. tfjs data is
 * immutable (a variable's `assign` takes a new data id), so an entry stays right as long as its
 * source exists; entries whose source was disposed are freed on the next call, and at most
 * {@link CAPACITY} are kept (least recently used out first). The copies live in the wasm heap
 * only: `tf.memory()` does not count them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './wasm-backend.js';

const CAPACITY = 8;

interface Entry {
  shape: string;
  transposed: tf.TensorInfo;
}

interface WithData {
  dataIdMap: { has(dataId: tf.DataId): boolean };
}

/** Every cache made, so that switching kernels can empty them all ({@link TransposeCache.clearAll}). */
const caches = new Set<TransposeCache>();

export class TransposeCache {
  private backend: WasmBackendLike | undefined;
  private readonly entries = new Map<tf.DataId, Entry>();

  constructor() {
    caches.add(this);
  }

  /** Empties every cache (`useWasmKernels` does, when the kernels change). */
  static clearAll(): void {
    for (const cache of caches) cache.clear();
  }

  /** Bᵀ (last two axes swapped) for `b`, made by `transpose` on a miss. */
  get(b: tf.TensorInfo, backend: WasmBackendLike, transpose: (x: tf.TensorInfo) => tf.TensorInfo): tf.TensorInfo {
    if (backend !== this.backend) {
      this.entries.clear(); // another backend instance: the old one freed its heap with itself
      this.backend = backend;
    }
    const live = (backend as unknown as WithData).dataIdMap;
    for (const [source, entry] of this.entries) {
      if (!live.has(source)) this.drop(source, entry);
    }
    const shape = b.shape.join(',');
    const hit = this.entries.get(b.dataId);
    if (hit !== undefined && hit.shape === shape) {
      this.entries.delete(b.dataId); // most recently used last
      this.entries.set(b.dataId, hit);
      return hit.transposed;
    }
    if (hit !== undefined) this.drop(b.dataId, hit); // the same data under another shape
    const transposed = transpose(b);
    this.entries.set(b.dataId, { shape, transposed });
    if (this.entries.size > CAPACITY) {
      const [oldest, entry] = this.entries.entries().next().value as [tf.DataId, Entry];
      this.drop(oldest, entry);
    }
    return transposed;
  }

  /** Frees every entry (tests; switching kernels). */
  clear(): void {
    // A backend tfjs has since disposed (the thread count changed) freed its heap itself.
    const alive = this.backend !== undefined && (tf.engine().registry as Record<string, unknown>)['wasm'] === this.backend;
    for (const [source, entry] of this.entries) {
      if (alive) this.drop(source, entry);
      else this.entries.delete(source);
    }
    this.backend = undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(source: tf.DataId, entry: Entry): void {
    this.backend?.disposeData(entry.transposed.dataId);
    this.entries.delete(source);
  }
}
