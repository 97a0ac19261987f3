/**
 * A small WebAssembly-text generator for the fused cell kernels' pointwise passes: each kernel
 * body is written once as a function of an instruction set — `VEC` (f32x4, four units at a time)
 * or `SCA` (f32, the tail of a row whose width is not a multiple of four) — and expanded into both.
 * Nothing here allocates wasm memory: the functions read and write the tfjs-backend-wasm heap at
 * the byte addresses they are given.
 */

/** One instruction set: the same operations on f32x4 lanes or on one f32. */
function instructionSet(vector) {
  const op = (name) => (a, b) => (b === undefined ? `(${vector ? 'f32x4' : 'f32'}.${name} ${a})` : `(${vector ? 'f32x4' : 'f32'}.${name} ${a} ${b})`);
  return {
    vector,
    type: vector ? 'v128' : 'f32',
    /** Bytes per step of the unit loop. */
    bytes: vector ? 16 : 4,
    c: (k) => (vector ? `(v128.const f32x4 ${k} ${k} ${k} ${k})` : `(f32.const ${k})`),
    /** A row-constant f32 (a local or an expression) as a value of this set. */
    splat: (e) => (vector ? `(f32x4.splat ${e})` : e),
    load: (addr) => `(${vector ? 'v128' : 'f32'}.load ${addr})`,
    store: (addr, v) => `(${vector ? 'v128' : 'f32'}.store ${addr} ${v})`,
    add: op('add'),
    sub: op('sub'),
    mul: op('mul'),
    div: op('div'),
    abs: op('abs'),
    gt: op('gt'),
    /** `yes` where `cond` holds, else `no` (cond from `gt`). */
    select: (yes, no, cond) => (vector ? `(v128.bitselect ${yes} ${no} ${cond})` : `(select ${yes} ${no} ${cond})`),
    /** The bits of `v` shifted left by 23, read as f32 (2^n from a magic-biased n). */
    shl23: (v) => (vector ? `(i32x4.shl ${v} (i32.const 23))` : `(f32.reinterpret_i32 (i32.shl (i32.reinterpret_f32 ${v}) (i32.const 23)))`),
  };
}

export const VEC = instructionSet(true);
export const SCA = instructionSet(false);

// σ(x) on f32, after XNNPACK's rr2-p5-div sigmoid: e = exp(−|x|) by a two-constant range
// reduction and a degree-5 polynomial, σ(−|x|) = e / (1 + e), flushed to 0 past the normal range,
// mirrored for x > 0. About 2 ulp; tfjs-backend-wasm's own Sigmoid runs the same algorithm.
const MAGIC_BIAS = '0x1.8000FEp23';
const MINUS_LOG2E = '-0x1.715476p+0';
const LN2_HI = '0x1.62E400p-1';
const LN2_LO = '0x1.7F7D1Cp-20';
const C = ['-0x1.FFFFF6p-1', '0x1.FFFDC6p-2', '-0x1.555A80p-3', '0x1.573A1Ap-5', '-0x1.0F9F9Cp-7'];
const DENORM_CUTOFF = '0x1.5D589Ep+6';
// eˣ: the magic bias with exponent bias 126 (the scale is 2^(n−1)), ln(FLT_MAX), and the x below
// which 2^(n−1) would leave the normal range
const MAGIC_BIAS_HALF = '0x1.8000FCp23';
const EXP_OVERFLOW = '0x1.62E42Ep+6';
const EXP_UNDERFLOW = '-0x1.5D589Ep+6';

/**
 * The statements of one loop body under one instruction set: `let` names a value (a fresh local),
 * `emit` adds a statement, and the math helpers build on them.
 */
export class Body {
  constructor(fn, isa) {
    this.fn = fn;
    this.I = isa;
    this.code = [];
  }

  /** Evaluates `expr` once into a new local; returns the expression that reads it. */
  let(expr) {
    const name = this.fn.local(this.I.type);
    this.code.push(`(local.set ${name} ${expr})`);
    return `(local.get ${name})`;
  }

  emit(stmt) {
    this.code.push(stmt);
  }

  /**
   * e⁻ᶻ as s·(1 + t·p(t)): n = round(−z·log₂e) by the magic bias (which also carries the exponent
   * bias: 127 gives s = 2ⁿ, 126 gives 2ⁿ⁻¹), t = z + n·ln2 in two parts, p of degree 4.
   */
  expMinus(z, magic) {
    const I = this.I;
    const nb = this.let(I.add(I.mul(z, I.c(MINUS_LOG2E)), I.c(magic)));
    const s = this.let(I.shl23(nb));
    const n = this.let(I.sub(nb, I.c(magic)));
    let t = this.let(I.add(I.mul(n, I.c(LN2_HI)), z));
    t = this.let(I.add(I.mul(n, I.c(LN2_LO)), t));
    let p = this.let(I.add(I.mul(t, I.c(C[4])), I.c(C[3])));
    p = this.let(I.add(I.mul(t, p), I.c(C[2])));
    p = this.let(I.add(I.mul(t, p), I.c(C[1])));
    p = this.let(I.add(I.mul(t, p), I.c(C[0])));
    return I.add(I.mul(I.mul(t, s), p), s);
  }

  sigmoid(x) {
    const I = this.I;
    const X = this.let(x);
    const z = this.let(I.abs(X));
    const e = this.let(this.expMinus(z, MAGIC_BIAS));
    let f = this.let(I.div(e, I.add(e, I.c(1))));
    f = this.let(I.select(I.c(0), f, I.gt(z, I.c(DENORM_CUTOFF))));
    return this.let(I.select(I.sub(I.c(1), f), f, I.gt(X, I.c(0))));
  }

  /**
   * eˣ: e⁻ᶻ with z = −x, scaled by 2ⁿ⁻¹ and doubled so that n up to 128 stays normal. +∞ past
   * ln(FLT_MAX); results below about 2⁻¹²⁵ flush to 0 (no subnormals); NaN stays NaN.
   */
  exp(x) {
    const I = this.I;
    const X = this.let(x);
    const z = this.let(I.sub(I.c(0), X));
    const e = this.let(I.mul(I.c(2), this.expMinus(z, MAGIC_BIAS_HALF)));
    const big = this.let(I.select(I.c('inf'), e, I.gt(X, I.c(EXP_OVERFLOW))));
    return this.let(I.select(I.c(0), big, I.gt(I.c(EXP_UNDERFLOW), X)));
  }

  /** tanh(x) = 2σ(2x) − 1: one exp, where wasm's own Tanh costs about 15 sigmoids. */
  tanh(x) {
    const I = this.I;
    return this.let(I.sub(I.mul(I.c(2), this.sigmoid(I.mul(I.c(2), x))), I.c(1)));
  }

  /** 1 − x. */
  oneMinus(x) {
    return this.I.sub(this.I.c(1), x);
  }

  /** The value at byte address `ptr` + the unit offset (`$j`). */
  load(ptr) {
    return this.let(this.I.load(`(i32.add ${ptr} (local.get $j))`));
  }

  store(ptr, value) {
    this.emit(this.I.store(`(i32.add ${ptr} (local.get $j))`, value));
  }
}

/** One exported function: its parameters (all i32 unless typed), locals, and statements. */
export class Fn {
  constructor(name, params) {
    this.name = name;
    this.params = params.map((p) => (Array.isArray(p) ? p : [p, 'i32']));
    this.locals = [];
    this.code = [];
  }

  /** A new local of `type`; returns its name. */
  local(type, hint = 't') {
    const name = `$${hint}${this.locals.length}`;
    this.locals.push([name, type]);
    return name;
  }

  /** A named i32/f32 local set once per row (a row pointer, the mask value). */
  rowLocal(name, type = 'i32') {
    this.locals.push([`$${name}`, type]);
    return `(local.get $${name})`;
  }

  emit(stmt) {
    this.code.push(stmt);
  }

  /**
   * for b in [0, B): `row(b)` (statements setting row locals), then the units of the row:
   * `units(body)` written once, expanded for four units at a time and for the tail. `$j` is the
   * unit offset in bytes, `$H4` the row width in bytes.
   */
  rows(B, H, row, units) {
    this.locals.push(['$b', 'i32'], ['$j', 'i32'], ['$H4', 'i32']);
    const vec = new Body(this, VEC);
    units(vec);
    const sca = new Body(this, SCA);
    units(sca);
    this.emit(`(local.set $H4 (i32.shl ${H} (i32.const 2)))`);
    this.emit(`(local.set $b (i32.const 0))`);
    this.emit(`(block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $b) ${B}))
      ${row('(local.get $b)').join('\n      ')}
      (local.set $j (i32.const 0))
      (block $vec_done (loop $vec
        (br_if $vec_done (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $H4)))
        ${vec.code.join('\n        ')}
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $vec)))
      (block $tail_done (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $j) (local.get $H4)))
        ${sca.code.join('\n        ')}
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $tail)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows)))`);
  }

  text() {
    const params = this.params.map(([n, t]) => `(param $${n} ${t})`).join(' ');
    const locals = this.locals.map(([n, t]) => `(local ${n} ${t})`).join(' ');
    return `(func $${this.name} (export "${this.name}") ${params}\n  ${locals}\n  ${this.code.join('\n  ')})`;
  }
}

/** `(local.get $name)`. */
export const get = (name) => `(local.get $${name})`;

/** base + index · stride · 4: the byte address of row `index` (stride in floats). */
export const rowAt = (base, index, stride) => `(i32.add ${base} (i32.shl (i32.mul ${index} ${stride}) (i32.const 2)))`;

/** ptr + k · H4: the k-th block of H units after `ptr`. */
export const block = (ptr, k) => (k === 0 ? ptr : `(i32.add ${ptr} (i32.mul (i32.const ${k}) (local.get $H4)))`);

/** The module around `functions`, importing tfjs' heap (shared when the threaded build runs). */
export function moduleText(functions, shared) {
  const memory = shared ? '(memory 1 65536 shared)' : '(memory 1)';
  return `(module\n(import "env" "memory" ${memory})\n${functions.map((f) => f.text()).join('\n')}\n)\n`;
}
