/**
 * Initialisers: the fast orthogonal one is orthogonal (QᵀQ = I, or QQᵀ = I for wide shapes,
 * checked in float64), seeded, scaled by its gain, and fast at the size that freezes tfjs-layers'
 * (tensorflow/tfjs#245); identity (square and wide); Keras' unit forget bias; and configs naming
 * Keras' `Orthogonal` served by ours. Pure JavaScript plus tensor creation: one backend per environment.
 */
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { describeBackends } from '../testing/index.js';
import { Identity, Orthogonal, initializers, layers } from './index.js';
import { resolveInitializer } from './initializers.js';
import { householderQ, seededUniform } from './qr.js';

/** max |(AᵀA or AAᵀ) − g²I| over the smaller Gram matrix, in float64. */
function orthogonalityError(a: ArrayLike<number>, rows: number, cols: number, gain = 1): number {
  const wide = rows < cols;
  const n = wide ? rows : cols;
  const at = (i: number, j: number) => a[i * cols + j]!;
  let worst = 0;
  for (let p = 0; p < n; p++) {
    for (let q = p; q < n; q++) {
      let s = 0;
      if (wide) for (let k = 0; k < cols; k++) s += at(p, k) * at(q, k);
      else for (let k = 0; k < rows; k++) s += at(k, p) * at(k, q);
      worst = Math.max(worst, Math.abs(s - (p === q ? gain * gain : 0)));
    }
  }
  return worst;
}

describeBackends('initializers', () => {
  it.each([[64, 16], [16, 64], [32, 32], [3, 4 * 3]])('orthogonal [%i, %i]: orthonormal columns (tall) or rows (wide)', async (rows, cols) => {
    const t = new Orthogonal({ seed: 1 }).apply([rows, cols]);
    expect(t.shape).toEqual([rows, cols]);
    expect(orthogonalityError(await t.data(), rows, cols)).toBeLessThan(1e-5); // float32 storage
    t.dispose();
  });

  it('householderQ in float64: QᵀQ = I to 1e-12 and Q spans A (QQᵀA = A)', () => {
    const [m, n] = [40, 12];
    const rng = seededUniform(5);
    const a = Float64Array.from({ length: m * n }, () => rng() - 0.5);
    const q = householderQ(Float64Array.from(a), m, n); // column-major
    const rowMajor = (c: Float64Array) => Float64Array.from({ length: m * n }, (_, k) => c[(k % n) * m + Math.floor(k / n)]!);
    expect(orthogonalityError(rowMajor(q), m, n)).toBeLessThan(1e-12);
    // Projection of each column of A onto span(Q) gives it back: A = QR, R upper triangular.
    let worst = 0;
    for (let j = 0; j < n; j++) {
      const col = a.subarray(j * m, (j + 1) * m);
      const proj = new Float64Array(m);
      for (let k = 0; k < n; k++) {
        let c = 0;
        for (let i = 0; i < m; i++) c += q[k * m + i]! * col[i]!;
        for (let i = 0; i < m; i++) proj[i] = proj[i]! + c * q[k * m + i]!;
      }
      for (let i = 0; i < m; i++) worst = Math.max(worst, Math.abs(proj[i]! - col[i]!));
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it('orthogonal at [256, 1024] (an LSTM recurrent kernel, H = 256) in well under the seconds tfjs-layers takes', async () => {
    const start = performance.now();
    const t = initializers.orthogonal({ seed: 2 }).apply([256, 1024]);
    const ms = performance.now() - start;
    expect(ms).toBeLessThan(3000); // typically ~0.3 s; tfjs-layers' tf.linalg.qr version takes minutes
    expect(orthogonalityError(await t.data(), 256, 1024)).toBeLessThan(1e-5);
    t.dispose();
  });

  it('orthogonal: same seed same matrix, other seed other matrix, gain scales', async () => {
    const [a, b, c] = [new Orthogonal({ seed: 3 }), new Orthogonal({ seed: 3 }), new Orthogonal({ seed: 4 })].map((i) => i.apply([8, 8]));
    const g = new Orthogonal({ seed: 3, gain: 2 }).apply([8, 8]);
    expect(Array.from(await a!.data())).toEqual(Array.from(await b!.data()));
    expect(Array.from(await a!.data())).not.toEqual(Array.from(await c!.data()));
    expect(await g.data()).toBeAllClose(Array.from(await a!.data(), (v) => 2 * v), { rtol: 1e-6 });
    tf.dispose([a!, b!, c!, g]);
  });

  it('identity: gain · I, ones on the main diagonal of wide shapes', async () => {
    const sq = new Identity({ gain: 0.5 }).apply([3, 3]);
    const wide = new Identity().apply([2, 4]);
    expect(Array.from(await sq.data())).toEqual([0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5]);
    expect(Array.from(await wide.data())).toEqual([1, 0, 0, 0, 0, 1, 0, 0]);
    tf.dispose([sq, wide]);
  });

  it("configs naming Keras' Orthogonal / Identity are served by ours", () => {
    expect(resolveInitializer('x', { className: 'Orthogonal', config: { gain: 1.5, seed: 7 } })).toBeInstanceOf(Orthogonal);
    expect((resolveInitializer('x', tf.initializers.orthogonal({ gain: 3 })) as Orthogonal).gain).toBe(3);
    expect(resolveInitializer('x', 'identity')).toBeInstanceOf(Identity);
    expect(() => resolveInitializer('lstm: kernelInitializer', 'glorot' as 'glorotUniform')).toThrow(/lstm: kernelInitializer: unknown initializer "glorot"/);
  });

  it('layer defaults: glorot kernel, orthogonal recurrent kernel, LSTM forget bias 1 (plain blocks i,f,c,o; coupled f,c,o)', async () => {
    const H = 8;
    const plain = layers.lstm({ units: H });
    const coupled = layers.lstm({ units: H, coupled: true, biasInitializer: tf.initializers.constant({ value: 0.5 }), unitForgetBias: true });
    const x = tf.zeros([1, 2, 5]);
    tf.dispose([plain.apply(x) as tf.Tensor, coupled.apply(x) as tf.Tensor]);
    const [W, U, b] = plain.getWeights();
    expect(orthogonalityError(await U!.data(), H, 4 * H)).toBeLessThan(1e-5);
    const limit = Math.sqrt(6 / (5 + 4 * H)); // Glorot uniform bound
    expect(Math.max(...Array.from(await W!.data(), Math.abs))).toBeLessThanOrEqual(limit);
    const bias = Array.from(await b!.data());
    expect(bias).toEqual([...new Array(H).fill(0), ...new Array(H).fill(1), ...new Array(2 * H).fill(0)]);
    // Coupled blocks f, c, o: the forget block is 1, the others get the bias initialiser (0.5).
    expect(Array.from(await coupled.getWeights()[2]!.data())).toEqual([...new Array(H).fill(1), ...new Array(2 * H).fill(0.5)]);
    x.dispose();
    plain.dispose();
    coupled.dispose();
  });
}, { only: ['cpu', 'webgl'] }); // one backend per environment: cpu in Node, webgl in the browser
