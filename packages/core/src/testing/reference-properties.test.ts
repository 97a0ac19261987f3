/**
 * Masking, reverse and batching properties of the float64 reference recurrences, each checked
 * against an independent formulation: a masked run equals a run on only the kept steps, a reverse
 * run equals a forward run on the time-flipped input, a batch equals its rows run one by one.
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

const [B, T, I, H] = [3, 5, 2, 3];

interface Options {
  h0: Mat;
  c0: Mat;
  mask?: Mat;
  reverse?: boolean;
}
interface Outputs {
  sequence: Mat;
  h: Mat;
  c?: Mat;
}
interface Cell {
  name: string;
  run: (x: Mat, options: Options) => Outputs;
}

const rng = mulberry32(7);
const w = (shape: number[]): Mat => randomMat(shape, rng, 0.5);
const lstmParams = {
  kernel: w([I, 4 * H]),
  recurrentKernel: w([H, 4 * H]),
  bias: w([4 * H]),
  peephole: { i: w([H]), f: w([H]), o: w([H]) },
};
const gruParams = { kernel: w([I, 3 * H]), recurrentKernel: w([H, 3 * H]), bias: w([2, 3 * H]) };
const rnnParams = { kernel: w([I, H]), recurrentKernel: w([H, H]), bias: w([H]) };

const cells: Cell[] = [
  { name: 'lstm (peepholes)', run: (x, o) => referenceLstm(x, lstmParams, o) },
  { name: 'gru (reset-after)', run: (x, o) => referenceGru(x, gruParams, { ...o, resetAfter: true }) },
  { name: 'simpleRnn (relu)', run: (x, o) => referenceSimpleRnn(x, rnnParams, { ...o, activation: 'relu' }) },
];

const x = randomMat([B, T, I], rng);
const h0 = randomMat([B, H], rng, 0.5);
const c0 = randomMat([B, H], rng, 0.5);
// Row 0 masks interior steps, row 1 leading steps, row 2 every step.
const mask = fromNested([
  [1, 0, 1, 1, 0],
  [0, 0, 1, 0, 1],
  [0, 0, 0, 0, 0],
]);

/** Reverses axis 1 (time) of a [B, T, ...] Mat. */
function flipTime(m: Mat): Mat {
  const [batch = 0, time = 0] = m.shape;
  const inner = m.data.length / (batch * time);
  const out = new Float64Array(m.data.length);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < time; t++) {
      const from = (b * time + t) * inner;
      out.set(m.data.subarray(from, from + inner), (b * time + (time - 1 - t)) * inner);
    }
  }
  return mat(out, m.shape);
}

/** Batch row b of a [B, ...] Mat as a [1, ...] Mat, keeping only the time steps in `steps`. */
function row(m: Mat, b: number, steps?: readonly number[]): Mat {
  const [batch = 0, ...rest] = m.shape;
  const stride = m.data.length / batch;
  const r = m.data.subarray(b * stride, (b + 1) * stride);
  if (steps === undefined) return mat(r, [1, ...rest]);
  const [time = 0, ...inner] = rest;
  const per = stride / time;
  const picked = steps.flatMap((t) => Array.from(r.subarray(t * per, (t + 1) * per)));
  return mat(picked, [1, steps.length, ...inner]);
}

/** The h of sequence[b, t, :]. */
const at = (seq: Mat, b: number, t: number): Float64Array =>
  seq.data.subarray((b * T + t) * H, (b * T + t + 1) * H);

describe.each(cells)('$name', ({ run }) => {
  it('masked steps carry h (and c) over; outputs equal a run on the kept steps only', () => {
    const out = run(x, { h0, c0, mask });
    for (let b = 0; b < B; b++) {
      const kept = [0, 1, 2, 3, 4].filter((t) => mask.data[b * T + t] === 1);
      const compact = run(row(x, b, kept), { h0: row(h0, b), c0: row(c0, b) });
      expect(maxAbsDiff(row(out.h, b), compact.h), `final h, row ${b}`).toBeLessThan(1e-14);
      if (out.c !== undefined && compact.c !== undefined) {
        expect(maxAbsDiff(row(out.c, b), compact.c), `final c, row ${b}`).toBeLessThan(1e-14);
      }
      // Output t is the state after the last kept step ≤ t (h0 when there is none).
      let prev = h0.data.subarray(b * H, (b + 1) * H);
      let k = 0;
      for (let t = 0; t < T; t++) {
        if (mask.data[b * T + t] === 1) {
          prev = compact.sequence.data.subarray(k * H, (k + 1) * H);
          k++;
        }
        expect(Array.from(at(out.sequence, b, t)), `output [${b}, ${t}]`).toEqual(Array.from(prev));
      }
    }
  });

  it('an all-ones mask is the same as no mask, and the mask is not ignored', () => {
    const ones = mat(new Float64Array(B * T).fill(1), [B, T]);
    const plain = run(x, { h0, c0 });
    expect(maxAbsDiff(run(x, { h0, c0, mask: ones }).sequence, plain.sequence)).toBe(0);
    expect(maxAbsDiff(run(x, { h0, c0, mask }).sequence, plain.sequence)).toBeGreaterThan(1e-3);
  });

  it('reverse equals a forward run on the time-flipped input, flipped back', () => {
    const reversed = run(x, { h0, c0, reverse: true });
    const flipped = run(flipTime(x), { h0, c0 });
    expect(maxAbsDiff(reversed.sequence, flipTime(flipped.sequence))).toBeLessThan(1e-14);
    expect(maxAbsDiff(reversed.h, flipped.h)).toBeLessThan(1e-14);
    // Not a palindrome: a forward run differs, so the equality above can fail.
    expect(maxAbsDiff(reversed.sequence, run(x, { h0, c0 }).sequence)).toBeGreaterThan(1e-3);
  });

  it('reverse with a mask equals a forward run with input and mask flipped', () => {
    const reversed = run(x, { h0, c0, mask, reverse: true });
    const flipped = run(flipTime(x), { h0, c0, mask: flipTime(mask) });
    expect(maxAbsDiff(reversed.sequence, flipTime(flipped.sequence))).toBeLessThan(1e-14);
    expect(maxAbsDiff(reversed.h, flipped.h)).toBeLessThan(1e-14);
  });

  it('batch rows are independent: a batch equals its rows run one by one', () => {
    const out = run(x, { h0, c0 });
    for (let b = 0; b < B; b++) {
      const single = run(row(x, b), { h0: row(h0, b), c0: row(c0, b) });
      expect(maxAbsDiff(row(out.sequence, b), single.sequence), `row ${b}`).toBe(0);
    }
  });
});
