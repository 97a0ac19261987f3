/**
 * `RecurrentLstmSeq` and `RecurrentLstmSeqGrad` (seq-kernel.ts) against their composites — the
 * per-step composites run T times — on each backend that registers them (webgpu): batch sizes that
 * fill and that do not fill a workgroup's rows, H not a multiple of 4 and wider than a workgroup's
 * 64 threads, masks, and the whole sequence in one dispatch each way.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends, tolerances } from '../../testing/index.js';
import { mulberry32, uniformValues } from '../../testing/random.js';
import { webgpuShaders } from '../gpu/launches.js';
import '../register.js';
import { lstm } from '../../ops/lstm.js';
import { hasLstmSeqGradKernel, hasLstmSeqKernel, lstmSeqComposite, lstmSeqGradComposite, runLstmSeq, runLstmSeqGrad, SEQ_FLOATS_PER_ROW, SEQ_GRAD_FLOATS_PER_ROW } from './seq-kernel.js';
import { SEQ_GRAD_WINS_UP_TO, SEQ_WINS_UP_TO } from './sequence.js';
import { seqRows } from '../seq-kernel.js';

const t3 = (shape: [number, number, number], seed: number, scale = 1) => tf.tensor3d(uniformValues(shape[0] * shape[1] * shape[2], seed, scale), shape);
const launched = webgpuShaders;

describeBackends('RecurrentLstmSeq', (backend) => {
  it(`is registered only on webgpu (${backend})`, () => {
    expect(hasLstmSeqKernel(8)).toBe(backend === 'webgpu');
    expect(hasLstmSeqGradKernel(8)).toBe(backend === 'webgpu');
  });
  if (backend !== 'webgpu') return;
  tf.env().set('WEBGPU_CPU_FORWARD', false);

  it('fits up to 4 batch rows per workgroup, and refuses H whose one row would not fit', () => {
    const fwd = (H: number) => seqRows(SEQ_FLOATS_PER_ROW(H));
    expect([fwd(64), fwd(341), fwd(342), fwd(1365)]).toEqual([4, 4, 2, 1]);
    expect(hasLstmSeqKernel(1365)).toBe(true);
    expect(hasLstmSeqKernel(1366)).toBe(false);
    const grad = (H: number) => seqRows(SEQ_GRAD_FLOATS_PER_ROW(H));
    expect([grad(128), grad(129), grad(256), grad(257), grad(512)]).toEqual([4, 2, 2, 1, 1]);
    expect(hasLstmSeqGradKernel(512)).toBe(true);
    expect(hasLstmSeqGradKernel(513)).toBe(false);
  });

  // [T, B, H, masked]: B 1; B not a multiple of the rows per workgroup; H 70 > 64 threads; H 400: 2 rows per workgroup
  for (const [T, B, H, masked] of [[5, 1, 3, false], [7, 6, 5, true], [4, 9, 70, true], [3, 3, 400, false]] as const) {
    it(`T ${T}, B ${B}, H ${H}${masked ? ', masked' : ''}: the inference and training records of the per-step composite`, async () => {
      const xp = t3([T, B, 4 * H], 1 + H, 1.5);
      const U = tf.tensor2d(t3([1, H, 4 * H], 2 + H, 1 / Math.sqrt(H)).dataSync(), [H, 4 * H]);
      const state0 = t3([1, B, 2 * H], 3 + H);
      const rng = mulberry32(7);
      const mask = masked ? tf.tensor3d(Array.from({ length: T * B }, () => (rng() < 0.3 ? 0 : 1)), [T, B, 1]) : undefined;
      for (const training of [false, true]) {
        const got = runLstmSeq({ xp, U, state0, mask }, training);
        const want = lstmSeqComposite({ xp, U, state0, mask }, training);
        expect(got.shape).toEqual([T, B, (training ? 7 : 2) * H]);
        expect(Array.from(await got.data())).toBeAllClose(Array.from(await want.data()), { rtol: tolerances(backend).forward * 10, atol: tolerances(backend).forward * 10 });
        tf.dispose([got, want]);
      }
      tf.dispose([xp, U, state0, ...(mask ? [mask] : [])]);
    });
  }

  // [T, B, H, masked]: as above; H 200: 2 rows per workgroup in the backward
  for (const [T, B, H, masked] of [[5, 1, 3, false], [7, 6, 5, true], [4, 9, 70, true], [3, 3, 200, false]] as const) {
    it(`T ${T}, B ${B}, H ${H}${masked ? ', masked' : ''}: the backward records of the per-step composite`, async () => {
      const xp = t3([T, B, 4 * H], 1 + H, 1.5);
      const U = tf.tensor2d(t3([1, H, 4 * H], 2 + H, 1 / Math.sqrt(H)).dataSync(), [H, 4 * H]);
      const UT = tf.transpose(U);
      const state0 = t3([1, B, 2 * H], 3 + H);
      const rng = mulberry32(7);
      const mask = masked ? tf.tensor3d(Array.from({ length: T * B }, () => (rng() < 0.3 ? 0 : 1)), [T, B, 1]) : undefined;
      const records = lstmSeqComposite({ xp, U, state0, mask }, true);
      const dH = t3([T, B, H], 4 + H);
      // The whole carry of step T (the contract's is 0 | dcLast | 0): every column is read.
      const carry0 = t3([1, B, 6 * H], 5 + H);
      const inputs = { records, state0, dH, UT, carry0, mask };
      const got = runLstmSeqGrad(inputs);
      const want = lstmSeqGradComposite(inputs);
      expect(got.shape).toEqual([T, B, 6 * H]);
      const tol = tolerances(backend).gradient;
      expect(Array.from(await got.data())).toBeAllClose(Array.from(await want.data()), { rtol: tol, atol: tol });
      tf.dispose([xp, U, UT, state0, records, dH, carry0, got, want, ...(mask ? [mask] : [])]);
    });
  }

  // Every variant both ways: coupled gates (G = 3), peepholes, both; H 70 > 64 threads, masked.
  for (const variant of [{ coupled: true, peephole: false }, { coupled: false, peephole: true }, { coupled: true, peephole: true }]) {
    const name = `${variant.coupled ? 'coupled' : ''}${variant.coupled && variant.peephole ? ', ' : ''}${variant.peephole ? 'peepholes' : ''}`;
    for (const [T, B, H] of [[7, 6, 5], [4, 9, 70]] as const) {
      it(`${name}, T ${T}, B ${B}, H ${H}, masked: the forward and backward records of the per-step composites`, async () => {
        const G = variant.coupled ? 3 : 4;
        const xp = t3([T, B, G * H], 1 + H, 1.5);
        const U = tf.tensor2d(t3([1, H, G * H], 2 + H, 1 / Math.sqrt(H)).dataSync(), [H, G * H]);
        const UT = tf.transpose(U);
        const state0 = t3([1, B, 2 * H], 3 + H);
        const peephole = variant.peephole ? tf.tensor2d(t3([1, 3, H], 6 + H, 0.5).dataSync(), [3, H]) : undefined;
        const rng = mulberry32(7);
        const mask = tf.tensor3d(Array.from({ length: T * B }, () => (rng() < 0.3 ? 0 : 1)), [T, B, 1]);
        const tol = tolerances(backend);
        for (const training of [false, true]) {
          const got = runLstmSeq({ xp, U, state0, mask, peephole }, training, variant);
          const want = lstmSeqComposite({ xp, U, state0, mask, peephole }, training, variant);
          expect(got.shape).toEqual([T, B, (training ? 3 + G : 2) * H]);
          expect(Array.from(await got.data())).toBeAllClose(Array.from(await want.data()), { rtol: tol.forward * 10, atol: tol.forward * 10 });
          tf.dispose([got, want]);
        }
        const records = lstmSeqComposite({ xp, U, state0, mask, peephole }, true, variant);
        const dH = t3([T, B, H], 4 + H);
        const carry0 = t3([1, B, (G + 2) * H], 5 + H);
        const inputs = { records, state0, dH, UT, carry0, mask, peephole };
        const got = runLstmSeqGrad(inputs, variant);
        const want = lstmSeqGradComposite(inputs, variant);
        expect(got.shape).toEqual([T, B, (G + 2) * H]);
        expect(Array.from(await got.data())).toBeAllClose(Array.from(await want.data()), { rtol: tol.gradient, atol: tol.gradient });
        tf.dispose([xp, U, UT, state0, mask, records, dH, carry0, got, want, ...(peephole ? [peephole] : [])]);
      });
    }
  }

  it('runs the whole backward as one program', async () => {
    const [T, B, H] = [16, 8, 32];
    const records = t3([T, B, 7 * H], 1);
    const state0 = t3([1, B, 2 * H], 2);
    const dH = t3([T, B, H], 3);
    const UT = tf.zeros([4 * H, H]) as tf.Tensor2D;
    const carry0 = tf.zeros([1, B, 6 * H]) as tf.Tensor3D;
    const { keys, out } = await launched(() => runLstmSeqGrad({ records, state0, dH, UT, carry0 }));
    out.dispose();
    expect(keys).toEqual([`recurrentLstmSeqGrad${H}`]);
    tf.dispose([records, state0, dH, UT, carry0]);
  });

  it('runs the whole sequence as one program', async () => {
    const [T, B, H] = [16, 8, 32];
    const xp = t3([T, B, 4 * H], 1);
    const U = tf.zeros([H, 4 * H]) as tf.Tensor2D;
    const state0 = t3([1, B, 2 * H], 2);
    const { keys, out } = await launched(() => runLstmSeq({ xp, U, state0 }));
    out.dispose();
    expect(keys).toEqual([`recurrentLstmSeq${H}`]);
    tf.dispose([xp, U, state0]);
  });

  it(`ops.lstm takes the forward kernel up to H = ${SEQ_WINS_UP_TO} (inference and training), the backward up to H = ${SEQ_GRAD_WINS_UP_TO}, and the paths agree`, async () => {
    const shaders = async (H: number) => {
      const [B, T, I] = [3, 6, 4];
      const x = t3([B, T, I], 11);
      const W = tf.tensor2d(t3([1, I, 4 * H], 12, 0.5).dataSync(), [I, 4 * H]);
      const U = tf.tensor2d(t3([1, H, 4 * H], 13, 0.5).dataSync(), [H, 4 * H]);
      const mask = tf.tensor2d([1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0], [B, T]);
      const { keys, out: inference } = await launched(() => lstm(x, { kernel: W, recurrentKernel: U }, { mask }).sequence);
      // with the tape on, the op takes its training path (training records, then the backward)
      const { keys: trainingKeys, out: value } = await launched(() => {
        const { value: v, grad } = tf.valueAndGrad((w: tf.Tensor) => tf.sum(tf.mul(lstm(x, { kernel: w as tf.Tensor2D, recurrentKernel: U }, { mask }).sequence, inference)))(W);
        grad.dispose();
        return v;
      });
      training.push(trainingKeys.filter((k) => k.startsWith('recurrentLstm')));
      const reference = tf.sum(tf.mul(inference, inference));
      expect(Array.from(await value.data())).toBeAllClose(Array.from(await reference.data()), { rtol: 1e-4, atol: 1e-5 });
      tf.dispose([x, W, U, mask, inference, value, reference]);
      return keys.filter((k) => k.startsWith('recurrentLstm'));
    };
    const training: string[][] = [];
    const seqKeys = (keys: string[]) => keys.filter((k) => k.startsWith('recurrentLstmSeq'));
    expect(await shaders(8)).toEqual(['recurrentLstmSeq8M']);
    expect(training[0]).toEqual(['recurrentLstmSeq8MT', 'recurrentLstmSeqGrad8M']);
    const H1 = SEQ_GRAD_WINS_UP_TO + 1; // the forward in one dispatch, the backward per step
    expect(await shaders(H1)).toEqual([`recurrentLstmSeq${H1}M`]);
    expect(seqKeys(training[1]!)).toEqual([`recurrentLstmSeq${H1}MT`]);
    expect(training[1]!.filter((k) => k.startsWith('recurrentLstmCellGrad')).length).toBe(6);
    expect(seqKeys(await shaders(SEQ_WINS_UP_TO + 1))).toEqual([]);
    expect(seqKeys(training[2]!)).toEqual([]);
  });
});
