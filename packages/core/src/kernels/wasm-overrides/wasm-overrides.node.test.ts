/**
 * Each wasm kernel override against tfjs' stock wasm kernel, in one process: the same inputs run
 * with the fixed kernels registered, then with the stock ones (`useWasmKernels`), and must agree —
 * bit for bit for the copies, to float32 rounding for products (also checked against float64).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../backend/index.js';
import { batchMatMulWasm, transposedB } from './batch-mat-mul.js';
import { useWasmKernels, wasmKernels, WASM_OVERRIDES } from './index.js';

type Values = { shape: number[]; dtype: tf.DataType; values: unknown } | { error: string };

/** Runs `f` with the fixed kernels, then with the stock ones; the outputs as plain data, or the error. */
function both(f: () => tf.Tensor | tf.Tensor[]): { fixed: Values[]; stock: Values[] } {
  const run = (kernels: 'fixed' | 'stock'): Values[] => {
    useWasmKernels(kernels);
    try {
      return tf.tidy(() => {
        const out = f();
        return (Array.isArray(out) ? out : [out]).map((t) => ({ shape: t.shape, dtype: t.dtype, values: t.arraySync() }));
      });
    } catch (error) {
      return [{ error: error instanceof Error ? error.message : String(error) }];
    } finally {
      useWasmKernels('fixed');
    }
  };
  return { fixed: run('fixed'), stock: run('stock') };
}

function values(n: number, dtype: tf.DataType): number[] | boolean[] | string[] {
  const v = Array.from({ length: n }, (_, i) => Math.round(Math.sin(i * 1.7 + 0.3) * 1000) / 100);
  if (dtype === 'bool') return v.map((x) => x > 0);
  if (dtype === 'string') return v.map((x) => `s${x}`);
  if (dtype === 'int32') return v.map((x) => Math.round(x * 10));
  return v;
}

function tensor(shape: number[], dtype: tf.DataType = 'float32'): tf.Tensor {
  return tf.tensor(values(tf.util.sizeFromShape(shape), dtype) as number[], shape, dtype);
}

/** C = op(A)·op(B) in float64, batch dims broadcast (one side batch 1 or absent). */
function matMul64(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): number[] {
  const av = Array.from(a.dataSync());
  const bv = Array.from(b.dataSync());
  const [ra, rb] = [a.rank, b.rank];
  const [m, k] = ta ? [a.shape[ra - 1]!, a.shape[ra - 2]!] : [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const n = tb ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const batchA = a.size / Math.max(m * k, 1) || 1;
  const batchB = b.size / Math.max(k * n, 1) || 1;
  const batch = Math.max(batchA, batchB);
  const out: number[] = [];
  for (let p = 0; p < batch; p++) {
    const oa = (batchA === 1 ? 0 : p) * m * k;
    const ob = (batchB === 1 ? 0 : p) * k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += av[oa + (ta ? q * m + i : i * k + q)]! * bv[ob + (tb ? j * k + q : q * n + j)]!;
        out.push(s);
      }
  }
  return out;
}

describe('wasm kernel overrides', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterAll(() => useWasmKernels('fixed'));

  // First, before any test swaps kernels (which re-runs the stock setups): an override must bind
  // what its stock kernel's setup binds, since other stock kernels call it (Sum over axis 0
  // transposes through the stock Transpose's wasm function).
  it('leave the stock kernels that call an overridden one working', () => {
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 3]);
    expect(tf.sum(x, 0).arraySync()).toEqual([[8, 10, 12], [14, 16, 18]]);
    expect(tf.transpose(x, [2, 0, 1]).shape).toEqual([3, 2, 2]);
    expect(tf.matMul(tf.ones([2, 3]), tf.ones([4, 3]), false, true).arraySync()).toEqual([[3, 3, 3, 3], [3, 3, 3, 3]]);
    x.dispose();
  });

  it('are registered by default and can be swapped for the stock kernels', () => {
    expect(wasmKernels()).toBe('fixed');
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')).toBe(batchMatMulWasm);
    useWasmKernels('stock');
    for (const config of WASM_OVERRIDES) expect(tf.getKernel(config.kernelName, 'wasm')).not.toBe(config);
    useWasmKernels('fixed');
    for (const config of WASM_OVERRIDES) expect(tf.getKernel(config.kernelName, 'wasm')).toBe(config);
  });

  describe('BatchMatMul', () => {
    // [a shape, b shape] with the transposes off; each case is run under all four transpose flags.
    const cases: [number[], number[]][] = [
      [[5, 7], [7, 3]],
      [[1, 1], [1, 1]],
      [[32, 256], [256, 64]],
      [[4, 5, 7], [4, 7, 3]], // batch
      [[1, 5, 7], [4, 7, 3]], // broadcast a over the batch
      [[4, 5, 7], [1, 7, 3]], // broadcast b
      [[2, 3, 5, 7], [2, 3, 7, 4]], // two batch dims
      [[0, 7], [7, 3]], // empty rows
      [[5, 0], [0, 3]], // empty inner dim: zeros
      [[5, 7], [7, 0]], // empty columns
    ];
    for (const [as, bs] of cases) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        it(`[${as}]${ta ? 'ᵀ' : ''} × [${bs}]${tb ? 'ᵀ' : ''}`, () => {
          const swap = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s[s.length - 1]!, s[s.length - 2]!] : s);
          const a = tensor(swap(as, ta));
          const b = tensor(swap(bs, tb)).mul(0.5);
          const { fixed, stock } = both(() => tf.matMul(a, b, ta, tb));
          const f = fixed[0]!;
          const s = stock[0]!;
          expect('error' in f ? f.error : undefined).toBeUndefined();
          expect('error' in s ? s.error : undefined).toBeUndefined();
          if ('error' in f || 'error' in s) return;
          expect(f.shape).toEqual(s.shape);
          const flat = (v: Values) => ('error' in v ? [] : (tf.util.flatten(v.values as number[]) as number[]));
          const ref = matMul64(a, b, ta, tb);
          // float32 sums of k terms of size ≤ |a|·|b| ≤ 10 · 5: allow k·1e-6 of that (cancellation).
          const k = ta ? as[as.length - 2]! : as[as.length - 1]!;
          const atol = Math.max(1e-5, k * 50 * 1e-6);
          expect(flat(f)).toBeAllClose(ref, { rtol: 1e-5, atol });
          if (k > 0) expect(flat(f)).toBeAllClose(flat(s), { rtol: 1e-5, atol });
          else expect(flat(f).every((v) => v === 0)).toBe(true); // stock: zeros only on its slow path
          tf.dispose([a, b]);
        });
      }
    }

    it('rejects int32 and mismatched inner dims as the stock kernel does', () => {
      const a = tensor([3, 4], 'int32');
      const b = tensor([3, 5], 'int32');
      const r1 = both(() => tf.matMul(a, b, true, false));
      expect(r1.fixed).toEqual(r1.stock);
      expect(JSON.stringify(r1.fixed)).toMatch(/non-float32|not yet supported/);
      const c = tensor([3, 4]); // cᵀ is [4, 3]
      const d = tensor([5, 4]); // dᵀ is [4, 5]: 3 ≠ 4
      const r2 = both(() => tf.matMul(c, d, true, true));
      expect(r2.fixed).toEqual(r2.stock);
      expect(JSON.stringify(r2.fixed)).toMatch(/inner shapes/);
      tf.dispose([a, b, c, d]);
    });

    it('frees its transposed temporaries, and a cached Bᵀ once B is disposed', () => {
      const a = tensor([6, 4]);
      const b = tensor([5, 4]);
      transposedB.clear();
      const before = tf.engine().backend.numDataIds();
      const tensors = tf.memory().numTensors;
      tf.matMul(a, b, false, true).dispose();
      tf.tidy(() => {
        tf.matMul(a.transpose(), b, true, true);
      });
      expect(transposedB.size).toBe(1); // bᵀ, reused by the second product
      expect(tf.engine().backend.numDataIds()).toBe(before + 1);
      expect(tf.memory().numTensors).toBe(tensors);
      b.dispose();
      const c = tensor([3, 4]);
      tf.matMul(a, c, false, true).dispose(); // the next call frees bᵀ, caches cᵀ
      expect(transposedB.size).toBe(1);
      expect(tf.engine().backend.numDataIds()).toBe(before + 1); // c and cᵀ in, b and bᵀ out
      transposedB.clear();
      tf.dispose([a, c]);
    });

    it('does not confuse one data id under two shapes', () => {
      const b = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
      const b2 = b.reshape([3, 2]); // same data id
      const a3 = tf.ones([1, 3]);
      const a2 = tf.ones([1, 2]);
      // [1,1,1]·[[1,2,3],[4,5,6]]ᵀ = [6, 15]; [1,1]·[[1,2],[3,4],[5,6]]ᵀ = [3, 7, 11]
      expect(tf.matMul(a3, b, false, true).arraySync()).toEqual([[6, 15]]);
      expect(tf.matMul(a2, b2, false, true).arraySync()).toEqual([[3, 7, 11]]);
      tf.dispose([b, b2, a3, a2]);
    });
  });

  describe('Slice', () => {
    const cases: [number[], number[], number[]][] = [
      [[10], [3], [4]],
      [[10], [9], [-1]], // to the end
      [[10], [10], [0]], // empty at the edge
      [[6, 5], [1, 0], [3, 5]], // whole rows: contiguous
      [[6, 5], [1, 2], [3, 2]], // strided
      [[6, 5], [5, 4], [1, 1]], // last element
      [[4, 3, 5], [1, 1, 1], [2, 2, 3]],
      [[4, 3, 5], [3, 0, 0], [1, 3, 5]],
      [[3, 4, 2, 5], [1, 1, 0, 2], [2, 2, 2, 3]],
      [[2, 3, 2, 3, 4], [1, 0, 1, 1, 1], [1, 3, 1, 2, 2]], // rank 5: the stock generic path
      [[2, 3, 0, 4], [0, 1, 0, 0], [2, 1, 0, 4]], // empty input axis
    ];
    for (const dtype of ['float32', 'int32', 'bool', 'string'] as const) {
      for (const [shape, begin, size] of cases) {
        it(`${dtype} [${shape}] from [${begin}] size [${size}]`, () => {
          const x = tensor(shape, dtype);
          const { fixed, stock } = both(() => tf.slice(x, begin, size));
          expect(fixed).toEqual(stock);
          expect('error' in fixed[0]!).toBe(false);
          x.dispose();
        });
      }
    }

    it('copies the values a hand computation expects', () => {
      // x = [[0,1,2],[3,4,5],[6,7,8]]; rows 1..2, columns 1..2 → [[4,5],[7,8]]
      const x = tf.tensor2d([0, 1, 2, 3, 4, 5, 6, 7, 8], [3, 3]);
      expect(tf.slice(x, [1, 1], [2, 2]).arraySync()).toEqual([[4, 5], [7, 8]]);
      x.dispose();
    });
  });

  describe('Unpack', () => {
    for (const dtype of ['float32', 'int32', 'bool', 'string'] as const) {
      for (const [shape, axis] of [[[5], 0], [[4, 3], 0], [[4, 3], 1], [[2, 3, 4], 1], [[2, 3, 4], -1], [[3, 2, 2, 2], 2], [[3, 0], 0]] as [number[], number][]) {
        it(`${dtype} [${shape}] axis ${axis}`, () => {
          const x = tensor(shape, dtype);
          const { fixed, stock } = both(() => tf.unstack(x, axis));
          expect(fixed).toEqual(stock);
          expect(fixed.length).toBe(shape[axis < 0 ? axis + shape.length : axis]);
          x.dispose();
        });
      }
    }
  });

  describe('SplitV', () => {
    const cases: [number[], number | number[], number][] = [
      [[6], 3, 0],
      [[6, 4], [1, 2, 3], 0],
      [[6, 4], [1, -1], 1],
      [[2, 6, 3], [0, 4, 2], 1], // an empty part
      [[2, 3, 8], 4, -1],
      [[2, 3, 8], [5, 3], 2],
    ];
    // No string case: tf.split refuses strings before any kernel runs.
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      for (const [shape, splits, axis] of cases) {
        it(`${dtype} [${shape}] into ${JSON.stringify(splits)} on axis ${axis}`, () => {
          const x = tensor(shape, dtype);
          const { fixed, stock } = both(() => tf.split(x, splits, axis));
          expect(fixed).toEqual(stock);
          expect('error' in fixed[0]!).toBe(false);
          x.dispose();
        });
      }
    }
  });

  describe('Transpose', () => {
    const cases: [number[], number[]][] = [
      [[1, 1], [1, 0]],
      [[3, 5], [1, 0]],
      [[17, 9], [1, 0]], // neither side a multiple of the 8-wide tile
      [[64, 40], [1, 0]],
      [[4, 4], [1, 0]], // one SIMD block
      [[9, 130], [1, 0]], // blocks over two column tiles, and tails on both sides
      [[131, 7], [1, 0]],
      [[2, 3, 5], [0, 2, 1]], // a batch of matrices
      [[3, 8, 12], [0, 2, 1]],
      [[2, 2, 9, 11], [0, 1, 3, 2]],
      [[0, 4], [1, 0]], // empty
      [[2, 0, 3], [0, 2, 1]],
      [[2, 3, 5], [2, 1, 0]], // other permutations: the stock kernel
      [[2, 3, 5], [1, 0, 2]],
      [[4], [0]],
    ];
    for (const dtype of ['float32', 'int32', 'bool', 'string'] as const) {
      for (const [shape, perm] of cases) {
        it(`${dtype} [${shape}] by [${perm}]`, () => {
          const x = tensor(shape, dtype);
          const { fixed, stock } = both(() => tf.transpose(x, perm));
          expect(fixed).toEqual(stock);
          // strings: tfjs-backend-wasm has no string Transpose; ours passes them on and fails alike
          expect('error' in fixed[0]!).toBe(dtype === 'string');
          x.dispose();
        });
      }
    }

    it('moves the values a hand computation expects', () => {
      // [[0,1,2],[3,4,5]]ᵀ = [[0,3],[1,4],[2,5]]; batch of two: each matrix transposed alone
      const x = tf.tensor3d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [2, 2, 3]);
      expect(tf.transpose(x, [0, 2, 1]).arraySync()).toEqual([[[0, 3], [1, 4], [2, 5]], [[6, 9], [7, 10], [8, 11]]]);
      x.dispose();
    });
  });

  describe('Sum', () => {
    const cases: [number[], number | number[], boolean][] = [
      [[37, 10], 0, false],
      [[2048, 64], [0], false],
      [[3, 4, 5], [0, 1], false],
      [[3, 4, 5], [1, 0], true],
      [[3, 4, 5], -3, false],
      [[3, 4, 5], 0, true],
      [[6, 3], 1, false], // not a leading axis: the stock kernel
      [[3, 4, 5], [0, 2], false],
      [[7], 0, false], // every axis: the stock kernel
      [[0, 4], 0, false], // no rows: zeros
      [[4, 0], 0, false],
    ];
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      for (const [shape, axis, keepDims] of cases) {
        it(`${dtype} [${shape}] over ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''}`, () => {
          const x = tensor(shape, dtype);
          const { fixed, stock } = both(() => tf.sum(x, axis, keepDims));
          if (tf.util.sizeFromShape(shape) === 0 && tf.util.sizeFromShape(shape.slice(1)) > 0) {
            // no rows: a sum of nothing is 0 (the stock kernel returns its output's uninitialised memory)
            expect(fixed).toEqual([{ shape: [shape[1]], dtype: dtype === 'float32' ? 'float32' : 'int32', values: [0, 0, 0, 0] }]);
          } else if (Array.isArray(axis) && axis.some((a, i) => i > 0 && a < axis[i - 1]!)) {
            // axes out of order: the stock kernel adds in that order, ours in memory order
            const flat = (v: Values[]) => v.flatMap((t) => ('error' in t ? [NaN] : (tf.util.flatten(t.values as number[]) as number[])));
            expect(fixed.map((v) => ('shape' in v ? v.shape : v))).toEqual(stock.map((v) => ('shape' in v ? v.shape : v)));
            expect(flat(fixed)).toBeAllClose(flat(stock), { rtol: 1e-6, atol: 1e-6 });
          } else {
            expect(fixed).toEqual(stock); // the same additions in the same order: bit for bit
          }
          x.dispose();
        });
      }
    }

    it('adds the columns a hand computation expects', () => {
      const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [2, 5]);
      expect(tf.sum(x, 0).arraySync()).toEqual([7, 9, 11, 13, 15]);
      x.dispose();
    });
  });

  describe('Exp', () => {
    /** The distance from `a` to `b` in float32 steps (units in the last place) of b. */
    const ulps = (a: number, b: number) => {
      const next = new Float32Array([b]);
      new Int32Array(next.buffer)[0]! += 1;
      return Math.abs(a - b) / (next[0]! - b);
    };

    it('is within 2 ulp of the correctly rounded eˣ over the whole float32 range, like the stock kernel', () => {
      const n = 20_001;
      const xs = Float32Array.from({ length: n }, (_, i) => -87 + (176 * i) / (n - 1)); // e⁻⁸⁷ … e⁸⁹ (overflow at the top)
      const x = tf.tensor1d(xs);
      const { fixed, stock } = both(() => tf.exp(x));
      const [ours, theirs] = [fixed, stock].map((v) => (v[0] as { values: number[] }).values);
      let worst = 0;
      xs.forEach((xi, i) => {
        const exact = Math.fround(Math.exp(xi));
        if (!Number.isFinite(exact)) {
          expect(ours![i]).toBe(Infinity);
        } else if (exact >= 2 ** -125) {
          worst = Math.max(worst, ulps(ours![i]!, exact));
          expect(ulps(theirs![i]!, exact)).toBeLessThanOrEqual(1);
        }
      });
      expect(worst).toBeLessThanOrEqual(2);
      expect(worst).toBeGreaterThan(0); // an approximation, measured: not the stock values copied
      x.dispose();
    });

    it('gives the special values', () => {
      const x = tf.tensor1d([0, NaN, Infinity, -Infinity, 89, -104, 1, -1]);
      const y = Array.from(tf.exp(x).dataSync());
      expect(y.slice(0, 6)).toEqual([1, NaN, Infinity, 0, Infinity, 0]);
      expect(y[6]).toBeCloseTo(Math.E, 6);
      expect(y[7]).toBeCloseTo(1 / Math.E, 7);
      tf.dispose(x);
    });

    for (const shape of [[0], [3], [5, 7], [2, 3, 4]]) {
      it(`keeps the shape [${shape}] and every element of a tail`, () => {
        const x = tensor(shape);
        const { fixed, stock } = both(() => tf.exp(x));
        expect(fixed.map((v) => ('shape' in v ? v.shape : v))).toEqual(stock.map((v) => ('shape' in v ? v.shape : v)));
        const flat = (v: Values[]) => v.flatMap((t) => ('error' in t ? [NaN] : (tf.util.flatten(t.values as number[]) as number[])));
        expect(flat(fixed)).toBeAllClose(flat(stock), { rtol: 3e-7, atol: 0 });
        x.dispose();
      });
    }
  });

  describe('Identity', () => {
    it('clones share the data, the values outlive the original, and the memory is freed once', () => {
      const before = tf.memory();
      const x = tensor([5, 6]);
      const expected = x.arraySync();
      const y = tf.clone(x);
      expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers + 1); // shared, not copied
      expect(y.dataId).toBe(x.dataId);
      x.dispose();
      expect(y.arraySync()).toEqual(expected);
      const z = tf.clone(y);
      y.dispose();
      expect(z.arraySync()).toEqual(expected);
      z.dispose();
      expect(tf.memory().numBytes).toBe(before.numBytes);
      expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
      expect((tf.backend() as unknown as { dataIdMap: { has(id: object): boolean } }).dataIdMap.has(z.dataId)).toBe(false); // freed in the heap
    });

    for (const dtype of ['float32', 'int32', 'bool', 'string'] as const) {
      it(`${dtype}: the same tensor as the stock copy`, () => {
        const x = tensor([3, 4], dtype);
        const { fixed, stock } = both(() => tf.clone(x));
        expect(fixed).toEqual(stock);
        x.dispose();
      });
    }

    it('keeps what a customGrad saved (a clone) intact when the original is disposed', () => {
      const f = tf.customGrad((a: tf.Tensor, save: tf.GradSaveFunc) => {
        const sq = tf.square(a);
        save([sq]);
        return { value: tf.sum(sq), gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => tf.mul(dy, tf.mul(2, tf.sqrt(s!))) };
      });
      const a = tf.tensor1d([1, 2, 3]);
      const g = tf.grad((t) => f(t) as tf.Scalar)(a);
      expect(Array.from(g.dataSync())).toEqual([2, 4, 6]);
      tf.dispose([a, g]);
    });
  });

  it('keep the gradients of matMul, slice, unstack and split (same as stock)', () => {
    const a = tensor([4, 6]);
    const b = tensor([6, 8]);
    const f = (x: tf.Tensor, y: tf.Tensor) => {
      const c = tf.matMul(x, y);
      const [p, q] = tf.split(c, [3, 5], 1);
      return tf.unstack(p!).reduce((s, t) => s.add(t.sum()), tf.scalar(0)).add(tf.slice(q!, [1, 1], [2, 3]).square().sum());
    };
    const { fixed, stock } = both(() => tf.grads(f)([a, b]));
    const flat = (v: Values[]) => v.flatMap((t) => ('error' in t ? [NaN] : (tf.util.flatten(t.values as number[]) as number[])));
    expect(flat(fixed)).toBeAllClose(flat(stock), { rtol: 1e-5, atol: 1e-5 });
    tf.dispose([a, b]);
  });
});
