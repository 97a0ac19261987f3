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
import type { LstmVariant } from './kernel.js';
import { lstmActs, lstmDz, lstmGateGradsWgsl, lstmGatesWgsl } from './webgpu.js';

const variantOf = (attrs: tf.NamedAttrMap): LstmVariant => {
  const { coupled, peephole } = attrs as unknown as LstmVariant;
  return { coupled, peephole };
};
const keyOf = (name: string) => (attrs: tf.NamedAttrMap) => {
  const v = variantOf(attrs);
  return `${name}${v.coupled ? 'C' : ''}${v.peephole ? 'P' : ''}`;
};

/** The LSTM's pieces of the one-dispatch forward (gpu/webgpu-seq.ts): webgpu.ts's gates, every variant. */
export function lstmSeqCell(v: LstmVariant): SeqCell {
  const G = v.coupled ? 3 : 4;
  return {
    acc: `vec${G}<f32>`,
    xpBlocks: G,
    init: (x) => gateVec('xp', x, G),
    u: gateVec('U', `q * ${G} * H + j`, G),
    carriesC: true,
    body: lstmGatesWgsl(v),
    record: (training) => (training ? ['h', 'c', 'cn', ...lstmActs(v)] : ['h', 'c']),
    inputs: v.peephole ? ['peephole'] : [],
  };
}

export const lstmSeqWebGPU = seqForwardKernel(LSTM_SEQ, (attrs) => lstmSeqCell(variantOf(attrs)), keyOf('recurrentLstmSeq'));

/** The LSTM's pieces of the one-dispatch backward (gpu/webgpu-seq.ts): `RecurrentLstmCellGrad`'s step (webgpu.ts), every variant. */
export function lstmSeqGradCell(v: LstmVariant): SeqGradCell {
  const G = v.coupled ? 3 : 4;
  return {
    carryBlocks: G + 2,
    dzBlocks: G,
    keepBlock: G + 1,
    carried: { dcCarry: G },
    recordBlocks: 3 + G,
    readsPrev: true,
    stateBlocks: 2,
    body: `let cPrev = rcPrev(k, b, H + j);
    ${lstmGateGradsWgsl(v)}`,
    fields: [...lstmDz(v), 'dcPrev', '(1.0 - m) * dhTot'],
    inputs: v.peephole ? ['peephole'] : [],
  };
}

export const lstmSeqGradWebGPU = seqBackwardKernel(LSTM_SEQ_GRAD, (attrs) => lstmSeqGradCell(variantOf(attrs)), keyOf('recurrentLstmSeqGrad'));
