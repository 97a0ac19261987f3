/**
 * `RecurrentRnnSeq` and `RecurrentRnnSeqGrad` on webgpu (seq-kernel.ts): the simple RNN's forward
 * and backward, every step in one dispatch, through the shared templates (gpu/webgpu-seq.ts):
 * forward h of each workgroup's rows in workgroup memory, hn = φ(xp + h·U) per unit; backward da
 * there, da = m·dhTot·φ'(hn) and keep = (1 − m)·dhTot per unit, as webgpu.ts forms them.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { seqBackwardKernel, seqForwardKernel, type SeqCell, type SeqGradCell } from '../gpu/webgpu-seq.js';
import type { RnnActivation } from './kernel.js';
import { RNN_SEQ, RNN_SEQ_GRAD } from './seq-kernel.js';
import { rnnDPhiWgsl, rnnPhiWgsl } from './webgpu.js';

export function rnnSeqCell(activation: RnnActivation): SeqCell {
  return {
    acc: 'f32',
    xpBlocks: 1,
    init: (x) => `xp[${x}]`,
    u: 'U[q * H + j]',
    carriesC: false,
    body: `let hn = ${rnnPhiWgsl(activation, 'acc')};`,
    record: (training) => (training ? ['h', 'hn'] : ['h']),
  };
}

const activationOf = (attrs: tf.NamedAttrMap) => (attrs as unknown as { activation: RnnActivation }).activation;

export const rnnSeqWebGPU = seqForwardKernel(RNN_SEQ, (attrs) => rnnSeqCell(activationOf(attrs)), (attrs) => `recurrentRnnSeq${activationOf(attrs)}`);

export function rnnSeqGradCell(activation: RnnActivation): SeqGradCell {
  return {
    carryBlocks: 2,
    dzBlocks: 1,
    keepBlock: 1,
    carried: {},
    recordBlocks: 2,
    readsPrev: false,
    stateBlocks: 1,
    body: `let hn = records[r0 + H + j];
    let dPhi = ${rnnDPhiWgsl(activation)};`,
    fields: ['m * dhTot * dPhi', '(1.0 - m) * dhTot'],
  };
}

export const rnnSeqGradWebGPU = seqBackwardKernel(RNN_SEQ_GRAD, (attrs) => rnnSeqGradCell(activationOf(attrs)), (attrs) => `recurrentRnnSeqGrad${activationOf(attrs)}`);
