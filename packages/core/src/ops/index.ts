/**
 * The functional recurrent ops (SPEC.md, "The functional ops"): whole sequences, batch-major
 * float32, Keras weight layouts, gradients by hand-written BPTT inside `tf.customGrad`.
 */
import { lstm } from './lstm.js';

export type { LstmParams, LstmOptions, LstmResult } from './lstm.js';
export { RecurrentInputError } from './internal/validate.js';

/** The recurrent ops. */
export const ops = { lstm } as const;
