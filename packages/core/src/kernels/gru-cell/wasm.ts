/**
 * The GRU cell kernels on wasm, reset-after (`RecurrentGruCell`, `RecurrentGruCellGrad`) and
 * reset-before (`RecurrentGruRbCell`, `RecurrentGruRbCellGrad`) — see kernel.ts for the contracts.
 *
 * Reset-after forward: h·U on XNNPACK; a pass adds the step's input projection (read in place)
 * to z and r and forms hh; a SIMD sigmoid gives z and r; a pass writes 2(xp_h + r ⊙ hh); a second
 * sigmoid gives ĥ = 2σ − 1; a last pass writes the record. Backward: [da_z, da_r, dhh]·Uᵀ on
 * XNNPACK, then one pass (the record holds every activation).
 *
 * Reset-before needs r of all units before the candidate's matMul, so its forward is two
 * matMuls: h·U_zr, then (r ⊙ h)·U_h. Backward: [da_z, da_r]·U_zrᵀ, a pass for da_z, da_h and the
 * direct part of e, da_h·U_hᵀ, a pass for da_r and the rest of e. The weight blocks are copied
 * once per weight, not per step (below).
 *
 * tanh is 2σ(2x) − 1 through the sigmoid (wasm's own `Tanh` costs ~15× a sigmoid per element);
 * the passes are small functions over flat views with offsets, as in lstm-cell/wasm.ts.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { stepSizes } from '../cell-kernel.js';
import { withScratch, type Scratch } from '../wasm/scratch.js';
import { TransposeCache } from '../wasm-overrides/transpose-cache.js';
import type { WasmBackendLike } from '../wasm-overrides/wasm-backend.js';
import { GRU_CELL, GRU_CELL_GRAD, GRU_RB_CELL, GRU_RB_CELL_GRAD, type GruCellAttrs, type GruCellGradAttrs } from './kernel.js';

type F32 = Float32Array;

/**
 * Reset-before's weight blocks, kept across steps by the weight's data id (as the transposed
 * weights of wasm-overrides/transpose-cache.ts, freed once their source is): U_zr [H, 2H] and
 * U_h [H, H] out of U [H, 3H]; U_zrᵀ [2H, H] and U_hᵀ [H, H] out of Uᵀ [3H, H]. Copied once per
 * pass rather than per step, and XNNPACK keeps their packed weights (by tensor id) between steps.
 */
const zrBlocks = new TransposeCache();
const hBlocks = new TransposeCache();

/** Columns [from, from + width) of the weight `U` [H, 3H], cached. */
function columnsOf(cache: TransposeCache, U: tf.TensorInfo, from: number, width: number, backend: unknown, s: Scratch): tf.TensorInfo {
  const H = U.shape[0]!;
  return cache.get(U, backend as WasmBackendLike, () => {
    const out = s.output([H, width]);
    const u = s.view(U);
    const o = s.view(out);
    for (let i = 0; i < H; i++) o.set(u.subarray(i * 3 * H + from, i * 3 * H + from + width), i * width);
    return out;
  });
}

/** Rows [from, from + count) of the weight `UT` [3H, H], cached. */
function rowsOf(cache: TransposeCache, UT: tf.TensorInfo, from: number, count: number, backend: unknown, s: Scratch): tf.TensorInfo {
  const H = UT.shape[1]!;
  return cache.get(UT, backend as WasmBackendLike, () => {
    const out = s.output([count, H]);
    s.view(out).set(s.view(UT).subarray(from * H, (from + count) * H));
    return out;
  });
}

/** a[ao + j] = z[zo + j] + x[xo + j], j < n. */
function sumInto(a: F32, ao: number, z: F32, zo: number, x: F32, xo: number, n: number): void {
  for (let j = 0; j < n; j++) a[ao + j] = z[zo + j]! + x[xo + j]!;
}

/** c[co + j] = 2·(x[xo + j] + q[qo + j]). */
function twiceSum(c: F32, co: number, x: F32, xo: number, q: F32, qo: number, n: number): void {
  for (let j = 0; j < n; j++) c[co + j] = 2 * (x[xo + j]! + q[qo + j]!);
}

/** c[co + j] = 2·(x[xo + j] + r[ro + j]·q[qo + j]): twice the candidate's pre-activation. */
function twiceCandidate(c: F32, co: number, x: F32, xo: number, r: F32, ro: number, q: F32, qo: number, n: number): void {
  for (let j = 0; j < n; j++) c[co + j] = 2 * (x[xo + j]! + r[ro + j]! * q[qo + j]!);
}

/** h = z·hp + (1 − z)·ĥ (ĥ = 2σ − 1 from `sc`), masked by `keep`, at out[w]; ĥ also at out[wc] when wc ≥ 0. */
function writeH(out: F32, w: number, wc: number, st: F32, so: number, g: F32, zo: number, sc: F32, co: number, keep: number, n: number): void {
  for (let j = 0; j < n; j++) {
    const hp = st[so + j]!;
    const z = g[zo + j]!;
    const cand = 2 * sc[co + j]! - 1;
    out[w + j] = hp + keep * (z * hp + (1 - z) * cand - hp);
    if (wc >= 0) out[wc + j] = cand;
  }
}

/** dst[d + j] = r[ro + j]·h[ho + j]. */
function product(dst: F32, d: number, r: F32, ro: number, h: F32, ho: number, n: number): void {
  for (let j = 0; j < n; j++) dst[d + j] = r[ro + j]! * h[ho + j]!;
}

/** The reset-after backward of one row into `o` at `w` (layout da_z | da_r | dhh | keep | da_h). */
function gradRowAfter(o: F32, w: number, rec: F32, at: number, hp: F32, hpo: number, dh: F32, dho: number, dhu: F32, uo: number, cr: F32, co: number, m: number, n: number): void {
  for (let j = 0; j < n; j++) {
    const dhTot = dh[dho + j]! + dhu[uo + j]! + cr[co + 3 * n + j]!;
    const dhN = m * dhTot;
    const z = rec[at + n + j]!;
    const r = rec[at + 2 * n + j]!;
    const cand = rec[at + 3 * n + j]!;
    const hh = rec[at + 4 * n + j]!;
    const dah = dhN * (1 - z) * (1 - cand * cand);
    o[w + j] = dhN * (hp[hpo + j]! - cand) * z * (1 - z);
    o[w + n + j] = dah * hh * r * (1 - r);
    o[w + 2 * n + j] = dah * r;
    o[w + 3 * n + j] = dhN * z + (1 - m) * dhTot;
    o[w + 4 * n + j] = dah;
  }
}

/** Reset-before backward, first pass of one row: da_z, da_h (also into dah at `ao`) and e without dq ⊙ r. */
function gradRowBefore(o: F32, w: number, dahOut: F32, ao: number, rec: F32, at: number, hp: F32, hpo: number, dh: F32, dho: number, dhu: F32, uo: number, cr: F32, co: number, m: number, n: number): void {
  for (let j = 0; j < n; j++) {
    const dhTot = dh[dho + j]! + dhu[uo + j]! + cr[co + 2 * n + j]!;
    const dhN = m * dhTot;
    const z = rec[at + n + j]!;
    const cand = rec[at + 3 * n + j]!;
    const dah = dhN * (1 - z) * (1 - cand * cand);
    o[w + j] = dhN * (hp[hpo + j]! - cand) * z * (1 - z);
    o[w + 2 * n + j] = dhN * z + (1 - m) * dhTot;
    o[w + 3 * n + j] = dah;
    dahOut[ao + j] = dah;
  }
}

/** Reset-before backward, second pass of one row: da_r = dq ⊙ h r(1 − r), e += dq ⊙ r. */
function gradRowReset(o: F32, w: number, rec: F32, at: number, hp: F32, hpo: number, dq: F32, qo: number, n: number): void {
  for (let j = 0; j < n; j++) {
    const r = rec[at + 2 * n + j]!;
    const q = dq[qo + j]!;
    o[w + n + j] = q * hp[hpo + j]! * r * (1 - r);
    o[w + 2 * n + j] = o[w + 2 * n + j]! + q * r;
  }
}

/** h_{k−1} of row b for the backward: h0 at the first step, else the previous record's h. */
function prevRow(k: number, b: number, B: number, R: number, H: number, rec: F32, s0: F32): [F32, number] {
  return k === 0 ? [s0, b * H] : [rec, ((k - 1) * B + b) * R];
}

export const gruCellWasm: tf.KernelConfig = {
  kernelName: GRU_CELL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => withScratch(backend, (s) => {
    const a = attrs as unknown as GruCellAttrs;
    const { H, B, S } = stepSizes(inputs);
    const R = a.training ? 5 * H : H;
    const k = a.step;
    const { xp, U, state } = inputs as Record<string, tf.TensorInfo>;

    const Z = s.matMul(s.copyColumns(state!, 0, B, S, 0, H), U!); // [B, 3H]: h·U
    const A = s.alloc([B, 2 * H]);
    let z = s.view(Z);
    let x = s.view(xp!);
    const av = s.view(A);
    for (let b = 0; b < B; b++) {
      const xo = (k * B + b) * 4 * H;
      sumInto(av, b * 2 * H, z, b * 3 * H, x, xo, 2 * H); // a_z | a_r
      sumInto(z, b * 3 * H + 2 * H, z, b * 3 * H + 2 * H, x, xo + 3 * H, H); // hh = h U_h + b_hh, in place
    }
    const G = s.sigmoid(A); // z | r
    const C = s.alloc([B, H]);
    let g = s.view(G);
    z = s.view(Z);
    x = s.view(xp!);
    const c = s.view(C);
    for (let b = 0; b < B; b++) twiceCandidate(c, b * H, x, (k * B + b) * 4 * H + 2 * H, g, b * 2 * H + H, z, b * 3 * H + 2 * H, H);
    const SC = s.sigmoid(C); // ĥ = 2σ − 1
    const out = s.output([1, B, R]);
    const o = s.view(out);
    const st = s.view(state!);
    const sc = s.view(SC);
    g = s.view(G);
    z = s.view(Z);
    const m = a.masked ? s.view(inputs.mask!) : undefined;
    for (let b = 0; b < B; b++) {
      const w = b * R;
      writeH(o, w, a.training ? w + 3 * H : -1, st, b * S, g, b * 2 * H, sc, b * H, m === undefined ? 1 : m[k * B + b]!, H);
      if (!a.training) continue;
      o.set(g.subarray(b * 2 * H, b * 2 * H + 2 * H), w + H); // z | r
      o.set(z.subarray(b * 3 * H + 2 * H, b * 3 * H + 3 * H), w + 4 * H); // hh
    }
    return out;
  }),
};

export const gruCellGradWasm: tf.KernelConfig = {
  kernelName: GRU_CELL_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => withScratch(backend, (s) => {
    const a = attrs as unknown as GruCellGradAttrs;
    const { H, B, S: R } = stepSizes(inputs);
    const k = a.step;
    const { records, state0, dH, UT, carry } = inputs as Record<string, tf.TensorInfo>;

    const DHU = s.matMul(s.copyColumns(carry!, 0, B, 5 * H, 0, 3 * H), UT!); // [B, H]: [da_z, da_r, dhh]_{k+1}·Uᵀ
    const out = s.output([1, B, 5 * H]);
    const o = s.view(out);
    const rec = s.view(records!);
    const s0 = s.view(state0!);
    const dh = s.view(dH!);
    const dhu = s.view(DHU);
    const cr = s.view(carry!);
    const m = a.masked ? s.view(inputs.mask!) : undefined;
    for (let b = 0; b < B; b++) {
      const [hp, hpo] = prevRow(k, b, B, R, H, rec, s0);
      gradRowAfter(o, b * 5 * H, rec, (k * B + b) * R, hp, hpo, dh, (k * B + b) * H, dhu, b * H, cr, b * 5 * H, m === undefined ? 1 : m[k * B + b]!, H);
    }
    return out;
  }),
};

export const gruRbCellWasm: tf.KernelConfig = {
  kernelName: GRU_RB_CELL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => withScratch(backend, (s) => {
    const a = attrs as unknown as GruCellAttrs;
    const { H, B, S } = stepSizes(inputs);
    const R = a.training ? 4 * H : H;
    const k = a.step;
    const { xp, U, state } = inputs as Record<string, tf.TensorInfo>;

    const Uzr = columnsOf(zrBlocks, U!, 0, 2 * H, backend, s);
    const Uh = columnsOf(hBlocks, U!, 2 * H, H, backend, s);
    const Z = s.matMul(s.copyColumns(state!, 0, B, S, 0, H), Uzr); // [B, 2H]: h·U_zr
    const A = s.alloc([B, 2 * H]);
    const z = s.view(Z);
    let x = s.view(xp!);
    const av = s.view(A);
    for (let b = 0; b < B; b++) sumInto(av, b * 2 * H, z, b * 2 * H, x, (k * B + b) * 3 * H, 2 * H);
    const G = s.sigmoid(A); // z | r
    const RH = s.alloc([B, H]);
    let g = s.view(G);
    let st = s.view(state!);
    const rh = s.view(RH);
    for (let b = 0; b < B; b++) product(rh, b * H, g, b * 2 * H + H, st, b * S, H);
    const Q = s.matMul(RH, Uh); // [B, H]: (r ⊙ h)·U_h
    const C = s.alloc([B, H]);
    const c = s.view(C);
    x = s.view(xp!);
    const q = s.view(Q);
    for (let b = 0; b < B; b++) twiceSum(c, b * H, x, (k * B + b) * 3 * H + 2 * H, q, b * H, H); // 2(xp_h + (r ⊙ h)·U_h)
    const SC = s.sigmoid(C);
    const out = s.output([1, B, R]);
    const o = s.view(out);
    const sc = s.view(SC);
    st = s.view(state!);
    g = s.view(G);
    const m = a.masked ? s.view(inputs.mask!) : undefined;
    for (let b = 0; b < B; b++) {
      const w = b * R;
      writeH(o, w, a.training ? w + 3 * H : -1, st, b * S, g, b * 2 * H, sc, b * H, m === undefined ? 1 : m[k * B + b]!, H);
      if (a.training) o.set(g.subarray(b * 2 * H, b * 2 * H + 2 * H), w + H); // z | r
    }
    return out;
  }),
};

export const gruRbCellGradWasm: tf.KernelConfig = {
  kernelName: GRU_RB_CELL_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => withScratch(backend, (s) => {
    const a = attrs as unknown as GruCellGradAttrs;
    const { H, B, S: R } = stepSizes(inputs);
    const k = a.step;
    const { records, state0, dH, UT, carry } = inputs as Record<string, tf.TensorInfo>;

    const UzrT = rowsOf(zrBlocks, UT!, 0, 2 * H, backend, s);
    const UhT = rowsOf(hBlocks, UT!, 2 * H, H, backend, s);
    const DHU = s.matMul(s.copyColumns(carry!, 0, B, 4 * H, 0, 2 * H), UzrT); // [B, H]: [da_z, da_r]_{k+1}·U_zrᵀ
    const DAH = s.alloc([B, H]);
    const out = s.output([1, B, 4 * H]);
    let o = s.view(out);
    let rec = s.view(records!);
    let s0 = s.view(state0!);
    const dh = s.view(dH!);
    const dhu = s.view(DHU);
    const cr = s.view(carry!);
    const dah = s.view(DAH);
    const m = a.masked ? s.view(inputs.mask!) : undefined;
    for (let b = 0; b < B; b++) {
      const [hp, hpo] = prevRow(k, b, B, R, H, rec, s0);
      gradRowBefore(o, b * 4 * H, dah, b * H, rec, (k * B + b) * R, hp, hpo, dh, (k * B + b) * H, dhu, b * H, cr, b * 4 * H, m === undefined ? 1 : m[k * B + b]!, H);
    }
    const DQ = s.matMul(DAH, UhT); // [B, H]: da_h·U_hᵀ
    o = s.view(out);
    rec = s.view(records!);
    s0 = s.view(state0!);
    const dq = s.view(DQ);
    for (let b = 0; b < B; b++) {
      const [hp, hpo] = prevRow(k, b, B, R, H, rec, s0);
      gradRowReset(o, b * 4 * H, rec, (k * B + b) * R, hp, hpo, dq, b * H, H);
    }
    return out;
  }),
};
