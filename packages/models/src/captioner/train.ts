/**
 * The captioner's training recipe: teacher forcing, Adam with global-norm clipping (common/fit.ts).
 */
import type { RunSummary } from '@recurrent/core';
import { fit, type FitOptions } from '../common/fit.js';
import type { CaptionBatch } from './data.js';
import type { Captioner } from './model.js';

/**
 * Trains `model` in place.
 *
 * @example
 * ```ts
 * const task = new SceneTask(24);
 * const model = new Captioner({ cell: 'lstm', imageSize: 24, channels: 3, filters: [8, 16], vocab: CAPTION_VOCAB.size, embedding: 16, hidden: 64, seed: 1 });
 * await trainCaptioner(model, { data: task.data(32), steps: 800, seed: 1 });
 * ```
 */
export function trainCaptioner(model: Captioner, o: FitOptions<CaptionBatch>): Promise<RunSummary> {
  return fit(model.params, (b, ctx) => model.loss(b, ctx), o);
}
