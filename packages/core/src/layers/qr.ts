/**
 * Random orthogonal matrices in plain JavaScript: Householder QR of a seeded Gaussian matrix, in
 * float64, on the CPU, with no tensor kernels at all.
 *
 * tfjs-layers' `Orthogonal` initialiser runs `tf.linalg.qr`, which dispatches a chain of small
 * kernels per Householder step; at [256, 1024] that takes minutes and freezes browsers
 * (tensorflow/tfjs#245). The same factorisation on a Float64Array takes a fraction of a second.
 *
 * The construction is Keras' (Saxe et al. 2014; Mezzadri 2007 for the sign fix): for a target
 * [rows, cols], draw A ~ N(0, 1) of shape [max, min], factor A = QR, multiply column j of Q by
 * sign(R_jj) (so Q is Haar-distributed), and transpose when rows < cols. The result has
 * orthonormal columns (QᵀQ = I) when rows ≥ cols and orthonormal rows (QQᵀ = I) otherwise.
 */

/** A source of uniform numbers in [0, 1). */
export type UniformSource = () => number;

/**
 * mulberry32: a tiny seeded 32-bit generator, fully determined by its seed.
 *
 * @example
 * ```ts
 * const rng = seededUniform(7);
 * rng(); // the same number on every run
 * ```
 */
export function seededUniform(seed: number): UniformSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n standard normal samples by Box–Muller (both partners used). */
export function gaussians(n: number, rng: UniformSource): Float64Array {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k += 2) {
    const u1 = 1 - rng(); // (0, 1]: finite log
    const u2 = rng();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[k] = r * Math.cos(2 * Math.PI * u2);
    if (k + 1 < n) out[k + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/**
 * The thin Q [m, n] (m ≥ n) of A = QR by Householder reflections, with each column multiplied by
 * sign(R_jj). `a` is column-major (a[i + j·m]) and is overwritten; Q is returned column-major.
 */
export function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  if (m < n) throw new RangeError(`householderQ: needs rows ≥ columns, got [${m}, ${n}]`);
  const vs: Float64Array[] = [];
  const signs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const col = k * m;
    let norm2 = 0;
    for (let i = k; i < m; i++) norm2 += a[col + i]! * a[col + i]!;
    const norm = Math.sqrt(norm2);
    const x0 = a[col + k]!;
    const alpha = x0 >= 0 ? -norm : norm; // R_kk; the opposite sign of x0 avoids cancellation
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = a[col + i]!;
    v[0] = x0 - alpha;
    let vn2 = 0;
    for (let i = 0; i < v.length; i++) vn2 += v[i]! * v[i]!;
    if (vn2 > 0) {
      const inv = 1 / Math.sqrt(vn2);
      for (let i = 0; i < v.length; i++) v[i] = v[i]! * inv;
      // A[k:, j] ← (I − 2vvᵀ) A[k:, j] for the remaining columns.
      for (let j = k; j < n; j++) applyReflector(a, j * m + k, v);
    }
    vs.push(v);
    signs[k] = alpha < 0 ? -1 : 1;
  }
  // Q = H_0 ⋯ H_{n−1} [I; 0]: apply the reflectors last to first; H_k leaves columns j < k alone.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * m + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k]!;
    for (let j = k; j < n; j++) applyReflector(q, j * m + k, v);
  }
  for (let j = 0; j < n; j++) {
    if (signs[j] === 1) continue;
    for (let i = 0; i < m; i++) q[j * m + i] = -q[j * m + i]!;
  }
  return q;
}

/** x ← x − 2 (vᵀx) v for the column segment starting at `offset`. */
function applyReflector(x: Float64Array, offset: number, v: Float64Array): void {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * x[offset + i]!;
  s *= 2;
  if (s === 0) return;
  for (let i = 0; i < v.length; i++) x[offset + i] = x[offset + i]! - s * v[i]!;
}

/**
 * A random orthogonal [rows, cols] matrix, row-major, scaled by `gain`: orthonormal columns when
 * rows ≥ cols, orthonormal rows otherwise.
 *
 * @example
 * ```ts
 * const w = randomOrthogonal(256, 1024, seededUniform(1)); // an LSTM's recurrent kernel [H, 4H]
 * ```
 */
export function randomOrthogonal(rows: number, cols: number, rng: UniformSource, gain = 1): Float64Array {
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const q = householderQ(gaussians(m * n, rng), m, n); // column-major [m, n]
  const out = new Float64Array(rows * cols);
  if (rows >= cols) {
    // out[i, j] = q[i, j]
    for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) out[i * cols + j] = gain * q[j * m + i]!;
  } else {
    // out = qᵀ: out[i, j] = q[j, i]; column i of q is row i of out, contiguous in both.
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = gain * q[i * m + j]!;
  }
  return out;
}
