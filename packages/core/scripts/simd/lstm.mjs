/**
 * The LSTM cell's pointwise passes (src/kernels/lstm-cell/wasm.ts; contract in kernel.ts), one
 * function per variant: `lstm_fwd_{c,p,t}` and `lstm_bwd_{c,p}` with c = coupled, p = peephole,
 * t = training record, each flag 0 or 1 in the name (`lstm_fwd_011`).
 *
 * Forward, for rows b < B (all addresses in bytes, strides in floats):
 *   lstm_fwd(Z, X, st, S, P, mask, masked, out, R, B, H)
 *   Z [B, GH] = h·U, X = step k of the input projection [B, GH], st the previous record (h | c at
 *   columns 0 and H, row stride S), P the peepholes [3, H], mask the step's [B] mask values (read
 *   when `masked` is 1), out the record (row stride R).
 * Backward: lstm_bwd(rec, R, cp, CS, dh, dhu, carry, CW, P, mask, masked, out, B, H)
 *   rec = step k's records (stride R), cp = c_{k−1} (stride CS), dh = dH[k] [B, H], dhu = the
 *   carry's dz·Uᵀ [B, H], carry = step k + 1's dz | dc | keep (stride CW), out the same layout.
 */
import { Fn, block, get, rowAt } from './wat.mjs';

const flags = (...bits) => bits.map((b) => (b ? 1 : 0)).join('');

/** Gate blocks: i is absent when coupled (i = 1 − f). */
const blocks = (coupled) => (coupled ? { i: -1, f: 0, c: 1, o: 2 } : { i: 0, f: 1, c: 2, o: 3 });

function lstmForward(coupled, peephole, training) {
  const G = coupled ? 3 : 4;
  const fn = new Fn(`lstm_fwd_${flags(coupled, peephole, training)}`, ['Z', 'X', 'st', 'S', 'P', 'mask', 'masked', 'out', 'R', 'B', 'H']);
  const GH = `(i32.mul (i32.const ${G}) ${get('H')})`;
  const z = fn.rowLocal('z');
  const x = fn.rowLocal('x');
  const s = fn.rowLocal('s');
  const o = fn.rowLocal('o');
  const keep = fn.rowLocal('keep', 'f32');
  const k = blocks(coupled);
  fn.rows(get('B'), get('H'), (b) => [
    `(local.set $z ${rowAt(get('Z'), b, GH)})`,
    `(local.set $x ${rowAt(get('X'), b, GH)})`,
    `(local.set $s ${rowAt(get('st'), b, get('S'))})`,
    `(local.set $o ${rowAt(get('out'), b, get('R'))})`,
    `(local.set $keep (if (result f32) ${get('masked')} (then (f32.load ${rowAt(get('mask'), b, '(i32.const 1)')})) (else (f32.const 1))))`,
  ], (u) => {
    const I = u.I;
    const pre = (g) => I.add(u.load(block(z, g)), u.load(block(x, g)));
    const cp = u.load(block(s, 1));
    const peep = (v, row, c) => (peephole ? I.add(v, I.mul(u.load(block(get('P'), row)), c)) : v);
    const f = u.sigmoid(peep(pre(k.f), 1, cp));
    const i = coupled ? u.let(u.oneMinus(f)) : u.sigmoid(peep(pre(k.i), 0, cp));
    const cand = u.tanh(pre(k.c));
    const cn = u.let(I.add(I.mul(f, cp), I.mul(i, cand)));
    const og = u.sigmoid(peep(pre(k.o), 2, cn));
    const hn = u.let(I.mul(og, u.tanh(cn)));
    const hp = u.load(block(s, 0));
    const m = I.splat(keep);
    u.store(block(o, 0), I.add(hp, I.mul(m, I.sub(hn, hp))));
    u.store(block(o, 1), I.add(cp, I.mul(m, I.sub(cn, cp))));
    if (!training) return;
    u.store(block(o, 2), cn);
    if (!coupled) u.store(block(o, 3 + k.i), i);
    u.store(block(o, 3 + k.f), f);
    u.store(block(o, 3 + k.c), cand);
    u.store(block(o, 3 + k.o), og);
  });
  return fn;
}

function lstmBackward(coupled, peephole) {
  const G = coupled ? 3 : 4;
  const fn = new Fn(`lstm_bwd_${flags(coupled, peephole)}`, ['rec', 'R', 'cp', 'CS', 'dh', 'dhu', 'carry', 'CW', 'P', 'mask', 'masked', 'out', 'B', 'H']);
  const r = fn.rowLocal('r');
  const c = fn.rowLocal('c');
  const d = fn.rowLocal('d');
  const e = fn.rowLocal('e');
  const q = fn.rowLocal('q');
  const o = fn.rowLocal('o');
  const keep = fn.rowLocal('keep', 'f32');
  const k = blocks(coupled);
  fn.rows(get('B'), get('H'), (b) => [
    `(local.set $r ${rowAt(get('rec'), b, get('R'))})`,
    `(local.set $c ${rowAt(get('cp'), b, get('CS'))})`,
    `(local.set $d ${rowAt(get('dh'), b, get('H'))})`,
    `(local.set $e ${rowAt(get('dhu'), b, get('H'))})`,
    `(local.set $q ${rowAt(get('carry'), b, get('CW'))})`,
    `(local.set $o ${rowAt(get('out'), b, get('CW'))})`,
    `(local.set $keep (if (result f32) ${get('masked')} (then (f32.load ${rowAt(get('mask'), b, '(i32.const 1)')})) (else (f32.const 1))))`,
  ], (u) => {
    const I = u.I;
    const m = I.splat(keep);
    const unkept = u.let(u.oneMinus(m));
    // the carry and the output: dz (G blocks) | dc | keep
    const dhTot = u.let(I.add(I.add(u.load(d), u.load(e)), u.load(block(q, G + 1))));
    const dcCarry = u.load(block(q, G));
    const dhN = u.let(I.mul(m, dhTot));
    const cPrev = u.load(c);
    const act = (g) => u.load(block(r, 3 + g));
    const f = act(k.f);
    const i = coupled ? u.let(u.oneMinus(f)) : act(k.i);
    const cand = act(k.c);
    const og = act(k.o);
    const tc = u.tanh(u.load(block(r, 2)));
    const dzo = u.let(I.mul(I.mul(dhN, tc), I.mul(og, u.oneMinus(og))));
    let dcN = u.let(I.add(I.mul(m, dcCarry), I.mul(I.mul(dhN, og), u.oneMinus(I.mul(tc, tc)))));
    if (peephole) dcN = u.let(I.add(dcN, I.mul(dzo, u.load(block(get('P'), 2)))));
    const dzf = u.let(I.mul(I.mul(dcN, coupled ? I.sub(cPrev, cand) : cPrev), I.mul(f, u.oneMinus(f))));
    let dcPrev = u.let(I.mul(dcN, f));
    if (!coupled) {
      const dzi = u.let(I.mul(I.mul(dcN, cand), I.mul(i, u.oneMinus(i))));
      u.store(block(o, k.i), dzi);
      if (peephole) dcPrev = u.let(I.add(dcPrev, I.mul(dzi, u.load(get('P')))));
    }
    if (peephole) dcPrev = u.let(I.add(dcPrev, I.mul(dzf, u.load(block(get('P'), 1)))));
    u.store(block(o, k.f), dzf);
    u.store(block(o, k.c), I.mul(I.mul(dcN, i), u.oneMinus(I.mul(cand, cand))));
    u.store(block(o, k.o), dzo);
    u.store(block(o, G), I.add(dcPrev, I.mul(unkept, dcCarry)));
    u.store(block(o, G + 1), I.mul(unkept, dhTot));
  });
  return fn;
}

export function lstmFunctions() {
  const out = [];
  for (const coupled of [false, true]) {
    for (const peephole of [false, true]) {
      for (const training of [false, true]) out.push(lstmForward(coupled, peephole, training));
      out.push(lstmBackward(coupled, peephole));
    }
  }
  return out;
}
