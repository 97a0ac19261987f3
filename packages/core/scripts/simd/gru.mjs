/**
 * The GRU cell's pointwise passes (src/kernels/gru-cell/wasm.ts; contracts in kernel.ts). All
 * addresses in bytes, strides in floats, rows b < B; `mask` is the step's [B] mask values, read
 * when `masked` is 1; t = training record (0 or 1 in the name).
 *
 * Reset-after, one pass each way:
 *   gru_fwd_{t}(Z, X, st, S, mask, masked, out, R, B, H)
 *     Z [B, 3H] = h·U, X = step k of xp [B, 4H], st the previous record (h at column 0, stride S),
 *     out the record (stride R): h, or h | z | r | ĥ | hh.
 *   gru_bwd(rec, R, hp, HS, dh, dhu, carry, mask, masked, out, B, H)
 *     rec = step k's records, hp = h_{k−1} (stride HS), dh = dH[k] [B, H], dhu = the carry's
 *     [da_z, da_r, dhh]·Uᵀ [B, H], carry and out `da_z | da_r | dhh | keep | da_h` (stride 5H).
 *
 * Reset-before, two passes each way around the second matMul:
 *   gru_rb_fwd1(Z, X, st, S, g, GS, rh, B, H)
 *     Z [B, 2H] = h·U_zr, X = step k of xp [B, 3H]; writes z | r at g (stride GS: the record's
 *     columns H… in training, else a temporary) and r ⊙ h at rh [B, H].
 *   gru_rb_fwd2_{t}(Q, X, st, S, g, GS, mask, masked, out, R, B, H)
 *     Q [B, H] = (r ⊙ h)·U_h; writes h (and ĥ at column 3H in training) into the record.
 *   gru_rb_bwd1(rec, R, hp, HS, dh, dhu, carry, mask, masked, out, dah, B, H)
 *     dhu = the carry's [da_z, da_r]·U_zrᵀ; carry and out `da_z | da_r | e | da_h` (stride 4H);
 *     writes da_z, da_h (also at dah [B, H], the next matMul's operand) and e without dq ⊙ r.
 *   gru_rb_bwd2(rec, R, hp, HS, dq, out, B, H)
 *     dq [B, H] = da_h·U_hᵀ: da_r = dq ⊙ h_{k−1} r(1 − r), e += dq ⊙ r.
 */
import { Fn, block, get, rowAt } from './wat.mjs';

/** `(local.set $name …)` of a row pointer: row b of `base` at stride `stride` (floats). */
const setRow = (name, base, b, stride) => `(local.set $${name} ${rowAt(base, b, stride)})`;

/** The row's mask value (1 when not `masked`) into $keep. */
const setKeep = (b) => `(local.set $keep (if (result f32) ${get('masked')} (then (f32.load ${rowAt(get('mask'), b, '(i32.const 1)')})) (else (f32.const 1))))`;

/** (H · n) as an i32 expression: a stride of n blocks. */
const blocksOf = (n) => `(i32.mul (i32.const ${n}) ${get('H')})`;

/** hp + keep·(hn − hp): the masked state (keep = 1 when unmasked). */
const maskedState = (u, hp, hn, keep) => u.I.add(hp, u.I.mul(u.I.splat(keep), u.I.sub(hn, hp)));

function gruForward(training) {
  const fn = new Fn(`gru_fwd_${training ? 1 : 0}`, ['Z', 'X', 'st', 'S', 'mask', 'masked', 'out', 'R', 'B', 'H']);
  const [z, x, s, o] = ['z', 'x', 's', 'o'].map((n) => fn.rowLocal(n));
  const keep = fn.rowLocal('keep', 'f32');
  fn.rows(get('B'), get('H'), (b) => [
    setRow('z', get('Z'), b, blocksOf(3)), setRow('x', get('X'), b, blocksOf(4)),
    setRow('s', get('st'), b, get('S')), setRow('o', get('out'), b, get('R')), setKeep(b),
  ], (u) => {
    const I = u.I;
    const zg = u.sigmoid(I.add(u.load(z), u.load(x)));
    const r = u.sigmoid(I.add(u.load(block(z, 1)), u.load(block(x, 1))));
    const hh = u.let(I.add(u.load(block(z, 2)), u.load(block(x, 3)))); // h U_h + b_hh
    const cand = u.tanh(I.add(u.load(block(x, 2)), I.mul(r, hh)));
    const hp = u.load(s);
    const hn = I.add(I.mul(zg, hp), I.mul(u.oneMinus(zg), cand));
    u.store(o, maskedState(u, hp, hn, keep));
    if (!training) return;
    u.store(block(o, 1), zg);
    u.store(block(o, 2), r);
    u.store(block(o, 3), cand);
    u.store(block(o, 4), hh);
  });
  return fn;
}

function gruBackward() {
  const fn = new Fn('gru_bwd', ['rec', 'R', 'hp', 'HS', 'dh', 'dhu', 'carry', 'mask', 'masked', 'out', 'B', 'H']);
  const [r, p, d, e, q, o] = ['r', 'p', 'd', 'e', 'q', 'o'].map((n) => fn.rowLocal(n));
  const keep = fn.rowLocal('keep', 'f32');
  fn.rows(get('B'), get('H'), (b) => [
    setRow('r', get('rec'), b, get('R')), setRow('p', get('hp'), b, get('HS')),
    setRow('d', get('dh'), b, get('H')), setRow('e', get('dhu'), b, get('H')),
    setRow('q', get('carry'), b, blocksOf(5)), setRow('o', get('out'), b, blocksOf(5)), setKeep(b),
  ], (u) => {
    const I = u.I;
    const m = I.splat(keep);
    const dhTot = u.let(I.add(I.add(u.load(d), u.load(e)), u.load(block(q, 3))));
    const dhN = u.let(I.mul(m, dhTot));
    const zg = u.load(block(r, 1));
    const rg = u.load(block(r, 2));
    const cand = u.load(block(r, 3));
    const hh = u.load(block(r, 4));
    const dah = u.let(I.mul(dhN, I.mul(u.oneMinus(zg), u.oneMinus(I.mul(cand, cand)))));
    u.store(o, I.mul(dhN, I.mul(I.sub(u.load(p), cand), I.mul(zg, u.oneMinus(zg)))));
    u.store(block(o, 1), I.mul(dah, I.mul(hh, I.mul(rg, u.oneMinus(rg)))));
    u.store(block(o, 2), I.mul(dah, rg));
    u.store(block(o, 3), I.add(I.mul(dhN, zg), I.mul(u.oneMinus(m), dhTot)));
    u.store(block(o, 4), dah);
  });
  return fn;
}

function gruRbForward1() {
  const fn = new Fn('gru_rb_fwd1', ['Z', 'X', 'st', 'S', 'g', 'GS', 'rh', 'B', 'H']);
  const [z, x, s, g, h] = ['z', 'x', 's', 'gr', 'h'].map((n) => fn.rowLocal(n));
  fn.rows(get('B'), get('H'), (b) => [
    setRow('z', get('Z'), b, blocksOf(2)), setRow('x', get('X'), b, blocksOf(3)),
    setRow('s', get('st'), b, get('S')), setRow('gr', get('g'), b, get('GS')), setRow('h', get('rh'), b, get('H')),
  ], (u) => {
    const I = u.I;
    u.store(g, u.sigmoid(I.add(u.load(z), u.load(x))));
    const r = u.sigmoid(I.add(u.load(block(z, 1)), u.load(block(x, 1))));
    u.store(block(g, 1), r);
    u.store(h, I.mul(r, u.load(s)));
  });
  return fn;
}

function gruRbForward2(training) {
  const fn = new Fn(`gru_rb_fwd2_${training ? 1 : 0}`, ['Q', 'X', 'st', 'S', 'g', 'GS', 'mask', 'masked', 'out', 'R', 'B', 'H']);
  const [q, x, s, g, o] = ['q', 'x', 's', 'gr', 'o'].map((n) => fn.rowLocal(n));
  const keep = fn.rowLocal('keep', 'f32');
  fn.rows(get('B'), get('H'), (b) => [
    setRow('q', get('Q'), b, get('H')), setRow('x', get('X'), b, blocksOf(3)), setRow('s', get('st'), b, get('S')),
    setRow('gr', get('g'), b, get('GS')), setRow('o', get('out'), b, get('R')), setKeep(b),
  ], (u) => {
    const I = u.I;
    const cand = u.tanh(I.add(u.load(block(x, 2)), u.load(q)));
    const zg = u.load(g);
    const hp = u.load(s);
    u.store(o, maskedState(u, hp, I.add(I.mul(zg, hp), I.mul(u.oneMinus(zg), cand)), keep));
    if (training) u.store(block(o, 3), cand);
  });
  return fn;
}

function gruRbBackward1() {
  const fn = new Fn('gru_rb_bwd1', ['rec', 'R', 'hp', 'HS', 'dh', 'dhu', 'carry', 'mask', 'masked', 'out', 'dah', 'B', 'H']);
  const [r, p, d, e, q, o, a] = ['r', 'p', 'd', 'e', 'q', 'o', 'a'].map((n) => fn.rowLocal(n));
  const keep = fn.rowLocal('keep', 'f32');
  fn.rows(get('B'), get('H'), (b) => [
    setRow('r', get('rec'), b, get('R')), setRow('p', get('hp'), b, get('HS')),
    setRow('d', get('dh'), b, get('H')), setRow('e', get('dhu'), b, get('H')),
    setRow('q', get('carry'), b, blocksOf(4)), setRow('o', get('out'), b, blocksOf(4)),
    setRow('a', get('dah'), b, get('H')), setKeep(b),
  ], (u) => {
    const I = u.I;
    const m = I.splat(keep);
    const dhTot = u.let(I.add(I.add(u.load(d), u.load(e)), u.load(block(q, 2))));
    const dhN = u.let(I.mul(m, dhTot));
    const zg = u.load(block(r, 1));
    const cand = u.load(block(r, 3));
    const dah = u.let(I.mul(dhN, I.mul(u.oneMinus(zg), u.oneMinus(I.mul(cand, cand)))));
    u.store(o, I.mul(dhN, I.mul(I.sub(u.load(p), cand), I.mul(zg, u.oneMinus(zg)))));
    u.store(block(o, 2), I.add(I.mul(dhN, zg), I.mul(u.oneMinus(m), dhTot)));
    u.store(block(o, 3), dah);
    u.store(a, dah);
  });
  return fn;
}

function gruRbBackward2() {
  const fn = new Fn('gru_rb_bwd2', ['rec', 'R', 'hp', 'HS', 'dq', 'out', 'B', 'H']);
  const [r, p, q, o] = ['r', 'p', 'q', 'o'].map((n) => fn.rowLocal(n));
  fn.rows(get('B'), get('H'), (b) => [
    setRow('r', get('rec'), b, get('R')), setRow('p', get('hp'), b, get('HS')),
    setRow('q', get('dq'), b, get('H')), setRow('o', get('out'), b, blocksOf(4)),
  ], (u) => {
    const I = u.I;
    const rg = u.load(block(r, 2));
    const dq = u.load(q);
    u.store(block(o, 1), I.mul(dq, I.mul(u.load(p), I.mul(rg, u.oneMinus(rg)))));
    u.store(block(o, 2), I.add(u.load(block(o, 2)), I.mul(dq, rg)));
  });
  return fn;
}

export function gruFunctions() {
  return [
    gruForward(false), gruForward(true), gruBackward(),
    gruRbForward1(), gruRbForward2(false), gruRbForward2(true), gruRbBackward1(), gruRbBackward2(),
  ];
}
