/**
 * `RecurrentRnnCell` and `RecurrentRnnCellGrad` on wasm — see kernel.ts for the contract.
 *
 * Forward: h·U on XNNPACK; one pass adds the step's input projection (read in place): for ReLU
 * it applies max(·, 0) and writes the record, for tanh it doubles the sum and a SIMD sigmoid gives
 * tanh(a) = 2σ(2a) − 1 (wasm's own `Tanh` costs ~15× a sigmoid per element) before the record's
 * pass. Backward: da_{k+1}·Uᵀ on XNNPACK, then one pass. The passes are small functions over flat
 * views with offsets, as in lstm-cell/wasm.ts.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { stepSizes } from '../cell-kernel.js';
import { withScratch } from '../wasm/scratch.js';
import { RNN_CELL, RNN_CELL_GRAD, type RnnCellAttrs, type RnnCellGradAttrs } from './kernel.js';

type F32 = Float32Array;

/** z[zo + j] = 2·(z[zo + j] + x[xo + j]). */
function twiceSum(z: F32, zo: number, x: F32, xo: number, n: number): void {
  for (let j = 0; j < n; j++) z[zo + j] = 2 * (z[zo + j]! + x[xo + j]!);
}

/** The record of one row from tanh = 2σ − 1 of `g`: h (masked by `keep`) at out[w], hn at out[wn] when wn ≥ 0. */
function writeTanh(out: F32, w: number, wn: number, st: F32, so: number, g: F32, go: number, keep: number, n: number): void {
  for (let j = 0; j < n; j++) {
    const hn = 2 * g[go + j]! - 1;
    const hp = st[so + j]!;
    out[w + j] = hp + keep * (hn - hp);
    if (wn >= 0) out[wn + j] = hn;
  }
}

/** The record of one row with ReLU of z + x: h (masked by `keep`) at out[w], hn at out[wn] when wn ≥ 0. */
function writeRelu(out: F32, w: number, wn: number, st: F32, so: number, z: F32, zo: number, x: F32, xo: number, keep: number, n: number): void {
  for (let j = 0; j < n; j++) {
    const hn = Math.max(z[zo + j]! + x[xo + j]!, 0);
    const hp = st[so + j]!;
    out[w + j] = hp + keep * (hn - hp);
    if (wn >= 0) out[wn + j] = hn;
  }
}

/** da | keep of one row at o[w]; φ' from hn = rec[at + j] (tanh: 1 − hn², ReLU: hn > 0). */
function gradRow(o: F32, w: number, rec: F32, at: number, dh: F32, dho: number, dhu: F32, uo: number, cr: F32, co: number, m: number, relu: boolean, n: number): void {
  for (let j = 0; j < n; j++) {
    const dhTot = dh[dho + j]! + dhu[uo + j]! + cr[co + n + j]!;
    const hn = rec[at + j]!;
    const dPhi = relu ? (hn > 0 ? 1 : 0) : 1 - hn * hn;
    o[w + j] = m * dhTot * dPhi;
    o[w + n + j] = (1 - m) * dhTot;
  }
}

export const rnnCellWasm: tf.KernelConfig = {
  kernelName: RNN_CELL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => withScratch(backend, (s) => {
    const a = attrs as unknown as RnnCellAttrs;
    const { H, B, S } = stepSizes(inputs);
    const R = a.training ? 2 * H : H;
    const k = a.step;
    const { xp, U, state } = inputs as Record<string, tf.TensorInfo>;

    const Z = s.matMul(s.copyColumns(state!, 0, B, S, 0, H), U!); // [B, H]: h·U
    const relu = a.activation === 'relu';
    let G = Z;
    if (!relu) {
      const z = s.view(Z);
      const x = s.view(xp!);
      for (let b = 0; b < B; b++) twiceSum(z, b * H, x, (k * B + b) * H, H);
      G = s.sigmoid(Z);
    }
    const out = s.output([1, B, R]);
    const o = s.view(out);
    const st = s.view(state!);
    const g = s.view(G);
    const x = s.view(xp!);
    const m = a.masked ? s.view(inputs.mask!) : undefined;
    for (let b = 0; b < B; b++) {
      const w = b * R;
      const keep = m === undefined ? 1 : m[k * B + b]!;
      const wn = a.training ? w + H : -1;
      if (relu) writeRelu(o, w, wn, st, b * S, g, b * H, x, (k * B + b) * H, keep, H);
      else writeTanh(o, w, wn, st, b * S, g, b * H, keep, H);
    }
    return out;
  }),
};

export const rnnCellGradWasm: tf.KernelConfig = {
  kernelName: RNN_CELL_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => withScratch(backend, (s) => {
    const a = attrs as unknown as RnnCellGradAttrs;
    const { H, B, S: R } = stepSizes(inputs);
    const k = a.step;
    const { records, dH, UT, carry } = inputs as Record<string, tf.TensorInfo>;

    const DHU = s.matMul(s.copyColumns(carry!, 0, B, 2 * H, 0, H), UT!); // [B, H]: da_{k+1}·Uᵀ
    const out = s.output([1, B, 2 * H]);
    const o = s.view(out);
    const rec = s.view(records!);
    const dh = s.view(dH!);
    const dhu = s.view(DHU);
    const cr = s.view(carry!);
    const m = a.masked ? s.view(inputs.mask!) : undefined;
    const relu = a.activation === 'relu';
    for (let b = 0; b < B; b++) {
      gradRow(o, b * 2 * H, rec, (k * B + b) * R + H, dh, (k * B + b) * H, dhu, b * H, cr, b * 2 * H, m === undefined ? 1 : m[k * B + b]!, relu, H);
    }
    return out;
  }),
};
