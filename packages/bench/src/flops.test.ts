/**
 * FLOP counting against values computed by hand (in the comments), so a change of convention
 * cannot slip in unnoticed. Pure arithmetic: runs in Node and in the browser project alike.
 */
import { describe, expect, it } from 'vitest';
import { countFlops, gateCount, matMulFlops, matMulLimit, matMulShapes, pointwisePerUnit, tokenFlops } from './flops.js';
import type { Cell, Shape } from './types.js';

const reference: Shape = { batch: 32, time: 64, inputs: 64, hidden: 256, classes: 64 };

describe('tokenFlops', () => {
  it('LSTM at I 64, H 256', () => {
    // input 2·64·(4·256) = 131,072; recurrent 2·256·1024 = 524,288; pointwise 17·256 = 4,352
    expect(tokenFlops('lstm', 64, 256)).toEqual({ inputMatMul: 131_072, recurrentMatMul: 524_288, pointwise: 4_352 });
  });

  it('GRU at I 3, H 2', () => {
    // input 2·3·(3·2) = 36; recurrent 2·2·6 = 24; pointwise 14·2 = 28
    expect(tokenFlops('gru', 3, 2)).toEqual({ inputMatMul: 36, recurrentMatMul: 24, pointwise: 28 });
  });

  it('simple RNN at I 10, H 20', () => {
    // input 2·10·20 = 400; recurrent 2·20·20 = 800; pointwise 3·20 = 60
    expect(tokenFlops('rnn', 10, 20)).toEqual({ inputMatMul: 400, recurrentMatMul: 800, pointwise: 60 });
  });
});

describe('countFlops', () => {
  it('LSTM training step at the reference shape (B 32, T 64, I 64, H 256, 64 classes)', () => {
    // tokens 32·64 = 2,048; training 3× forward:
    // input 3·2048·131,072 = 805,306,368; recurrent 3·2048·524,288 = 3,221,225,472;
    // pointwise 3·2048·4,352 = 26,738,688; head 3·2048·2·256·64 = 201,326,592;
    // total 4,254,597,120
    expect(countFlops('lstm', 'training', reference)).toEqual({
      tokens: 2048,
      inputMatMul: 805_306_368,
      recurrentMatMul: 3_221_225_472,
      pointwise: 26_738_688,
      head: 201_326_592,
      total: 4_254_597_120,
    });
  });

  it('GRU forward over one token has no factor and no head', () => {
    // B 1, T 1: 36 + 24 + 28 = 88 (classes are ignored outside training)
    const f = countFlops('gru', 'inference', { batch: 1, time: 1, inputs: 3, hidden: 2, classes: 1000 });
    expect(f).toEqual({ tokens: 1, inputMatMul: 36, recurrentMatMul: 24, pointwise: 28, head: 0, total: 88 });
  });

  it('generation counts one step of B sequences, whatever T is', () => {
    // I 1, H 1: 2 + 2 + 3 = 7 per token; B 5 → 35
    expect(countFlops('rnn', 'generation', { batch: 5, time: 100, inputs: 1, hidden: 1, classes: 3 }).total).toBe(35);
  });

  it('inference is a third of training without the head', () => {
    for (const cell of ['lstm', 'gru', 'rnn'] as Cell[]) {
      const t = countFlops(cell, 'training', reference);
      const i = countFlops(cell, 'inference', reference);
      expect(t.total - t.head).toBe(3 * i.total);
    }
  });
});

describe('gates and pointwise', () => {
  it('G is 4, 3, 1 and the pointwise counts are 17, 14, 3', () => {
    expect((['lstm', 'gru', 'rnn'] as Cell[]).map(gateCount)).toEqual([4, 3, 1]);
    expect((['lstm', 'gru', 'rnn'] as Cell[]).map(pointwisePerUnit)).toEqual([17, 14, 3]);
  });

  it('rejects an unknown cell by name', () => {
    expect(() => gateCount('elman' as Cell)).toThrow(/unknown cell "elman"/);
  });
});

describe('matMul shapes and limit', () => {
  it('[B, H] × [H, G·H] and [B·T, I] × [I, G·H]; B rows in generation', () => {
    const s: Shape = { batch: 4, time: 10, inputs: 3, hidden: 8, classes: 2 };
    expect(matMulShapes('lstm', 'training', s)).toEqual({ recurrent: [4, 8, 32], input: [40, 3, 32] });
    expect(matMulShapes('gru', 'generation', s)).toEqual({ recurrent: [4, 8, 24], input: [4, 3, 24] });
    // 2·4·8·32 = 2,048
    expect(matMulFlops([4, 8, 32])).toBe(2048);
  });

  it('the limit is the FLOP-weighted harmonic mean of the two rates', () => {
    // 100 FLOPs at 10 GFLOP/s take 10 units, 300 at 30 take 10: 400 / 20 = 20 GFLOP/s
    expect(matMulLimit({ inputMatMul: 100, recurrentMatMul: 300 }, 10, 30)).toBe(20);
    expect(matMulLimit({ inputMatMul: 0, recurrentMatMul: 0 }, 10, 30)).toBe(0);
  });
});
