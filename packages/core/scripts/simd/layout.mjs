/**
 * Data-movement functions of the SIMD module, for the wasm kernel overrides
 * (src/kernels/wasm-overrides/): a 4-byte-element transpose in 4 × 4 register blocks, and column
 * sums. Addresses in bytes, sizes in elements.
 *
 *   transpose32(src, dst, rows, cols)   dst[j, i] = src[i, j] for src [rows, cols] (bits copied)
 *   colsum32(src, dst, rows, cols)      dst[j] = src[0, j] + src[1, j] + … (f32, rows in order)
 */
import { Fn, get, rowAt } from './wat.mjs';

/** i8x16.shuffle lane lists: 32-bit lanes a0 b0 a1 b1 / a2 b2 a3 b3 of (a, b), and 64-bit halves. */
const lanes = (...words) => words.flatMap((w) => [4 * w, 4 * w + 1, 4 * w + 2, 4 * w + 3]).join(' ');
const LO32 = lanes(0, 4, 1, 5);
const HI32 = lanes(2, 6, 3, 7);
const LO64 = lanes(0, 1, 4, 5);
const HI64 = lanes(2, 3, 6, 7);

/**
 * Columns per tile: the TILE destination rows a pass down the rows writes stay in L1. Measured here
 * (ns per element at [2048, 256] / [256, 1024]): 4: 0.29 / 0.93, 8: 0.18 / 0.49, 16: 0.56 / 0.24,
 * 64: 1.73 / 0.67 — power-of-two row strides put wider tiles' rows in the same cache sets.
 */
const TILE = 8;

const transpose32 = `(func $transpose32 (export "transpose32") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
  (local $i i32) (local $j i32) (local $j0 i32) (local $j1 i32) (local $r4 i32) (local $c4 i32) (local $rs i32) (local $cs i32) (local $p i32) (local $q i32)
  (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
  (local.set $rs (i32.shl (local.get $rows) (i32.const 2)))
  (local.set $cs (i32.shl (local.get $cols) (i32.const 2)))
  (local.set $r4 (i32.and (local.get $rows) (i32.const -4)))
  (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
  ;; 4 × 4 blocks, in column tiles of ${TILE}
  (local.set $j0 (i32.const 0))
  (block $tiles_done (loop $tiles
    (br_if $tiles_done (i32.ge_u (local.get $j0) (local.get $c4)))
    (local.set $j1 (select (i32.add (local.get $j0) (i32.const ${TILE})) (local.get $c4) (i32.lt_u (i32.add (local.get $j0) (i32.const ${TILE})) (local.get $c4))))
    (local.set $i (i32.const 0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $i) (local.get $r4)))
      (local.set $j (local.get $j0))
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.ge_u (local.get $j) (local.get $j1)))
        (local.set $p (i32.add (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $cs))) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $a (v128.load (local.get $p)))
        (local.set $b (v128.load (i32.add (local.get $p) (local.get $cs))))
        (local.set $c (v128.load (i32.add (local.get $p) (i32.shl (local.get $cs) (i32.const 1)))))
        (local.set $d (v128.load (i32.add (local.get $p) (i32.mul (local.get $cs) (i32.const 3)))))
        (local.set $t0 (i8x16.shuffle ${LO32} (local.get $a) (local.get $b)))
        (local.set $t1 (i8x16.shuffle ${HI32} (local.get $a) (local.get $b)))
        (local.set $t2 (i8x16.shuffle ${LO32} (local.get $c) (local.get $d)))
        (local.set $t3 (i8x16.shuffle ${HI32} (local.get $c) (local.get $d)))
        (local.set $q (i32.add (i32.add (local.get $dst) (i32.mul (local.get $j) (local.get $rs))) (i32.shl (local.get $i) (i32.const 2))))
        (v128.store (local.get $q) (i8x16.shuffle ${LO64} (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $q) (local.get $rs)) (i8x16.shuffle ${HI64} (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $q) (i32.shl (local.get $rs) (i32.const 1))) (i8x16.shuffle ${LO64} (local.get $t1) (local.get $t3)))
        (v128.store (i32.add (local.get $q) (i32.mul (local.get $rs) (i32.const 3))) (i8x16.shuffle ${HI64} (local.get $t1) (local.get $t3)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $cols)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $rows)))
    (local.set $j0 (local.get $j1))
    (br $tiles)))
  ;; the rest one element at a time: columns c4 … cols of rows 0 … r4, then rows r4 … rows
  (local.set $i (i32.const 0))
  (block $edge_done (loop $edge
    (br_if $edge_done (i32.ge_u (local.get $i) (local.get $rows)))
    (local.set $j (select (local.get $c4) (i32.const 0) (i32.lt_u (local.get $i) (local.get $r4))))
    (block $row_done (loop $row
      (br_if $row_done (i32.ge_u (local.get $j) (local.get $cols)))
      (i32.store
        (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 2)))
        (i32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2)))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $row)))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $edge)))
)`;

/** colsum32: dst = 0, then each row of src added in order (vector body and tail from Fn.rows). */
function colsum32() {
  const fn = new Fn('colsum32', ['src', 'dst', 'rows', 'cols']);
  const p = fn.rowLocal('p');
  fn.emit(`(memory.fill ${get('dst')} (i32.const 0) (i32.shl ${get('cols')} (i32.const 2)))`);
  fn.rows(get('rows'), get('cols'), (b) => [`(local.set $p ${rowAt(get('src'), b, get('cols'))})`], (u) => {
    u.store(get('dst'), u.I.add(u.load(get('dst')), u.load(p)));
  });
  return fn;
}

export function layoutFunctions() {
  return [{ text: () => transpose32 }, colsum32()];
}
