/**
 * Elementwise functions of the SIMD module, for the wasm kernel overrides
 * (src/kernels/wasm-overrides/):
 *
 *   exp32(src, dst, n)   dst[i] = eˣ of src[i], f32 (see Body.exp in wat.mjs for its range)
 */
import { Fn, get } from './wat.mjs';

function exp32() {
  const fn = new Fn('exp32', ['src', 'dst', 'n']);
  fn.rows('(i32.const 1)', get('n'), () => [], (u) => u.store(get('dst'), u.exp(u.load(get('src')))));
  return fn;
}

export function unaryFunctions() {
  return [exp32()];
}
