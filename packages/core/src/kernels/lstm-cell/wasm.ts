/**
 * `RecurrentLstmCell` and `RecurrentLstmCellGrad` on wasm — see kernel.ts for the contract.
 *
 * Forward: h·U on XNNPACK; one JavaScript pass adds the step's input projection (read in place)
 * and the peepholes of i and f, scaling the candidate's columns by 2; one SIMD sigmoid gives every
 * gate (ĉ = 2σ(2z) − 1); a second pass forms c and writes 2c (and o's pre-activation, with
 * peepholes, since it reads c); a second sigmoid gives tanh(c) = 2σ(2c) − 1 (and o); a last pass
 * writes the record. Backward: dz_{k+1}·Uᵀ on XNNPACK, tanh(ĉn) by the same sigmoid, then one pass
 * for the gate gradients, dc and keep. (wasm's own `Tanh` costs about 15× a sigmoid per element.)
 * The passes are small functions over flat views with offsets, so V8 compiles each loop once.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { stepSizes } from '../cell-kernel.js';
import { withScratch } from '../wasm/scratch.js';
import { carryWidth, LSTM_CELL, LSTM_CELL_GRAD, recordWidth, type LstmCellAttrs, type LstmCellGradAttrs } from './kernel.js';

type F32 = Float32Array;

/** Gate block indices (i is −1 when coupled: i = 1 − f). */
const gateBlocks = (coupled: boolean) => (coupled ? [-1, 0, 1, 2] : [0, 1, 2, 3]) as [number, number, number, number];

/** z[zo + j] = (z[zo + j] + x[xo + j]) · scale, j < n. */
function addScaled(z: F32, zo: number, x: F32, xo: number, n: number, scale: number): void {
  for (let j = 0; j < n; j++) z[zo + j] = (z[zo + j]! + x[xo + j]!) * scale;
}

/** z[zo + j] += p[po + j] · c[co + j], j < n. */
function addProduct(z: F32, zo: number, p: F32, po: number, c: F32, co: number, n: number): void {
  for (let j = 0; j < n; j++) z[zo + j] = z[zo + j]! + p[po + j]! * c[co + j]!;
}

/** t[to + j] = 2·(f·cp + i·(2σc − 1)) for unit j: twice the new cell state (i = 1 − f when io < 0). */
function twiceCell(t: F32, to: number, g: F32, io: number, fo: number, co: number, st: F32, cpo: number, n: number): void {
  for (let j = 0; j < n; j++) {
    const f = g[fo + j]!;
    const i = io < 0 ? 1 - f : g[io + j]!;
    t[to + j] = 2 * (f * st[cpo + j]! + i * (2 * g[co + j]! - 1));
  }
}

/** The record's h | c (and ĉn) of one row: o·tanh(c), masked by `keep`. */
function writeState(out: F32, w: number, st: F32, so: number, t2: F32, g2: F32, to: number, og: F32, oo: number, keep: number, n: number, training: boolean): void {
  for (let j = 0; j < n; j++) {
    const cn = 0.5 * t2[to + j]!;
    const hn = og[oo + j]! * (2 * g2[to + j]! - 1);
    const hp = st[so + j]!;
    const cp = st[so + n + j]!;
    out[w + j] = hp + keep * (hn - hp);
    out[w + n + j] = cp + keep * (cn - cp);
    if (training) out[w + 2 * n + j] = cn;
  }
}

/** dst[d + j] = 2·src[s + j]. */
function twice(dst: F32, d: number, src: F32, s: number, n: number): void {
  for (let j = 0; j < n; j++) dst[d + j] = 2 * src[s + j]!;
}

/** dst[d + j] = 2·src[s + j] − 1. */
function twiceMinusOne(dst: F32, d: number, src: F32, s: number, n: number): void {
  for (let j = 0; j < n; j++) dst[d + j] = 2 * src[s + j]! - 1;
}

export const lstmCellWasm: tf.KernelConfig = {
  kernelName: LSTM_CELL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => withScratch(backend, (s) => {
    const a = attrs as unknown as LstmCellAttrs;
    const { H, GH, B, S } = stepSizes(inputs);
    const G = GH / H;
    const R = recordWidth(H, G, a.training);
    const k = a.step;
    const { xp, U, state } = inputs as Record<string, tf.TensorInfo>;
    const [iG, fG, cG, oG] = gateBlocks(a.coupled);
    const P2 = a.peephole ? 2 * H : H; // second sigmoid: 2c, and o's pre-activation with peepholes

    const Z = s.matMul(s.copyColumns(state!, 0, B, S, 0, H), U!); // [B, GH]: h·U
    const T2 = s.alloc([B, P2]);
    let z = s.view(Z);
    let st = s.view(state!);
    const x = s.view(xp!);
    const p = a.peephole ? s.view(inputs.peephole!) : undefined;
    for (let b = 0; b < B; b++) {
      for (let g = 0; g < G; g++) addScaled(z, b * GH + g * H, x, (k * B + b) * GH + g * H, H, g === cG ? 2 : 1);
      if (p !== undefined) {
        if (iG >= 0) addProduct(z, b * GH + iG * H, p, 0, st, b * S + H, H);
        addProduct(z, b * GH + fG * H, p, H, st, b * S + H, H);
      }
    }
    const S1 = s.sigmoid(Z);
    let g1 = s.view(S1);
    let t2 = s.view(T2);
    z = s.view(Z);
    st = s.view(state!);
    for (let b = 0; b < B; b++) {
      const r = b * GH;
      twiceCell(t2, b * P2, g1, iG < 0 ? -1 : r + iG * H, r + fG * H, r + cG * H, st, b * S + H, H);
      if (p !== undefined) {
        // o's pre-activation with its peephole on the new c: z_o + p_o ⊙ (t2 / 2)
        for (let j = 0; j < H; j++) t2[b * P2 + H + j] = z[r + oG * H + j]! + 0.5 * p[2 * H + j]! * t2[b * P2 + j]!;
      }
    }
    const S2 = s.sigmoid(T2);
    const out = s.output([1, B, R]);
    g1 = s.view(S1);
    t2 = s.view(T2);
    const g2 = s.view(S2);
    st = s.view(state!);
    const m = a.masked ? s.view(inputs.mask!) : undefined;
    const o = s.view(out);
    for (let b = 0; b < B; b++) {
      const r = b * GH;
      const w = b * R;
      // o: from the first sigmoid, or the second with peepholes
      const [og, oo] = p !== undefined ? [g2, b * P2 + H] : [g1, r + oG * H];
      writeState(o, w, st, b * S, t2, g2, b * P2, og, oo, m === undefined ? 1 : m[k * B + b]!, H, a.training);
      if (!a.training) continue;
      const acts = w + 3 * H;
      if (iG >= 0) o.set(g1.subarray(r + iG * H, r + iG * H + H), acts + iG * H);
      o.set(g1.subarray(r + fG * H, r + fG * H + H), acts + fG * H);
      twiceMinusOne(o, acts + cG * H, g1, r + cG * H, H);
      o.set(og.subarray(oo, oo + H), acts + oG * H);
    }
    return out;
  }),
};

/** The backward of one row of units (see kernel.ts): gate gradients, dc_{k−1} and keep into `o` at `z`. */
function gradRow(
  o: F32, z: number, GH: number, H: number, blocks: [number, number, number, number],
  rec: F32, acts: number, cp: F32, cpo: number, tcs: F32, to: number,
  dh: F32, dho: number, dhu: F32, cr: F32, keepM: number, p: F32 | undefined,
): void {
  const [iG, fG, cG, oG] = blocks;
  for (let j = 0; j < H; j++) {
    const dhTot = dh[dho + j]! + dhu[to + j]! + cr[z + GH + H + j]!;
    const dcCarry = cr[z + GH + j]!;
    const dhN = keepM * dhTot;
    const cPrev = cp[cpo + j]!;
    const f = rec[acts + fG * H + j]!;
    const i = iG < 0 ? 1 - f : rec[acts + iG * H + j]!;
    const cand = rec[acts + cG * H + j]!;
    const og = rec[acts + oG * H + j]!;
    const tc = 2 * tcs[to + j]! - 1;
    const dzo = dhN * tc * og * (1 - og);
    let dcN = keepM * dcCarry + dhN * og * (1 - tc * tc);
    if (p !== undefined) dcN += dzo * p[2 * H + j]!;
    const dzf = dcN * (iG < 0 ? cPrev - cand : cPrev) * f * (1 - f);
    let dcPrev = dcN * f;
    if (iG >= 0) {
      const dzi = dcN * cand * i * (1 - i);
      o[z + iG * H + j] = dzi;
      if (p !== undefined) dcPrev += dzi * p[j]!;
    }
    if (p !== undefined) dcPrev += dzf * p[H + j]!;
    o[z + fG * H + j] = dzf;
    o[z + cG * H + j] = dcN * i * (1 - cand * cand);
    o[z + oG * H + j] = dzo;
    o[z + GH + j] = dcPrev + (1 - keepM) * dcCarry;
    o[z + GH + H + j] = (1 - keepM) * dhTot;
  }
}

export const lstmCellGradWasm: tf.KernelConfig = {
  kernelName: LSTM_CELL_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => withScratch(backend, (s) => {
    const a = attrs as unknown as LstmCellGradAttrs;
    const { H, GH, B, S: R } = stepSizes(inputs);
    const CW = carryWidth(H, GH / H);
    const k = a.step;
    const { records, state0, dH, UT, carry } = inputs as Record<string, tf.TensorInfo>;

    const DHU = s.matMul(s.copyColumns(carry!, 0, B, CW, 0, GH), UT!); // [B, H]: dz_{k+1}·Uᵀ
    const C2 = s.alloc([B, H]);
    let rec = s.view(records!);
    const c2 = s.view(C2);
    for (let b = 0; b < B; b++) twice(c2, b * H, rec, (k * B + b) * R + 2 * H, H); // 2ĉn
    const TC = s.sigmoid(C2); // tanh(ĉn) = 2σ(2ĉn) − 1
    const out = s.output([1, B, CW]);
    rec = s.view(records!);
    const s0 = s.view(state0!);
    const dh = s.view(dH!);
    const dhu = s.view(DHU);
    const tcs = s.view(TC);
    const cr = s.view(carry!);
    const m = a.masked ? s.view(inputs.mask!) : undefined;
    const p = a.peephole ? s.view(inputs.peephole!) : undefined;
    const o = s.view(out);
    const blocks = gateBlocks(a.coupled);
    for (let b = 0; b < B; b++) {
      const w = (k * B + b) * R;
      // c_{k−1}: from h0 | c0 at the first step, else the previous record's carried c
      const [cp, cpo] = k === 0 ? [s0, b * 2 * H + H] : [rec, w - B * R + H];
      // the carry and the output share the row layout dz | dc | keep
      gradRow(o, b * CW, GH, H, blocks, rec, w + 3 * H, cp, cpo, tcs, b * H, dh, (k * B + b) * H, dhu, cr, m === undefined ? 1 : m[k * B + b]!, p);
    }
    return out;
  }),
};
