/**
 * The functional recurrent ops (SPEC.md, "The functional ops"): whole sequences, batch-major
 * float32, Keras weight layouts, gradients by hand-written BPTT inside `tf.customGrad`.
 */
import { gru } from './gru.js';
import { lstm } from './lstm.js';
import { simpleRnn } from './simple-rnn.js';

export type { LstmParams, LstmOptions, LstmResult } from './lstm.js';
export type { GruParams, GruOptions, GruResult } from './gru.js';
export type { SimpleRnnParams, SimpleRnnOptions, SimpleRnnResult, SimpleRnnActivation } from './simple-rnn.js';
export { RecurrentInputError } from './internal/validate.js';

/** The recurrent ops. */
export const ops = { lstm, gru, simpleRnn } as const;
