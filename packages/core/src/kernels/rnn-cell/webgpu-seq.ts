/**
 * `RecurrentRnnSeq` on webgpu (seq-kernel.ts): the simple RNN's forward, every step in one
 * dispatch, through the shared template (gpu/webgpu-seq.ts): h of each workgroup's rows in
 * workgroup memory, hn = φ(xp + h·U) per unit.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { seqForwardKernel, type SeqCell } from '../gpu/webgpu-seq.js';
import type { RnnActivation } from './kernel.js';
import { RNN_SEQ } from './seq-kernel.js';

export function rnnSeqCell(activation: RnnActivation): SeqCell {
  return {
    acc: 'f32',
    xpBlocks: 1,
    init: (x) => `xp[${x}]`,
    u: 'U[q * H + j]',
    carriesC: false,
    body: `let hn = ${activation === 'relu' ? 'max(acc, 0.0)' : 'rcTanh(acc)'};`,
    record: (training) => (training ? ['h', 'hn'] : ['h']),
  };
}

const activationOf = (attrs: tf.NamedAttrMap) => (attrs as unknown as { activation: RnnActivation }).activation;

export const rnnSeqWebGPU = seqForwardKernel(RNN_SEQ, (attrs) => rnnSeqCell(activationOf(attrs)), (attrs) => `recurrentRnnSeq${activationOf(attrs)}`);
