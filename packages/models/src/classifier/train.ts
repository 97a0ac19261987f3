/**
 * The classifier's training recipe: Adam with global-norm clipping (common/fit.ts).
 */
import type { RunSummary } from '@recurrent/core';
import { fit, type FitOptions } from '../common/fit.js';
import type { ClassifierBatch, SequenceClassifier } from './model.js';

/**
 * Trains `model` in place.
 *
 * @example
 * ```ts
 * const task = new PatternTask({ alphabet: 'abcd', pattern: 'abc', minLength: 4, maxLength: 12 });
 * const model = new SequenceClassifier({ cell: 'lstm', vocab: task.vocab.size, classes: 2, embedding: 8, hidden: 32, seed: 1 });
 * await trainClassifier(model, { data: task.data(64), steps: 300, seed: 1 });
 * ```
 */
export function trainClassifier(model: SequenceClassifier, o: FitOptions<ClassifierBatch>): Promise<RunSummary> {
  return fit(model.params, (b, ctx) => model.loss(b, ctx), o);
}
