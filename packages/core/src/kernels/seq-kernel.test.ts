/**
 * The one-dispatch kernels of the simple RNN and the GRU (rnn-cell and gru-cell `seq-kernel.ts`):
 * forwards and backwards (both GRU reset forms) against their composites —
 * the per-step composites run T times — on each backend that registers them (webgpu): batch
 * sizes that fill and that do not fill a workgroup's rows, H odd and wider than a workgroup's 64
 * threads, masks, both records, the whole sequence in one program, and the ops taking them. The
 * LSTM's: lstm-cell/seq-kernel.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends, tolerances } from '../testing/index.js';
import { mulberry32, uniformValues } from '../testing/random.js';
import { webgpuShaders } from './gpu/launches.js';
import './register.js';
import { gru } from '../ops/gru.js';
import { simpleRnn } from '../ops/simple-rnn.js';
import { gruRbSeqComposite, gruRbSeqGradComposite, gruSeqComposite, gruSeqGradComposite, hasGruRbSeqGradKernel, hasGruRbSeqKernel, hasGruSeqGradKernel, hasGruSeqKernel, runGruRbSeq, runGruRbSeqGrad, runGruSeq, runGruSeqGrad } from './gru-cell/seq-kernel.js';
import { GRU_RB_SEQ_GRAD_WINS_UP_TO, GRU_RB_SEQ_WINS_UP_TO, GRU_SEQ_GRAD_WINS_UP_TO, GRU_SEQ_WINS_UP_TO } from './gru-cell/sequence.js';
import { hasRnnSeqGradKernel, hasRnnSeqKernel, rnnSeqComposite, rnnSeqGradComposite, runRnnSeq, runRnnSeqGrad } from './rnn-cell/seq-kernel.js';
import { RNN_SEQ_GRAD_WINS_UP_TO, RNN_SEQ_WINS_UP_TO } from './rnn-cell/sequence.js';
import { lstmSeqComposite, lstmSeqGradComposite, runLstmSeq, runLstmSeqGrad } from './lstm-cell/seq-kernel.js';
import { seqLimits } from './seq-kernel.js';

const t3 = (shape: [number, number, number], seed: number, scale = 1) => tf.tensor3d(uniformValues(shape[0] * shape[1] * shape[2], seed, scale), shape);
const launched = webgpuShaders;

interface SeqCase {
  name: string;
  /** xp's width and U's columns, in blocks of H. */
  xpBlocks: number;
  uBlocks: number;
  /** Record fields: inference, training. */
  fields: [number, number];
  run: (inputs: { xp: tf.Tensor3D; U: tf.Tensor2D; state0: tf.Tensor3D; mask?: tf.Tensor3D }, training: boolean) => tf.Tensor3D;
  composite: (inputs: { xp: tf.Tensor3D; U: tf.Tensor2D; state0: tf.Tensor3D; mask?: tf.Tensor3D }, training: boolean) => tf.Tensor3D;
}

const CASES: SeqCase[] = [
  { name: 'RecurrentRnnSeq (tanh)', xpBlocks: 1, uBlocks: 1, fields: [1, 2], run: (i, t) => runRnnSeq(i, 'tanh', t), composite: (i, t) => rnnSeqComposite(i, 'tanh', t) },
  { name: 'RecurrentRnnSeq (relu)', xpBlocks: 1, uBlocks: 1, fields: [1, 2], run: (i, t) => runRnnSeq(i, 'relu', t), composite: (i, t) => rnnSeqComposite(i, 'relu', t) },
  { name: 'RecurrentGruSeq', xpBlocks: 4, uBlocks: 3, fields: [1, 5], run: runGruSeq, composite: gruSeqComposite },
  { name: 'RecurrentGruRbSeq', xpBlocks: 3, uBlocks: 3, fields: [1, 4], run: runGruRbSeq, composite: gruRbSeqComposite },
];

describeBackends('one-dispatch RNN and GRU forward', (backend) => {
  it(`are registered only on webgpu (${backend})`, () => {
    expect(hasRnnSeqKernel(8)).toBe(backend === 'webgpu');
    expect(hasGruSeqKernel(8)).toBe(backend === 'webgpu');
    expect(hasGruRbSeqKernel(8)).toBe(backend === 'webgpu');
    expect(hasRnnSeqGradKernel(8)).toBe(backend === 'webgpu');
    expect(hasGruSeqGradKernel(8)).toBe(backend === 'webgpu');
    expect(hasGruRbSeqGradKernel(8)).toBe(backend === 'webgpu');
  });
  if (backend !== 'webgpu') return;
  tf.env().set('WEBGPU_CPU_FORWARD', false);

  it('fit one batch row of their state in a workgroup, and refuse H beyond', () => {
    expect(hasGruRbSeqKernel(1024)).toBe(true);
    expect(hasGruRbSeqKernel(1025)).toBe(false);
    expect(hasGruSeqGradKernel(682)).toBe(true);
    expect(hasGruSeqGradKernel(683)).toBe(false);
    expect(hasRnnSeqKernel(2048)).toBe(true);
    expect(hasRnnSeqKernel(2049)).toBe(false);
    expect(hasGruSeqKernel(2048)).toBe(true);
    expect(hasGruSeqKernel(2049)).toBe(false);
  });

  for (const c of CASES) {
    // [T, B, H, masked]: B 1; B not a multiple of the rows per workgroup; H 70 > 64 threads; H 700: 2 rows per workgroup (1 reset-before)
    for (const [T, B, H, masked] of [[5, 1, 3, false], [7, 6, 5, true], [4, 9, 70, true], [3, 3, 700, false]] as const) {
      it(`${c.name}, T ${T}, B ${B}, H ${H}${masked ? ', masked' : ''}: the inference and training records of the per-step composite`, async () => {
        const xp = t3([T, B, c.xpBlocks * H], 1 + H, 1.5);
        const U = tf.tensor2d(t3([1, H, c.uBlocks * H], 2 + H, 1 / Math.sqrt(H)).dataSync(), [H, c.uBlocks * H]);
        const state0 = t3([1, B, H], 3 + H);
        const rng = mulberry32(7);
        const mask = masked ? tf.tensor3d(Array.from({ length: T * B }, () => (rng() < 0.3 ? 0 : 1)), [T, B, 1]) : undefined;
        for (const training of [false, true]) {
          const got = c.run({ xp, U, state0, mask }, training);
          const want = c.composite({ xp, U, state0, mask }, training);
          expect(got.shape).toEqual([T, B, c.fields[training ? 1 : 0] * H]);
          expect(Array.from(await got.data())).toBeAllClose(Array.from(await want.data()), { rtol: tolerances(backend).forward * 10, atol: tolerances(backend).forward * 10 });
          tf.dispose([got, want]);
        }
        tf.dispose([xp, U, state0, ...(mask ? [mask] : [])]);
      });
    }
  }

  interface GradCase {
    name: string;
    uBlocks: number;
    records: number;
    carry: number;
    run: (inputs: { records: tf.Tensor3D; state0: tf.Tensor3D; dH: tf.Tensor3D; UT: tf.Tensor2D; carry0: tf.Tensor3D; mask?: tf.Tensor3D }) => tf.Tensor3D;
    composite: GradCase['run'];
    forward: SeqCase;
  }
  const GRAD_CASES: GradCase[] = [
    { name: 'RecurrentRnnSeqGrad (tanh)', uBlocks: 1, records: 2, carry: 2, run: (i) => runRnnSeqGrad(i, 'tanh'), composite: (i) => rnnSeqGradComposite(i, 'tanh'), forward: CASES[0]! },
    { name: 'RecurrentRnnSeqGrad (relu)', uBlocks: 1, records: 2, carry: 2, run: (i) => runRnnSeqGrad(i, 'relu'), composite: (i) => rnnSeqGradComposite(i, 'relu'), forward: CASES[1]! },
    { name: 'RecurrentGruSeqGrad', uBlocks: 3, records: 5, carry: 5, run: runGruSeqGrad, composite: gruSeqGradComposite, forward: CASES[2]! },
    { name: 'RecurrentGruRbSeqGrad', uBlocks: 3, records: 4, carry: 4, run: runGruRbSeqGrad, composite: gruRbSeqGradComposite, forward: CASES[3]! },
  ];
  for (const c of GRAD_CASES) {
    // [T, B, H, masked]: as above; H 300: 2 rows per workgroup (GRU: 1)
    for (const [T, B, H, masked] of [[5, 1, 3, false], [7, 6, 5, true], [4, 9, 70, true], [3, 3, 300, false]] as const) {
      it(`${c.name}, T ${T}, B ${B}, H ${H}${masked ? ', masked' : ''}: the backward records of the per-step composite`, async () => {
        const xp = t3([T, B, c.forward.xpBlocks * H], 1 + H, 1.5);
        const U = tf.tensor2d(t3([1, H, c.uBlocks * H], 2 + H, 1 / Math.sqrt(H)).dataSync(), [H, c.uBlocks * H]);
        const UT = tf.transpose(U);
        const state0 = t3([1, B, H], 3 + H);
        const rng = mulberry32(7);
        const mask = masked ? tf.tensor3d(Array.from({ length: T * B }, () => (rng() < 0.3 ? 0 : 1)), [T, B, 1]) : undefined;
        const records = c.forward.composite({ xp, U, state0, mask }, true);
        const dH = t3([T, B, H], 4 + H);
        // The whole backward record "of step T" (the ops pass zeros): every column is read.
        const carry0 = t3([1, B, c.carry * H], 5 + H);
        const inputs = { records, state0, dH, UT, carry0, mask };
        const got = c.run(inputs);
        const want = c.composite(inputs);
        expect(got.shape).toEqual([T, B, c.carry * H]);
        const tol = tolerances(backend).gradient;
        expect(Array.from(await got.data())).toBeAllClose(Array.from(await want.data()), { rtol: tol, atol: tol });
        tf.dispose([xp, U, UT, state0, records, dH, carry0, got, want, ...(mask ? [mask] : [])]);
      });
    }
  }

  it('run the whole backward as one program', async () => {
    const [T, B, H] = [16, 8, 32];
    for (const [c, key] of [[GRAD_CASES[0]!, `recurrentRnnSeqGradtanh${H}`], [GRAD_CASES[2]!, `recurrentGruSeqGrad${H}`], [GRAD_CASES[3]!, `recurrentGruRbSeqGrad${H}`]] as const) {
      const records = t3([T, B, c.records * H], 1);
      const state0 = t3([1, B, H], 2);
      const dH = t3([T, B, H], 3);
      const UT = tf.zeros([c.uBlocks * H, H]) as tf.Tensor2D;
      const carry0 = tf.zeros([1, B, c.carry * H]) as tf.Tensor3D;
      const { keys, out } = await launched(() => c.run({ records, state0, dH, UT, carry0 }));
      out.dispose();
      expect(keys).toEqual([key]);
      tf.dispose([records, state0, dH, UT, carry0]);
    }
  });

  it('run a long sequence in chunks of seqLimits.maxSteps launches, joined exactly (forward and backward, every cell)', async () => {
    const saved = seqLimits.maxSteps;
    seqLimits.maxSteps = 3; // T 7: chunks of 3, 3 and 1 steps
    const before = tf.memory().numTensors;
    try {
      const [T, B, H] = [7, 5, 6];
      const rng = mulberry32(9);
      const mask = tf.tensor3d(Array.from({ length: T * B }, () => (rng() < 0.3 ? 0 : 1)), [T, B, 1]);
      const dH = t3([T, B, H], 4);
      const close = async (got: tf.Tensor, want: tf.Tensor, tol: number) => {
        expect(got.shape).toEqual(want.shape);
        expect(Array.from(await got.data())).toBeAllClose(Array.from(await want.data()), { rtol: tol, atol: tol });
      };
      const tol = tolerances(backend);
      // [name, G (U's blocks), xp blocks, state width, forward, backward] for each cell
      const lstmPeep = { coupled: false, peephole: true };
      const peephole = tf.tensor2d(uniformValues(3 * H, 8, 0.5), [3, H]);
      const cells = [
        ...GRAD_CASES.map((c) => ({ name: c.name, G: c.uBlocks, xpBlocks: c.forward.xpBlocks, S: 1, carry: c.carry, fwd: c.forward.run, fwdRef: c.forward.composite, bwd: c.run, bwdRef: c.composite })),
        {
          name: 'LSTM (peepholes)', G: 4, xpBlocks: 4, S: 2, carry: 6,
          fwd: (i: Parameters<SeqCase['run']>[0], t: boolean) => runLstmSeq({ ...i, peephole }, t, lstmPeep),
          fwdRef: (i: Parameters<SeqCase['run']>[0], t: boolean) => lstmSeqComposite({ ...i, peephole }, t, lstmPeep),
          bwd: (i: Parameters<GradCase['run']>[0]) => runLstmSeqGrad({ ...i, peephole }, lstmPeep),
          bwdRef: (i: Parameters<GradCase['run']>[0]) => lstmSeqGradComposite({ ...i, peephole }, lstmPeep),
        },
      ];
      for (const c of cells) {
        const xp = t3([T, B, c.xpBlocks * H], 1, 1.5);
        const U = tf.tensor2d(uniformValues(H * c.G * H, 2, 1 / Math.sqrt(H)), [H, c.G * H]);
        const UT = tf.transpose(U);
        const state0 = t3([1, B, c.S * H], 3);
        for (const training of [false, true]) {
          const [got, want] = [c.fwd({ xp, U, state0, mask }, training), c.fwdRef({ xp, U, state0, mask }, training)];
          await close(got, want, tol.forward * 10);
          tf.dispose([got, want]);
        }
        const records = c.fwdRef({ xp, U, state0, mask }, true);
        const carry0 = t3([1, B, c.carry * H], 5);
        const inputs = { records, state0, dH, UT, carry0, mask };
        const [got, want] = [c.bwd(inputs), c.bwdRef(inputs)];
        await close(got, want, tol.gradient);
        tf.dispose([xp, U, UT, state0, records, carry0, got, want]);
      }
      const xp = t3([T, B, H], 1);
      const U = tf.zeros([H, H]) as tf.Tensor2D;
      const state0 = t3([1, B, H], 2);
      const { keys, out } = await launched(() => runRnnSeq({ xp, U, state0 }, 'tanh'));
      expect(keys.filter((k) => k.startsWith('recurrentRnnSeq'))).toEqual([`recurrentRnnSeqtanh${H}`, `recurrentRnnSeqtanh${H}`, `recurrentRnnSeqtanh${H}`]);
      tf.dispose([xp, U, state0, out, mask, dH, peephole]);
      expect(tf.memory().numTensors).toBe(before); // the chunks' slices and parts are freed
    } finally {
      seqLimits.maxSteps = saved;
    }
  });

  it('run the whole sequence as one program', async () => {
    const [T, B, H] = [16, 8, 32];
    const state0 = t3([1, B, H], 2);
    for (const [c, key] of [[CASES[0]!, `recurrentRnnSeqtanh${H}`], [CASES[2]!, `recurrentGruSeq${H}`], [CASES[3]!, `recurrentGruRbSeq${H}`]] as const) {
      const xp = t3([T, B, c.xpBlocks * H], 1);
      const U = tf.zeros([H, c.uBlocks * H]) as tf.Tensor2D;
      const { keys, out } = await launched(() => c.run({ xp, U, state0 }, false));
      out.dispose();
      expect(keys).toEqual([key]);
      tf.dispose([xp, U]);
    }
    state0.dispose();
  });

  it(`ops.simpleRnn and ops.gru take them up to H = ${RNN_SEQ_WINS_UP_TO} / ${GRU_SEQ_WINS_UP_TO} (reset-after) / ${GRU_RB_SEQ_WINS_UP_TO} (reset-before), the backwards up to ${RNN_SEQ_GRAD_WINS_UP_TO} / ${GRU_SEQ_GRAD_WINS_UP_TO} / ${GRU_RB_SEQ_GRAD_WINS_UP_TO}, and the paths agree`, async () => {
    const [B, T, I] = [3, 6, 4];
    const x = t3([B, T, I], 11);
    const mask = tf.tensor2d([1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0], [B, T]);
    const run = async (cell: 'rnn' | 'gru' | 'gruRb', H: number) => {
      const G = cell === 'rnn' ? 1 : 3;
      const W = tf.tensor2d(t3([1, I, G * H], 12, 0.5).dataSync(), [I, G * H]);
      const U = tf.tensor2d(t3([1, H, G * H], 13, 0.5).dataSync(), [H, G * H]);
      const bias = cell === 'gru' ? tf.tensor2d(t3([1, 2, G * H], 14, 0.3).dataSync(), [2, G * H]) : cell === 'gruRb' ? tf.tensor1d(t3([1, 1, G * H], 14, 0.3).dataSync()) : undefined;
      const op = (w: tf.Tensor) => cell === 'rnn'
        ? simpleRnn(x, { kernel: w as tf.Tensor2D, recurrentKernel: U }, { mask }).sequence
        : gru(x, { kernel: w as tf.Tensor2D, recurrentKernel: U, bias }, { mask, resetAfter: cell === 'gru' }).sequence;
      const { keys: inferenceKeys, out: inference } = await launched(() => op(W));
      // with the tape on, the op takes its training path (training records, then the backward)
      const { keys: trainingKeys, out: value } = await launched(() => {
        const { value: v, grad } = tf.valueAndGrad((w: tf.Tensor) => tf.sum(tf.mul(op(w), inference)))(W);
        grad.dispose();
        return v;
      });
      const reference = tf.sum(tf.mul(inference, inference));
      expect(Array.from(await value.data())).toBeAllClose(Array.from(await reference.data()), { rtol: 1e-4, atol: 1e-5 });
      tf.dispose([W, U, ...(bias ? [bias] : []), inference, value, reference]);
      const seq = (keys: string[]) => keys.filter((k) => /^recurrent(Rnn|Gru|GruRb)Seq/.test(k));
      return [seq(inferenceKeys), seq(trainingKeys)];
    };
    expect(await run('rnn', 8)).toEqual([['recurrentRnnSeqtanh8M'], ['recurrentRnnSeqtanh8MT', 'recurrentRnnSeqGradtanh8M']]);
    expect(await run('gru', 8)).toEqual([['recurrentGruSeq8M'], ['recurrentGruSeq8MT', 'recurrentGruSeqGrad8M']]);
    expect(await run('gruRb', 8)).toEqual([['recurrentGruRbSeq8M'], ['recurrentGruRbSeq8MT', 'recurrentGruRbSeqGrad8M']]);
    expect(await run('rnn', RNN_SEQ_WINS_UP_TO + 1)).toEqual([[], []]);
    expect(await run('gru', GRU_SEQ_WINS_UP_TO + 1)).toEqual([[], []]);
    const H1 = GRU_RB_SEQ_WINS_UP_TO + 1; // reset-before: the backward in one dispatch further than the forward
    expect(await run('gruRb', H1)).toEqual([[], [`recurrentGruRbSeqGrad${H1}M`]]);
    expect(await run('gruRb', GRU_RB_SEQ_GRAD_WINS_UP_TO + 1)).toEqual([[], []]);
    tf.dispose([x, mask]);
  });
});
