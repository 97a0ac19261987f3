/**
 * Checks the float64 reference recurrences against values computed by hand (scalar arithmetic in
 * python3, float64, derivations in the comments) and against exact algebraic identities, so the
 * oracle the tfjs ops are judged by is itself judged by something independent.
 * Masking, reverse and batching properties are in reference-properties.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  fromNested,
  mat,
  maxAbsDiff,
  referenceGru,
  referenceLstm,
  referenceSimpleRnn,
  type Mat,
} from './reference.js';
import { mulberry32, randomMat } from './random.js';

/** |got − want| ≤ tol elementwise, reporting the whole vectors on failure. */
function expectValues(got: Mat, want: readonly number[], tol = 1e-14): void {
  const g = Array.from(got.data);
  expect(g.length, `length of ${JSON.stringify(g)}`).toBe(want.length);
  const worst = Math.max(0, ...g.map((v, k) => Math.abs(v - (want[k] ?? Number.NaN))));
  expect(worst, `got ${JSON.stringify(g)}, want ${JSON.stringify(want)}`).toBeLessThanOrEqual(tol);
}

/** x of shape [1, T, 1] from a list of scalars. */
const scalarSeq = (xs: readonly number[]): Mat => fromNested([xs.map((v) => [v])]);
const scalar2d = (v: number): Mat => fromNested([[v]]);

// Shared 1-unit LSTM weights (I = H = 1), gate blocks i, f, c, o:
//   W = [0.5, -0.3, 0.8, 0.2], U = [0.1, 0.4, -0.6, 0.7], b = [0.05, 0.3, -0.1, 0.2]
const lstmW = fromNested([[0.5, -0.3, 0.8, 0.2]]);
const lstmU = fromNested([[0.1, 0.4, -0.6, 0.7]]);
const lstmB = fromNested([0.05, 0.3, -0.1, 0.2]);

describe('referenceLstm: hand-computed values', () => {
  it('plain, 1 unit, 2 steps, x = [1, -2], h0 = 0.2, c0 = -0.4', () => {
    // t=0: a = x·W + h0·U + b = [0.57, 0.08, 0.58, 0.54]
    //      i = σ(0.57) = 0.6387631751488418, f = σ(0.08) = 0.5199893401555818,
    //      ĉ = tanh(0.58) = 0.5226654296858209, o = σ(0.54) = 0.6318124177361016
    //      c1 = f·(-0.4) + i·ĉ = 0.12586369334441588, h1 = o·tanh(c1) = 0.07910496664893787
    // t=1: a = -2·W + h1·U + b = [-0.94209, 0.93164, -1.74746, -0.14463]
    //      i = 0.2804784659393738, f = 0.7174082902193668, ĉ = -0.9410861043020986,
    //      o = 0.4639062611289395
    //      c2 = f·c1 + i·ĉ = -0.17365872980860209, h2 = o·tanh(c2) = -0.07976118401165674
    const out = referenceLstm(
      scalarSeq([1, -2]),
      { kernel: lstmW, recurrentKernel: lstmU, bias: lstmB },
      { h0: scalar2d(0.2), c0: scalar2d(-0.4) },
    );
    expect(out.sequence.shape).toEqual([1, 2, 1]);
    expectValues(out.sequence, [0.07910496664893787, -0.07976118401165674]);
    expectValues(out.h, [-0.07976118401165674]);
    expectValues(out.c, [-0.17365872980860209]);
  });

  it('peepholes: p_i, p_f see c_{t-1} and p_o sees c_t', () => {
    // Same W, U, b; p = {i: 0.3, f: -0.5, o: 0.9}; h0 = -0.1, c0 = 0.5; x = [1, -2].
    // t=0: a = [0.54, -0.04, 0.76, 0.33]
    //      i = σ(0.54 + 0.3·0.5) = 0.6659669267518202, f = σ(-0.04 - 0.5·0.5) = 0.42800386706848137
    //      ĉ = tanh(0.76) = 0.6410769611853465, c1 = f·0.5 + i·ĉ = 0.6409379871862418
    //      o = σ(0.33 + 0.9·c1) = 0.712353952262532, h1 = o·tanh(c1) = 0.4028631433408596
    // t=1: i = 0.3279586606882277, f = 0.6771437187953372, ĉ = -0.959670000402757
    //      c2 = 0.11927504412573087, o = σ(0.0820042 + 0.9·c2) = 0.5471970021118411
    //      h2 = 0.0649591902513955
    const out = referenceLstm(
      scalarSeq([1, -2]),
      {
        kernel: lstmW,
        recurrentKernel: lstmU,
        bias: lstmB,
        peephole: { i: fromNested([0.3]), f: fromNested([-0.5]), o: fromNested([0.9]) },
      },
      { h0: scalar2d(-0.1), c0: scalar2d(0.5) },
    );
    expectValues(out.sequence, [0.4028631433408596, 0.0649591902513955]);
    expectValues(out.c, [0.11927504412573087]);
  });

  it('coupled with f/o peepholes: i = 1 - f, blocks f, c, o; a peephole i is ignored', () => {
    // Blocks f, c, o: W = [-0.3, 0.8, 0.2], U = [0.4, -0.6, 0.7], b = [0.3, -0.1, 0.2];
    // p_f = -0.5, p_o = 0.9; h0 = -0.1, c0 = 0.5; x = [1, -2].
    // t=0: f = σ(-0.04 - 0.25) = 0.42800386706848137, i = 1 - f = 0.5719961329315186
    //      ĉ = tanh(0.76) = 0.6410769611853465, c1 = 0.5806954762437482
    //      o = σ(0.33 + 0.9·c1) = 0.7011177006475581, h1 = 0.36680426105837255
    // t=1: f = 0.6805659654584607, ĉ = -0.9579241076284492, c2 = 0.08920801494282787
    //      o = 0.5342090208268444, h2 = 0.047529711563472195
    const params = {
      kernel: fromNested([[-0.3, 0.8, 0.2]]),
      recurrentKernel: fromNested([[0.4, -0.6, 0.7]]),
      bias: fromNested([0.3, -0.1, 0.2]),
    };
    const options = { h0: scalar2d(-0.1), c0: scalar2d(0.5), coupled: true };
    const peephole = { f: fromNested([-0.5]), o: fromNested([0.9]) };
    const out = referenceLstm(scalarSeq([1, -2]), { ...params, peephole }, options);
    expectValues(out.sequence, [0.36680426105837255, 0.047529711563472195]);
    expectValues(out.c, [0.08920801494282787]);
    // A peephole.i (here of a wrong length, even) has nothing to act on when coupled.
    const withI = referenceLstm(
      scalarSeq([1, -2]),
      { ...params, peephole: { ...peephole, i: fromNested([7, 7]) } },
      options,
    );
    expect(maxAbsDiff(withI.sequence, out.sequence)).toBe(0);
  });

  it('H = 2: gate blocks i, f, c, o in columns and h·U (not U·h) orientation', () => {
    // kernel [1, 8] = [i0 i1 f0 f1 c0 c1 o0 o1], recurrentKernel [2, 8], one step from
    // x = 1.5, h0 = [0.4, -0.7], c0 = [0.3, -0.2]:
    // a_j = 1.5·K_j + 0.4·R_0j - 0.7·R_1j + b_j
    //     = [0.3, -0.37, 1.19, 0.4, -0.46, 0.47, 1.21, -1.28]
    // unit 0: c = σ(1.19)·0.3 + σ(0.3)·tanh(-0.46) = -0.017036337570147803
    //         h = σ(1.21)·tanh(c) = -0.013121803473710026
    // unit 1: c = σ(0.4)·(-0.2) + σ(-0.37)·tanh(0.47) = 0.0592848637093443
    //         h = σ(-1.28)·tanh(c) = 0.012882346383460346
    const out = referenceLstm(
      fromNested([[[1.5]]]),
      {
        kernel: fromNested([[0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8]]),
        recurrentKernel: fromNested([
          [0.2, 0.1, -0.3, 0.05, 0.4, -0.2, 0.3, 0.1],
          [-0.1, 0.3, 0.2, -0.4, 0.1, 0.5, -0.2, 0.6],
        ]),
        bias: fromNested([0.0, 0.1, 1.0, -0.5, 0.2, 0.0, -0.1, 0.3]),
      },
      { h0: fromNested([[0.4, -0.7]]), c0: fromNested([[0.3, -0.2]]) },
    );
    expectValues(out.h, [-0.013121803473710026, 0.012882346383460346]);
    expectValues(out.c, [-0.017036337570147803, 0.0592848637093443]);
  });
});

describe('referenceLstm: identities', () => {
  it('coupled equals plain with the i block set to minus the f block, since σ(-a) = 1 - σ(a)', () => {
    const rng = mulberry32(11);
    const [B, T, I, H] = [2, 4, 3, 3];
    const W = randomMat([I, 3 * H], rng, 0.6);
    const U = randomMat([H, 3 * H], rng, 0.6);
    const b = randomMat([3 * H], rng, 0.3);
    const pF = randomMat([H], rng, 0.5);
    const pO = randomMat([H], rng, 0.5);
    // Plain layout [i | f | c | o] from coupled [f | c | o], with i := -f.
    const widen = (m: Mat, rows: number): Mat => {
      const out = new Float64Array(rows * 4 * H);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < 3 * H; j++) {
          const v = m.data[r * 3 * H + j] ?? 0;
          out[r * 4 * H + H + j] = v;
          if (j < H) out[r * 4 * H + j] = -v;
        }
      }
      return mat(out, [rows, 4 * H]);
    };
    const bias4 = mat(widen(mat(b.data, [1, 3 * H]), 1).data, [4 * H]);
    const x = randomMat([B, T, I], rng);
    const options = { h0: randomMat([B, H], rng, 0.5), c0: randomMat([B, H], rng, 0.5) };
    const coupled = referenceLstm(
      x,
      { kernel: W, recurrentKernel: U, bias: b, peephole: { f: pF, o: pO } },
      { ...options, coupled: true },
    );
    const negPF = mat(pF.data.map((v) => -v), [H]);
    const plain = referenceLstm(
      x,
      { kernel: widen(W, I), recurrentKernel: widen(U, H), bias: bias4, peephole: { i: negPF, f: pF, o: pO } },
      options,
    );
    expect(maxAbsDiff(coupled.sequence, plain.sequence)).toBeLessThan(1e-14);
    expect(maxAbsDiff(coupled.c, plain.c)).toBeLessThan(1e-14);
  });

  it('absent bias, h0 and c0 mean zeros', () => {
    const rng = mulberry32(12);
    const [B, T, I, H] = [2, 3, 2, 2];
    const x = randomMat([B, T, I], rng);
    const params = { kernel: randomMat([I, 4 * H], rng), recurrentKernel: randomMat([H, 4 * H], rng) };
    const implicit = referenceLstm(x, params);
    const zero = mat(new Float64Array(B * H), [B, H]);
    const explicit = referenceLstm(
      x,
      { ...params, bias: mat(new Float64Array(4 * H), [4 * H]) },
      { h0: zero, c0: zero },
    );
    expect(maxAbsDiff(implicit.sequence, explicit.sequence)).toBe(0);
    // ...and a non-zero h0 does change the result, so the comparison above can fail.
    const shifted = referenceLstm(x, params, { h0: mat(new Float64Array(B * H).fill(0.5), [B, H]) });
    expect(maxAbsDiff(implicit.sequence, shifted.sequence)).toBeGreaterThan(1e-3);
  });
});

describe('referenceGru: hand-computed values', () => {
  // I = H = 1, blocks z, r, h: W = [0.6, -0.4, 0.9], U = [0.3, 0.8, -0.5]; h0 = 0.3; x = [1, -0.5].
  const gruW = fromNested([[0.6, -0.4, 0.9]]);
  const gruU = fromNested([[0.3, 0.8, -0.5]]);

  it('reset-before, bias [3H] = [0.1, -0.2, 0.05]', () => {
    // t=0: z = σ(0.6 + 0.09 + 0.1) = 0.6878313305828404, r = σ(-0.4 + 0.24 - 0.2) = 0.41095956594133487
    //      ĥ = tanh(0.9 + (r·0.3)·(-0.5) + 0.05) = 0.7105808112438524
    //      h1 = z·0.3 + (1 - z)·ĥ = 0.42817046553421134
    // t=1: z = 0.4821204117554361, r = 0.5848065062561031, ĥ = -0.4817022052134028
    //      h2 = -0.04303401854754477
    const out = referenceGru(
      scalarSeq([1, -0.5]),
      { kernel: gruW, recurrentKernel: gruU, bias: fromNested([0.1, -0.2, 0.05]) },
      { h0: scalar2d(0.3) },
    );
    expectValues(out.sequence, [0.42817046553421134, -0.04303401854754477]);
  });

  it('reset-after, bias [2, 3H]: input row [0.1, -0.2, 0.05], recurrent row [0.2, 0.1, -0.3]', () => {
    // t=0: z = σ(0.6 + 0.1 + 0.09 + 0.2) = 0.7290879223493065
    //      r = σ(-0.4 - 0.2 + 0.24 + 0.1) = 0.4353637081969708
    //      ĥ = tanh(0.9 + 0.05 + r·(0.3·(-0.5) - 0.3)) = 0.6375804752765108
    //      h1 = z·0.3 + (1 - z)·ĥ = 0.3914546279314681
    // t=1: z = 0.5293254018748851, r = 0.6018462321590705, ĥ = -0.6033204401490797
    //      h2 = -0.07676072746222753
    const bias = fromNested([
      [0.1, -0.2, 0.05],
      [0.2, 0.1, -0.3],
    ]);
    const params = { kernel: gruW, recurrentKernel: gruU, bias };
    const options = { h0: scalar2d(0.3), resetAfter: true };
    const out = referenceGru(scalarSeq([1, -0.5]), params, options);
    expectValues(out.sequence, [0.3914546279314681, -0.07676072746222753]);
    // The flat [6H] form is the same bias.
    const flat = referenceGru(scalarSeq([1, -0.5]), { ...params, bias: mat(bias.data, [6]) }, options);
    expect(maxAbsDiff(flat.sequence, out.sequence)).toBe(0);
  });

  it('H = 2, one step: blocks z, r, h and (r ⊙ h) U_h vs r ⊙ (h U_h + b_hh)', () => {
    // kernel [1, 6] = [z0 z1 r0 r1 h0 h1], recurrentKernel [2, 6]; x = 1.5, h0 = [0.4, -0.7].
    // reset-before, b = [0, 0.1, -0.2, 0.3, 0.05, -0.1]:
    //   z = [0.574442516811659, 0.40854102156721994], r = [0.49750002083312495, 0.7685247834990178]
    //   r ⊙ h0 = [0.19900000833325, -0.5379673484493124]
    //   â = 1.5·K_h + (r ⊙ h0)·U_h + b_h = [-0.6741967315116312, 0.49121632410869376]
    //   h = z ⊙ h0 + (1 - z) ⊙ tanh(â) = [-0.020337471647620398, -0.016757660042298284]
    // reset-after, recurrent bias row [0.2, -0.1, 0.05, 0.1, -0.3, 0.25]:
    //   x W + b_x = [0.15, -0.2, 0.25, 0.9, -0.7, 0.8]; h0 U + b_h = [0.35, -0.27, -0.21, 0.4, -0.21, -0.18]
    //   z = [0.6224593312018546, 0.3846162436088178], r = [0.5099986668799654, 0.7858349830425586]
    //   ĥ = tanh([-0.7 + r0·(-0.21), 0.8 + r1·(-0.18)]) = [-0.6679872148005108, 0.5773974369893545]
    //   h = [-0.0032086073436534135, 0.08608963317897744]
    const kernel = fromNested([[0.1, -0.2, 0.3, 0.4, -0.5, 0.6]]);
    const recurrentKernel = fromNested([
      [0.2, 0.1, -0.3, 0.05, 0.4, -0.2],
      [-0.1, 0.3, 0.2, -0.4, 0.1, 0.5],
    ]);
    const bx = [0.0, 0.1, -0.2, 0.3, 0.05, -0.1];
    const h0 = fromNested([[0.4, -0.7]]);
    const x = fromNested([[[1.5]]]);
    const before = referenceGru(x, { kernel, recurrentKernel, bias: fromNested(bx) }, { h0 });
    expectValues(before.h, [-0.020337471647620398, -0.016757660042298284]);
    const after = referenceGru(
      x,
      { kernel, recurrentKernel, bias: fromNested([bx, [0.2, -0.1, 0.05, 0.1, -0.3, 0.25]]) },
      { h0, resetAfter: true },
    );
    expectValues(after.h, [-0.0032086073436534135, 0.08608963317897744]);
  });
});

describe('referenceGru: identities', () => {
  const rng = mulberry32(21);
  const [B, T, I, H] = [2, 4, 3, 3];
  const x = randomMat([B, T, I], rng);
  const h0 = randomMat([B, H], rng, 0.5);
  const kernel = randomMat([I, 3 * H], rng, 0.6);
  const U = randomMat([H, 3 * H], rng, 0.6);
  const bx = randomMat([3 * H], rng, 0.3);
  // U with a diagonal U_h block: then (r ⊙ h) U_h = r ⊙ (h U_h) exactly.
  const diagU = mat(U.data, [H, 3 * H]);
  for (let row = 0; row < H; row++) {
    for (let j = 0; j < H; j++) if (j !== row) diagU.data[row * 3 * H + 2 * H + j] = 0;
  }
  const zeroRecurrentBias = mat([...bx.data, ...new Float64Array(3 * H)], [2, 3 * H]);

  it('reset-after with zero recurrent bias and diagonal U_h equals reset-before', () => {
    const before = referenceGru(x, { kernel, recurrentKernel: diagU, bias: bx }, { h0 });
    const after = referenceGru(
      x,
      { kernel, recurrentKernel: diagU, bias: zeroRecurrentBias },
      { h0, resetAfter: true },
    );
    expect(maxAbsDiff(before.sequence, after.sequence)).toBeLessThan(1e-14);
  });

  it('...but with a full U_h the two differ, so resetAfter is not ignored', () => {
    const before = referenceGru(x, { kernel, recurrentKernel: U, bias: bx }, { h0 });
    const after = referenceGru(x, { kernel, recurrentKernel: U, bias: zeroRecurrentBias }, { h0, resetAfter: true });
    expect(maxAbsDiff(before.sequence, after.sequence)).toBeGreaterThan(1e-3);
  });
});

describe('referenceSimpleRnn: hand-computed values', () => {
  // I = H = 1: W = 0.7, U = -1.2, b = 0.1, h0 = 0.5, x = [1, -1, 2].
  const params = { kernel: scalar2d(0.7), recurrentKernel: scalar2d(-1.2), bias: fromNested([0.1]) };
  const options = { h0: scalar2d(0.5) };

  it('tanh', () => {
    // a0 = 0.7 - 0.6 + 0.1 = 0.2, h1 = tanh(0.2) = 0.19737532022490398
    // a1 = -0.7 - 1.2·h1 + 0.1 = -0.8368503842698848, h2 = -0.6841372123577794
    // a2 = 1.4 - 1.2·h2 + 0.1 = 2.3209646548293352, h3 = 0.9809058839658018
    const out = referenceSimpleRnn(scalarSeq([1, -1, 2]), params, options);
    expectValues(out.sequence, [0.19737532022490398, -0.6841372123577794, 0.9809058839658018]);
  });

  it('relu, with a step clamped to zero', () => {
    // a0 = 0.2 → 0.2; a1 = -0.7 - 0.24 + 0.1 = -0.84 → 0; a2 = 1.4 - 0 + 0.1 = 1.5 → 1.5
    const out = referenceSimpleRnn(scalarSeq([1, -1, 2]), params, { ...options, activation: 'relu' });
    expectValues(out.sequence, [0.2, 0, 1.5], 1e-15);
  });

  it('H = 2, I = 2: x·W + h·U with a non-symmetric U', () => {
    // a_j = Σ_k x_k W_kj + Σ_k h_k U_kj + b_j with x = [1, -2], h0 = [0.3, 0.9]:
    // a_0 = 0.5 - 0.4 + 0.03 - 0.36 + 0.05 = -0.18, a_1 = -0.3 - 1.6 + 0.18 + 0.27 - 0.05 = -1.5
    // h = tanh(a) = [-0.17808086811733026, -0.9051482536448665]
    const out = referenceSimpleRnn(
      fromNested([[[1, -2]]]),
      {
        kernel: fromNested([
          [0.5, -0.3],
          [0.2, 0.8],
        ]),
        recurrentKernel: fromNested([
          [0.1, 0.6],
          [-0.4, 0.3],
        ]),
        bias: fromNested([0.05, -0.05]),
      },
      { h0: fromNested([[0.3, 0.9]]) },
    );
    expectValues(out.h, [-0.17808086811733026, -0.9051482536448665]);
  });

  it('IRNN (relu, U = W = identity, b = 0) on non-negative inputs is a running sum', () => {
    const rng = mulberry32(31);
    const [T, H] = [6, 3];
    const eye = mat(
      Array.from({ length: H * H }, (_, k) => (k % (H + 1) === 0 ? 1 : 0)),
      [H, H],
    );
    const x = mat(Array.from({ length: T * H }, () => rng()), [1, T, H]);
    const out = referenceSimpleRnn(x, { kernel: eye, recurrentKernel: eye }, { activation: 'relu' });
    const cumsum = new Float64Array(T * H);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < H; j++) {
        cumsum[t * H + j] = (t > 0 ? (cumsum[(t - 1) * H + j] ?? 0) : 0) + (x.data[t * H + j] ?? 0);
      }
    }
    expect(maxAbsDiff(out.sequence, mat(cumsum, [1, T, H]))).toBeLessThan(1e-14);
  });
});

describe('argument checks', () => {
  const x = mat(new Float64Array(2 * 3 * 4), [2, 3, 4]);
  it('names the argument, the expected and the found shape', () => {
    const kernel = mat(new Float64Array(4 * 20), [4, 20]);
    expect(() => referenceLstm(x, { kernel, recurrentKernel: mat(new Float64Array(5 * 15), [5, 15]) })).toThrow(
      'referenceLstm: recurrentKernel must be [H, 4H] = [5, 20], got [5, 15]',
    );
    const rk = mat(new Float64Array(5 * 15), [5, 15]);
    const gk = mat(new Float64Array(4 * 15), [4, 15]);
    expect(() =>
      referenceGru(x, { kernel: gk, recurrentKernel: rk, bias: mat(new Float64Array(15), [15]) }, { resetAfter: true }),
    ).toThrow('referenceGru: bias must be [2, 3H] = [2, 15] or flat [6H] = [30] with resetAfter, got [15]');
    expect(() =>
      referenceSimpleRnn(x, { kernel: mat(new Float64Array(3 * 5), [3, 5]), recurrentKernel: mat(new Float64Array(25), [5, 5]) }),
    ).toThrow('referenceSimpleRnn: kernel must be [I, H] = [4, 5], got [3, 5]');
  });
  it('requires peephole.i unless coupled, and 0/1 masks', () => {
    const kernel = mat(new Float64Array(4 * 4), [4, 4]);
    const recurrentKernel = mat(new Float64Array(4), [1, 4]);
    const p = mat([0], [1]);
    expect(() => referenceLstm(x, { kernel, recurrentKernel, peephole: { f: p, o: p } })).toThrow(
      'peephole.i [H] is required unless coupled',
    );
    const mask = mat([1, 1, 0, 1, 0.5, 1], [2, 3]);
    expect(() => referenceLstm(x, { kernel, recurrentKernel }, { mask })).toThrow(
      'referenceLstm: mask must hold only 0 and 1, got 0.5 at flat index 4',
    );
  });
});
