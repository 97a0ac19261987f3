/**
 * The weight encodings against hand-computed values: binary16 bit patterns (IEEE 754 tables),
 * per-column int8 codes, and the published FNV-1a 32-bit test vectors.
 */
import { describe, expect, it } from 'vitest';
import { dequantizeInt8, fnv1a32, fromFloat16Bits, quantizeInt8, toFloat16Bits } from './quantize.js';

describe('float16', () => {
  it('encodes known values, rounding to nearest even', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff); // the largest finite half
    expect(toFloat16Bits(65520)).toBe(0x7c00); // halfway to 2¹⁶ rounds (to even) up to ∞
    expect(toFloat16Bits(0.1)).toBe(0x2e66); // 0.0999755859375
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001); // the smallest subnormal
    expect(toFloat16Bits(2 ** -25)).toBe(0x0000); // exactly half of it: ties to even (0)
    expect(toFloat16Bits(3 * 2 ** -26)).toBe(0x0001); // 0.75 of it rounds up
    expect(toFloat16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up into the smallest normal
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie, mantissa even: stays
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, mantissa odd: up
    expect(toFloat16Bits(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
  });

  it('decodes known bit patterns', () => {
    expect(fromFloat16Bits(0x3555)).toBe(0.333251953125);
    expect(fromFloat16Bits(0x0001)).toBe(2 ** -24);
    expect(fromFloat16Bits(0x7bff)).toBe(65504);
    expect(fromFloat16Bits(0x8000)).toBe(-0);
    expect(fromFloat16Bits(0x7c00)).toBe(Infinity);
  });

  it('round-trips within half an ulp: |x − x̂| ≤ 2⁻¹¹ |x| in the normal range', () => {
    for (let k = 0; k < 2000; k++) {
      const x = (Math.random() - 0.5) * 2 ** (Math.floor(Math.random() * 20) - 8);
      if (Math.abs(x) < 2 ** -14) continue;
      expect(Math.abs(fromFloat16Bits(toFloat16Bits(x)) - x)).toBeLessThanOrEqual(2 ** -11 * Math.abs(x));
    }
  });
});

describe('int8', () => {
  it('scales each column by its largest magnitude', () => {
    // columns: (0.5, −2) → s = 2/127; (−0.5, 0.1) → s = 0.5/127
    const { scales, q } = quantizeInt8(Float32Array.from([0.5, -0.5, -2, 0.1]), 2);
    expect(scales[0]).toBeCloseTo(2 / 127, 7);
    expect(scales[1]).toBeCloseTo(0.5 / 127, 7);
    // 0.5 / (2/127) = 31.75 → 32; −2 → −127; −0.5 → −127; 0.1 / (0.5/127) = 25.4 → 25
    expect(Array.from(q)).toEqual([32, -127, -127, 25]);
  });

  it('dequantises within half a step, and an all-zero column stays zero', () => {
    const cols = 7;
    const w = Float32Array.from({ length: 70 }, (_, i) => (i % cols === 3 ? 0 : Math.sin(i * 1.7) * (1 + (i % cols))));
    const { scales, q } = quantizeInt8(w, cols);
    const back = dequantizeInt8(q, scales);
    w.forEach((v, i) => expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(scales[i % cols]! / 2 + 1e-7));
    expect(scales[3]).toBe(0);
    expect(back.filter((_, i) => i % cols === 3).every((v) => v === 0)).toBe(true);
  });

  it('refuses values that do not form whole rows', () => {
    expect(() => quantizeInt8(new Float32Array(5), 2)).toThrow(/5 values do not form rows of 2 columns/);
  });
});

describe('fnv1a32', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  it('matches the published test vectors', () => {
    expect(fnv1a32(bytes(''))).toBe('811c9dc5');
    expect(fnv1a32(bytes('a'))).toBe('e40c292c');
    expect(fnv1a32(bytes('foobar'))).toBe('bf9cf968');
  });
});
