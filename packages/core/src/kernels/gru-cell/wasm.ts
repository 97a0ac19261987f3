/**
 * The GRU cell kernels on wasm, reset-after (`RecurrentGruCell`, `RecurrentGruCellGrad`) and
 * reset-before (`RecurrentGruRbCell`, `RecurrentGruRbCellGrad`) — see kernel.ts for the contracts.
 *
 * Reset-after forward: h·U on XNNPACK (the registered BatchMatMul), then one SIMD pass over the
 * rows (scripts/simd/gru.mjs, `gru_fwd_*`) that adds the step's input projection in place, applies
 * σ and tanh (σ by an exp polynomial; tanh as 2σ(2x) − 1) and the mask, and writes the record.
 * Backward: [da_z, da_r, dhh]·Uᵀ on XNNPACK, then one pass (`gru_bwd`; the record holds every
 * activation).
 *
 * Reset-before needs r of all units before the candidate's matMul, so its forward is two
 * matMuls: h·U_zr, a pass for z, r and r ⊙ h (`gru_rb_fwd1`), (r ⊙ h)·U_h, a pass for ĥ and the
 * record (`gru_rb_fwd2_*`). Backward: [da_z, da_r]·U_zrᵀ, a pass for da_z, da_h and the direct part
 * of e (`gru_rb_bwd1`), da_h·U_hᵀ, a pass for da_r and the rest of e (`gru_rb_bwd2`). The weight
 * blocks are copied once per weight, not per step (below). All passes read and write the tensors
 * in the wasm heap by byte offset.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { stepSizes } from '../cell-kernel.js';
import { withScratch, type Scratch } from '../wasm/scratch.js';
import { simdPass, variant } from '../wasm/simd/module.js';
import { TransposeCache } from '../wasm-overrides/transpose-cache.js';
import type { WasmBackendLike } from '../wasm-overrides/wasm-backend.js';
import { GRU_CELL, GRU_CELL_GRAD, GRU_RB_CELL, GRU_RB_CELL_GRAD, type GruCellAttrs, type GruCellGradAttrs } from './kernel.js';

/**
 * Reset-before's weight blocks, kept across steps by the weight's data id (as the transposed
 * weights of wasm-overrides/transpose-cache.ts, freed once their source is; `useWasmKernels`
 * clears them): U_zr [H, 2H] and U_h [H, H] out of U [H, 3H]; U_zrᵀ [2H, H] and U_hᵀ [H, H] out of
 * Uᵀ [3H, H]. Copied once per pass rather than per step, and XNNPACK keeps their packed weights
 * (by tensor id) between steps.
 */
export const zrBlocks = new TransposeCache();
export const hBlocks = new TransposeCache();

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

export const gruCellWasm: tf.KernelConfig = {
  kernelName: GRU_CELL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => withScratch(backend, (s) => {
    const a = attrs as unknown as GruCellAttrs;
    const { H, B, S } = stepSizes(inputs);
    const R = a.training ? 5 * H : H;
    const { xp, U, state, mask } = inputs as Record<string, tf.TensorInfo>;
    const pass = simdPass(backend, `gru_fwd_${variant(a.training)}`);
    const Z = s.matMul(s.firstColumns(state!, H), U!); // [B, 3H]: h·U
    const out = s.output([1, B, R]);
    pass(s.ptr(Z), s.stepAt(xp!, a.step), s.ptr(state!), S, ...s.maskAt(a.masked ? mask : undefined, a.step), s.ptr(out), R, B, H);
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
    const { records, state0, dH, UT, carry, mask } = inputs as Record<string, tf.TensorInfo>;
    const pass = simdPass(backend, 'gru_bwd');
    const DHU = s.matMul(s.firstColumns(carry!, 3 * H), UT!); // [B, H]: [da_z, da_r, dhh]_{k+1}·Uᵀ
    const out = s.output([1, B, 5 * H]);
    pass(
      s.stepAt(records!, k), R, ...s.stateBefore(records!, state0!, k, 0), s.stepAt(dH!, k), s.ptr(DHU), s.ptr(carry!),
      ...s.maskAt(a.masked ? mask : undefined, k), s.ptr(out), B, H,
    );
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
    const { xp, U, state, mask } = inputs as Record<string, tf.TensorInfo>;
    const Uzr = columnsOf(zrBlocks, U!, 0, 2 * H, backend, s);
    const Uh = columnsOf(hBlocks, U!, 2 * H, H, backend, s);
    const Z = s.matMul(s.firstColumns(state!, H), Uzr); // [B, 2H]: h·U_zr
    const out = s.output([1, B, R]);
    // z | r straight into the training record (columns H…), else into a temporary
    const [g, GS] = a.training ? [s.ptr(out) + 4 * H, R] : [s.ptr(s.alloc([B, 2 * H])), 2 * H];
    const RH = s.alloc([B, H]);
    const x = s.stepAt(xp!, a.step);
    simdPass(backend, 'gru_rb_fwd1')(s.ptr(Z), x, s.ptr(state!), S, g, GS, s.ptr(RH), B, H);
    const Q = s.matMul(RH, Uh); // [B, H]: (r ⊙ h)·U_h
    simdPass(backend, `gru_rb_fwd2_${variant(a.training)}`)(s.ptr(Q), x, s.ptr(state!), S, g, GS, ...s.maskAt(a.masked ? mask : undefined, a.step), s.ptr(out), R, B, H);
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
    const { records, state0, dH, UT, carry, mask } = inputs as Record<string, tf.TensorInfo>;
    const UzrT = rowsOf(zrBlocks, UT!, 0, 2 * H, backend, s);
    const UhT = rowsOf(hBlocks, UT!, 2 * H, H, backend, s);
    const DHU = s.matMul(s.firstColumns(carry!, 2 * H), UzrT); // [B, H]: [da_z, da_r]_{k+1}·U_zrᵀ
    const DAH = s.alloc([B, H]);
    const out = s.output([1, B, 4 * H]);
    const rec = s.stepAt(records!, k);
    const hPrev = s.stateBefore(records!, state0!, k, 0);
    simdPass(backend, 'gru_rb_bwd1')(
      rec, R, ...hPrev, s.stepAt(dH!, k), s.ptr(DHU), s.ptr(carry!),
      ...s.maskAt(a.masked ? mask : undefined, k), s.ptr(out), s.ptr(DAH), B, H,
    );
    const DQ = s.matMul(DAH, UhT); // [B, H]: da_h·U_hᵀ
    simdPass(backend, 'gru_rb_bwd2')(rec, R, ...hPrev, s.ptr(DQ), s.ptr(out), B, H);
    return out;
  }),
};
