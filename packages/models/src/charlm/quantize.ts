/**
 * Weight encodings of the character model file, on the host (no tensors, no Node: browser-safe).
 *
 * - float16: IEEE 754 binary16, round to nearest even (|relative error| ≤ 2⁻¹¹ in the normal
 *   range), subnormals kept, overflow to ±∞.
 * - int8: symmetric, one scale per output column of a [rows, cols] matrix:
 *   s_j = max_i |w_ij| / 127,  q_ij = round(w_ij / s_j) ∈ [−127, 127],  ŵ_ij = q_ij · s_j,
 *   so |w_ij − ŵ_ij| ≤ s_j / 2. Columns are the gate units (LSTM [I, 4H]) or the characters (head).
 * - fnv1a32: the 32-bit FNV-1a hash (core's, as hex), the file's content checksum (detects
 *   truncation and corruption, not tampering).
 */
import { fnv1a } from '@recurrent/core';

export const DTYPES = ['float32', 'float16', 'int8'] as const;
export type WeightDtype = (typeof DTYPES)[number];

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bits of `x`, rounded to nearest even. */
export function toFloat16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0); // ∞ or NaN (quiet)
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → ∞
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0
    mant |= 0x800000; // the implicit 1
    const shift = 14 - e; // 24-bit significand → 10-bit subnormal field
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && (m & 1) === 1)) m++;
    return sign | m; // a carry into the exponent field gives the smallest normal, correctly
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // a carry may round up to ∞: correct
  return h;
}

/** The number that binary16 bits `h` stand for. */
export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Per-column int8 quantisation of a row-major [rows, cols] matrix. */
export function quantizeInt8(values: Float32Array, cols: number): { scales: Float32Array; q: Int8Array } {
  if (cols < 1 || values.length % cols !== 0) throw new Error(`quantizeInt8: ${values.length} values do not form rows of ${cols} columns`);
  const scales = new Float32Array(cols);
  for (let i = 0; i < values.length; i++) {
    const j = i % cols;
    scales[j] = Math.max(scales[j]!, Math.abs(values[i]!));
  }
  for (let j = 0; j < cols; j++) scales[j] = scales[j]! / 127;
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const s = scales[i % cols]!;
    q[i] = s === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(values[i]! / s)));
  }
  return { scales, q };
}

/** ŵ_ij = q_ij · s_j. */
export function dequantizeInt8(q: Int8Array, scales: Float32Array): Float32Array {
  const cols = scales.length;
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = q[i]! * scales[i % cols]!;
  return out;
}

/** 32-bit FNV-1a of `bytes` (core's `fnv1a`, the checkpoints' checksum too), as 8 hex digits. */
export function fnv1a32(bytes: Uint8Array): string {
  return fnv1a(bytes).toString(16).padStart(8, '0');
}
