/**
 * Float64 reference recurrences in plain TypeScript (no tfjs), the oracle tests compare the
 * float32 tfjs ops against: forward outputs directly, gradients through `finite-diff.ts`.
 * Equations, weight layouts, masking and reverse follow /SPEC.md; each cell lives in its own file
 * under `reference/`.
 */
export { referenceLstm, type LstmOptions, type LstmParams, type LstmResult } from './reference/lstm.js';
export { referenceGru, type GruOptions, type GruParams } from './reference/gru.js';
export {
  referenceSimpleRnn,
  type SimpleRnnActivation,
  type SimpleRnnOptions,
  type SimpleRnnParams,
} from './reference/simple-rnn.js';
export type { SequenceOptions, SequenceResult } from './reference/common.js';
export {
  dot,
  fromNested,
  mat,
  maxAbsDiff,
  sizeOf,
  toNested,
  zeros,
  type Mat,
  type Nested,
} from './reference/mat.js';
