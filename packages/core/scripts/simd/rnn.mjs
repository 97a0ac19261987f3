/**
 * The simple RNN cell's pointwise passes (src/kernels/rnn-cell/wasm.ts; contract in kernel.ts),
 * one function per activation φ (`tanh`, `relu`) and, forward, per record (t = training, 0 or 1).
 * Addresses in bytes, strides in floats, rows b < B; `mask` is the step's [B] mask values, read
 * when `masked` is 1.
 *
 *   rnn_fwd_{φ}_{t}(Z, X, st, S, mask, masked, out, R, B, H)
 *     Z [B, H] = h·U, X = step k of xp [B, H], st the previous record (h at column 0, stride S),
 *     out the record (stride R): h, or h | hn with hn = φ(Z + X) before the mask.
 *   rnn_bwd_{φ}(rec, R, dh, dhu, carry, mask, masked, out, B, H)
 *     rec = step k's records (hn at column H), dh = dH[k] [B, H], dhu = the carry's da·Uᵀ [B, H],
 *     carry and out `da | keep` (stride 2H).
 */
import { Fn, block, get, rowAt } from './wat.mjs';

const ACTIVATIONS = ['tanh', 'relu'];

const setRow = (name, base, b, stride) => `(local.set $${name} ${rowAt(base, b, stride)})`;

/** The row's mask value (1 when not `masked`) into $keep. */
const setKeep = (b) => `(local.set $keep (if (result f32) ${get('masked')} (then (f32.load ${rowAt(get('mask'), b, '(i32.const 1)')})) (else (f32.const 1))))`;

/** max(a, 0), NaN kept (as Math.max and tf.relu). */
const relu = (u, a) => u.let(`(${u.I.vector ? 'f32x4' : 'f32'}.max ${a} ${u.I.c(0)})`);

function rnnForward(activation, training) {
  const fn = new Fn(`rnn_fwd_${activation}_${training ? 1 : 0}`, ['Z', 'X', 'st', 'S', 'mask', 'masked', 'out', 'R', 'B', 'H']);
  const [z, x, s, o] = ['z', 'x', 's', 'o'].map((n) => fn.rowLocal(n));
  const keep = fn.rowLocal('keep', 'f32');
  fn.rows(get('B'), get('H'), (b) => [
    setRow('z', get('Z'), b, get('H')), setRow('x', get('X'), b, get('H')),
    setRow('s', get('st'), b, get('S')), setRow('o', get('out'), b, get('R')), setKeep(b),
  ], (u) => {
    const I = u.I;
    const a = I.add(u.load(z), u.load(x));
    const hn = activation === 'relu' ? relu(u, a) : u.tanh(a);
    const hp = u.load(s);
    u.store(o, I.add(hp, I.mul(I.splat(keep), I.sub(hn, hp))));
    if (training) u.store(block(o, 1), hn);
  });
  return fn;
}

function rnnBackward(activation) {
  const fn = new Fn(`rnn_bwd_${activation}`, ['rec', 'R', 'dh', 'dhu', 'carry', 'mask', 'masked', 'out', 'B', 'H']);
  const [r, d, e, q, o] = ['r', 'd', 'e', 'q', 'o'].map((n) => fn.rowLocal(n));
  const keep = fn.rowLocal('keep', 'f32');
  const W = `(i32.shl ${get('H')} (i32.const 1))`;
  fn.rows(get('B'), get('H'), (b) => [
    setRow('r', get('rec'), b, get('R')), setRow('d', get('dh'), b, get('H')), setRow('e', get('dhu'), b, get('H')),
    setRow('q', get('carry'), b, W), setRow('o', get('out'), b, W), setKeep(b),
  ], (u) => {
    const I = u.I;
    const m = I.splat(keep);
    const dhTot = u.let(I.add(I.add(u.load(d), u.load(e)), u.load(block(q, 1))));
    const hn = u.load(block(r, 1));
    // φ'(a) from hn: 1 − hn² (tanh), 1 where hn > 0 else 0 (ReLU)
    const dPhi = activation === 'relu' ? I.select(I.c(1), I.c(0), I.gt(hn, I.c(0))) : u.oneMinus(I.mul(hn, hn));
    u.store(o, I.mul(I.mul(m, dhTot), dPhi));
    u.store(block(o, 1), I.mul(u.oneMinus(m), dhTot));
  });
  return fn;
}

export function rnnFunctions() {
  return ACTIVATIONS.flatMap((a) => [rnnForward(a, false), rnnForward(a, true), rnnBackward(a)]);
}
