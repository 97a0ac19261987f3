/**
 * `RecurrentLstmSeq` and `RecurrentLstmSeqGrad` on webgpu (seq-kernel.ts): every time step of a
 * forward pass, or of a backward pass, in one dispatch, as persistent RNNs do — the shared
 * templates (gpu/webgpu-seq.ts) with the LSTM cell of every variant (coupled gates, peepholes):
 * forward h and c of each workgroup's rows in workgroup memory; backward the gate gradients dz
 * there, dc and keep read back.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { gateVec } from '../gpu/webgpu-program.js';
import { seqBackwardKernel, seqForwardKernel, type SeqCell, type SeqGradCell } from '../gpu/webgpu-seq.js';
import { LSTM_SEQ, LSTM_SEQ_GRAD } from './seq-kernel.js';

interface Variant {
  coupled: boolean;
  peephole: boolean;
}

const variantOf = (attrs: tf.NamedAttrMap): Variant => {
  const { coupled, peephole } = attrs as unknown as Variant;
  return { coupled, peephole };
};
const keyOf = (name: string) => (attrs: tf.NamedAttrMap) => {
  const v = variantOf(attrs);
  return `${name}${v.coupled ? 'C' : ''}${v.peephole ? 'P' : ''}`;
};

/** The LSTM's pieces of the one-dispatch forward (gpu/webgpu-seq.ts), as webgpu.ts's step: gates i, f, ĉ, o (coupled f, ĉ, o with i = 1 − f), peepholes p_i, p_f, p_o. */
export function lstmSeqCell({ coupled, peephole }: Variant): SeqCell {
  const G = coupled ? 3 : 4;
  const peep = (row: number, c: string) => (peephole ? ` + peephole[${row} * H + j] * ${c}` : '');
  return {
    acc: `vec${G}<f32>`,
    xpBlocks: G,
    init: (x) => gateVec('xp', x, G),
    u: gateVec('U', `q * ${G} * H + j`, G),
    carriesC: true,
    body: coupled
      ? `let f = rcSigmoid(acc.x${peep(1, 'cp')});
          let i = 1.0 - f;
          let cand = rcTanh(acc.y);
          let cn = f * cp + i * cand;
          let o = rcSigmoid(acc.z${peep(2, 'cn')});
          let hn = o * rcTanh(cn);`
      : `let i = rcSigmoid(acc.x${peep(0, 'cp')});
          let f = rcSigmoid(acc.y${peep(1, 'cp')});
          let cand = rcTanh(acc.z);
          let cn = f * cp + i * cand;
          let o = rcSigmoid(acc.w${peep(2, 'cn')});
          let hn = o * rcTanh(cn);`,
    record: (training) => (training ? ['h', 'c', 'cn', ...(coupled ? [] : ['i']), 'f', 'cand', 'o'] : ['h', 'c']),
    inputs: peephole ? ['peephole'] : [],
  };
}

export const lstmSeqWebGPU = seqForwardKernel(LSTM_SEQ, (attrs) => lstmSeqCell(variantOf(attrs)), keyOf('recurrentLstmSeq'));

/** The LSTM's pieces of the one-dispatch backward (gpu/webgpu-seq.ts): `RecurrentLstmCellGrad`'s step (webgpu.ts), every variant. */
export function lstmSeqGradCell({ coupled, peephole }: Variant): SeqGradCell {
  const G = coupled ? 3 : 4;
  const p = (row: number) => `peephole[${row} * H + j]`;
  return {
    carryBlocks: G + 2,
    dzBlocks: G,
    keepBlock: G + 1,
    carried: { dcCarry: G },
    recordBlocks: 3 + G,
    readsPrev: true,
    stateBlocks: 2,
    body: `let cPrev = rcPrev(k, b, H + j);
    let cn = records[r0 + 2 * H + j];
    ${coupled
      ? `let f = records[r0 + 3 * H + j];
    let cand = records[r0 + 4 * H + j];
    let o = records[r0 + 5 * H + j];`
      : `let i = records[r0 + 3 * H + j];
    let f = records[r0 + 4 * H + j];
    let cand = records[r0 + 5 * H + j];
    let o = records[r0 + 6 * H + j];`}
    let dhN = m * dhTot;
    let tc = rcTanh(cn);
    let dzo = dhN * tc * o * (1.0 - o);
    let dcN = m * dcCarry + dhN * o * (1.0 - tc * tc)${peephole ? ` + dzo * ${p(2)}` : ''};
    ${coupled
      ? `let dzf = dcN * (cPrev - cand) * f * (1.0 - f);
    let dzc = dcN * (1.0 - f) * (1.0 - cand * cand);
    let dcPrev = dcN * f${peephole ? ` + dzf * ${p(1)}` : ''} + (1.0 - m) * dcCarry;`
      : `let dzi = dcN * cand * i * (1.0 - i);
    let dzf = dcN * cPrev * f * (1.0 - f);
    let dzc = dcN * i * (1.0 - cand * cand);
    let dcPrev = dcN * f${peephole ? ` + dzi * ${p(0)} + dzf * ${p(1)}` : ''} + (1.0 - m) * dcCarry;`}`,
    fields: [...(coupled ? [] : ['dzi']), 'dzf', 'dzc', 'dzo', 'dcPrev', '(1.0 - m) * dhTot'],
    inputs: peephole ? ['peephole'] : [],
  };
}

export const lstmSeqGradWebGPU = seqBackwardKernel(LSTM_SEQ_GRAD, (attrs) => lstmSeqGradCell(variantOf(attrs)), keyOf('recurrentLstmSeqGrad'));
