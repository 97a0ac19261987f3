/**
 * `RecurrentLstmSeq` and `RecurrentLstmSeqGrad` on webgpu (seq-kernel.ts): every time step of a
 * forward pass, or of a backward pass, in one dispatch, as persistent RNNs do — the shared
 * templates (gpu/webgpu-seq.ts) with the plain LSTM cell: forward h and c of each workgroup's
 * rows in workgroup memory; backward the gate gradients dz, dc and keep read back.
 */
import { gateVec } from '../gpu/webgpu-program.js';
import { seqBackwardKernel, seqForwardKernel, type SeqCell, type SeqGradCell } from '../gpu/webgpu-seq.js';
import { LSTM_SEQ, LSTM_SEQ_GRAD } from './seq-kernel.js';

/** The LSTM's pieces of the one-dispatch forward (gpu/webgpu-seq.ts): the plain cell, gates i, f, ĉ, o. */
export const LSTM_SEQ_CELL: SeqCell = {
  acc: 'vec4<f32>',
  xpBlocks: 4,
  init: (x) => gateVec('xp', x, 4),
  u: gateVec('U', 'q * 4 * H + j', 4),
  carriesC: true,
  body: `let i = rcSigmoid(acc.x);
          let f = rcSigmoid(acc.y);
          let cand = rcTanh(acc.z);
          let o = rcSigmoid(acc.w);
          let cn = f * cp + i * cand;
          let hn = o * rcTanh(cn);`,
  record: (training) => (training ? ['h', 'c', 'cn', 'i', 'f', 'cand', 'o'] : ['h', 'c']),
};

export const lstmSeqWebGPU = seqForwardKernel(LSTM_SEQ, () => LSTM_SEQ_CELL, () => 'recurrentLstmSeq');

/** The LSTM's pieces of the one-dispatch backward (gpu/webgpu-seq.ts): `RecurrentLstmCellGrad`'s step (webgpu.ts), plain cell. */
export const LSTM_SEQ_GRAD_CELL: SeqGradCell = {
  carryBlocks: 6,
  dzBlocks: 4,
  keepBlock: 5,
  carried: { dcCarry: 4 },
  recordBlocks: 7,
  readsPrev: true,
  stateBlocks: 2,
  body: `let cPrev = rcPrev(k, b, H + j);
    let cn = records[r0 + 2 * H + j];
    let i = records[r0 + 3 * H + j];
    let f = records[r0 + 4 * H + j];
    let cand = records[r0 + 5 * H + j];
    let o = records[r0 + 6 * H + j];
    let dhN = m * dhTot;
    let tc = rcTanh(cn);
    let dzo = dhN * tc * o * (1.0 - o);
    let dcN = m * dcCarry + dhN * o * (1.0 - tc * tc);
    let dzi = dcN * cand * i * (1.0 - i);
    let dzf = dcN * cPrev * f * (1.0 - f);
    let dzc = dcN * i * (1.0 - cand * cand);`,
  fields: ['dzi', 'dzf', 'dzc', 'dzo', 'dcN * f + (1.0 - m) * dcCarry', '(1.0 - m) * dhTot'],
};

export const lstmSeqGradWebGPU = seqBackwardKernel(LSTM_SEQ_GRAD, () => LSTM_SEQ_GRAD_CELL, () => 'recurrentLstmSeqGrad');
