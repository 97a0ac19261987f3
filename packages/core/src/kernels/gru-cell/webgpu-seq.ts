/**
 * `RecurrentGruSeq` on webgpu (seq-kernel.ts): the reset-after GRU's forward, every step in one
 * dispatch, through the shared template (gpu/webgpu-seq.ts): h of each workgroup's rows in
 * workgroup memory; per unit h·U for z, r and hh, then the cell as webgpu.ts forms it.
 */
import { gateVec } from '../gpu/webgpu-program.js';
import { seqForwardKernel, type SeqCell } from '../gpu/webgpu-seq.js';
import { GRU_SEQ } from './seq-kernel.js';

export const GRU_SEQ_CELL: SeqCell = {
  acc: 'vec3<f32>',
  xpBlocks: 4,
  init: () => 'vec3<f32>(0.0)',
  u: gateVec('U', 'q * 3 * H + j', 3),
  carriesC: false,
  body: `let z = rcSigmoid(xp[x] + acc.x);
          let r = rcSigmoid(xp[x + H] + acc.y);
          let hh = acc.z + xp[x + 3 * H];
          let cand = rcTanh(xp[x + 2 * H] + r * hh);
          let hn = z * hp + (1.0 - z) * cand;`,
  record: (training) => (training ? ['h', 'z', 'r', 'cand', 'hh'] : ['h']),
};

export const gruSeqWebGPU = seqForwardKernel(GRU_SEQ, () => GRU_SEQ_CELL, () => 'recurrentGruSeq');
