/**
 * A minimal float64 n-dimensional array for the test oracles.
 *
 * The reference recurrences and the finite-difference helper must not depend on tfjs (they are
 * what the tfjs ops are checked against), so they work on this plain row-major type instead:
 * `data[((i0 * s1 + i1) * s2 + i2) ...]` for `shape = [s0, s1, s2, ...]`.
 */

/** A row-major float64 array. Invariant: `data.length === product(shape)`. */
export interface Mat {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** A nested JavaScript array of numbers, e.g. `[[1, 2], [3, 4]]` (a bare number is a scalar). */
export type Nested = number | readonly Nested[];

/** Number of elements of an array with this shape (1 for the scalar shape `[]`). */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** `[2, 3]` → `"[2, 3]"`, the form error messages use. */
export function shapeToString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Builds a Mat from flat row-major data and a shape, copying into a fresh Float64Array, so a
 * tfjs `await t.data()` result (Float32Array) and `t.shape` convert directly:
 * `mat(await t.data(), t.shape)`.
 */
export function mat(data: ArrayLike<number>, shape: readonly number[]): Mat {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`mat: shape must hold non-negative integers, got ${shapeToString(shape)}`);
    }
  }
  const size = sizeOf(shape);
  if (data.length !== size) {
    throw new Error(
      `mat: shape ${shapeToString(shape)} needs ${size} elements, got ${data.length}`,
    );
  }
  return { shape: [...shape], data: Float64Array.from(data) };
}

/** A Mat of zeros with the given shape. */
export function zeros(shape: readonly number[]): Mat {
  return mat(new Float64Array(sizeOf(shape)), shape);
}

/**
 * Builds a Mat from a nested array, e.g. `fromNested([[1, 2, 3], [4, 5, 6]])` has shape [2, 3].
 * Ragged input is rejected with the path of the offending sub-array.
 */
export function fromNested(nested: Nested): Mat {
  const shape: number[] = [];
  for (let level: Nested = nested; typeof level !== 'number'; ) {
    shape.push(level.length);
    const first: Nested | undefined = level[0];
    if (first === undefined) break;
    level = first;
  }
  const data: number[] = [];
  const walk = (node: Nested, depth: number, path: string): void => {
    if (typeof node === 'number') {
      if (depth !== shape.length) {
        throw new Error(
          `fromNested: expected an array of length ${shape[depth]} at ${path}, got a number`,
        );
      }
      data.push(node);
      return;
    }
    if (depth >= shape.length || node.length !== shape[depth]) {
      const want = depth >= shape.length ? 'a number' : `length ${shape[depth]}`;
      throw new Error(
        `fromNested: ragged array, expected ${want} at ${path}, got an array of length ${node.length}`,
      );
    }
    node.forEach((child, i) => walk(child, depth + 1, `${path}[${i}]`));
  };
  walk(nested, 0, 'root');
  return mat(data, shape);
}

/** The inverse of `fromNested`, handy for readable assertions and debugging. */
export function toNested(m: Mat): Nested {
  const build = (depth: number, offset: number): Nested => {
    if (depth === m.shape.length) return m.data[offset] ?? Number.NaN;
    const n = m.shape[depth] ?? 0;
    const stride = sizeOf(m.shape.slice(depth + 1));
    return Array.from({ length: n }, (_, i) => build(depth + 1, offset + i * stride));
  };
  return build(0, 0);
}

/** Throws unless `m` is a well-formed Mat (data length matches its shape). */
export function checkMat(op: string, name: string, m: Mat): void {
  const size = sizeOf(m.shape);
  if (m.data.length !== size) {
    throw new Error(
      `${op}: ${name} has shape ${shapeToString(m.shape)} (${size} elements) but ${m.data.length} data elements`,
    );
  }
}

/** True when two shapes are equal element by element. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Σ a ⊙ b over all elements: the weighted-sum losses the gradient tests use
 * (`loss = dot(sequence, wSeq) + dot(h, wH)`). Shapes must match exactly.
 */
export function dot(a: Mat, b: Mat): number {
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(
      `dot: shapes must match, got ${shapeToString(a.shape)} and ${shapeToString(b.shape)}`,
    );
  }
  let sum = 0;
  for (let k = 0; k < a.data.length; k++) sum += (a.data[k] ?? 0) * (b.data[k] ?? 0);
  return sum;
}

/**
 * Largest absolute elementwise difference between two Mats of the same shape, for assertions
 * like `expect(maxAbsDiff(got, want)).toBeLessThan(1e-12)`.
 */
export function maxAbsDiff(a: Mat, b: Mat): number {
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(
      `maxAbsDiff: shapes must match, got ${shapeToString(a.shape)} and ${shapeToString(b.shape)}`,
    );
  }
  let max = 0;
  for (let k = 0; k < a.data.length; k++) {
    max = Math.max(max, Math.abs((a.data[k] ?? 0) - (b.data[k] ?? 0)));
  }
  return max;
}
