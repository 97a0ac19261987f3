/**
 * The seq2seq training recipe: Adam with global-norm clipping (common/fit.ts) and an optional
 * scheduled-sampling ramp ε(step) = min(1, step / rampSteps) · maxSampling.
 */
import type { RunSummary } from '@recurrent/core';
import { fit, type FitOptions } from '../common/fit.js';
import type { Seq2Seq, Seq2SeqBatch } from './model.js';

export interface Seq2SeqTrainOptions extends FitOptions<Seq2SeqBatch> {
  /** Scheduled sampling: the largest ε, reached after `rampSteps` (default: `steps`). Default 0 (pure teacher forcing). */
  maxSampling?: number;
  rampSteps?: number;
}

/**
 * Trains `model` in place and returns the run's summary.
 *
 * @example
 * ```ts
 * const task = new StringTask({ alphabet: 'abcdef', minLength: 1, maxLength: 8 });
 * const model = new Seq2Seq({ cell: 'lstm', srcVocab: task.vocab.size, tgtVocab: task.vocab.size, embedding: 16, hidden: 96, seed: 1 });
 * await trainSeq2Seq(model, { data: task.data(64), steps: 700, seed: 1 });
 * ```
 */
export async function trainSeq2Seq(model: Seq2Seq, o: Seq2SeqTrainOptions): Promise<RunSummary> {
  const max = o.maxSampling ?? 0;
  if (!(max >= 0 && max <= 1)) throw new Error(`trainSeq2Seq: maxSampling must be in [0, 1], found ${max}`);
  const ramp = Math.max(1, o.rampSteps ?? o.steps);
  return fit(model.params, (b, ctx) => model.loss(b, ctx, max * Math.min(1, ctx.step / ramp)), o);
}
