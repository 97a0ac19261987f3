/**
 * The tagger's training recipe: Adam with global-norm clipping (common/fit.ts).
 */
import type { RunSummary } from '@recurrent/core';
import { fit, type FitOptions } from '../common/fit.js';
import type { SequenceTagger, TaggerBatch } from './model.js';

/**
 * Trains `model` in place.
 *
 * @example
 * ```ts
 * const task = new RunTagTask();
 * const model = new SequenceTagger({ cell: 'lstm', vocab: task.vocab.size, tags: TAGS.length, embedding: 8, hidden: 32, bidirectional: true, seed: 1 });
 * await trainTagger(model, { data: task.data(32), steps: 200, seed: 1 });
 * ```
 */
export function trainTagger(model: SequenceTagger, o: FitOptions<TaggerBatch>): Promise<RunSummary> {
  return fit(model.params, (b, ctx) => model.loss(b, ctx), o);
}
