/**
 * The shared training recipe of the sequence models: the harness's Trainer with Adam and
 * global-norm clipping over independent batches (no state carried between batches).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Trainer, type RunSummary, type StepContext, type TrainData, type TrainerCallback } from '@recurrent/core';

export interface FitOptions<B> {
  data: TrainData<B>;
  steps: number;
  seed: number;
  /** Adam's learning rate (default 1e-2). */
  learningRate?: number;
  /** Global-norm clipping threshold (default 1). */
  clipNorm?: number;
  /** Stop after this many seconds (the trainer's time limit). */
  timeLimitSeconds?: number;
  callbacks?: TrainerCallback[];
}

/**
 * Minimises `loss` over `params` with batches from `data`; returns the run's summary.
 *
 * @example
 * ```ts
 * await fit(model.params, (b, ctx) => model.loss(b, ctx), { data, steps: 300, seed: 1 });
 * ```
 */
export async function fit<B>(params: Record<string, tf.Variable>, loss: (batch: B, ctx: StepContext) => tf.Scalar, o: FitOptions<B>): Promise<RunSummary> {
  const trainer = new Trainer<B>({
    model: { params, loss: (b, _state, ctx) => ({ loss: loss(b, ctx) }) },
    data: o.data,
    steps: o.steps,
    seed: o.seed,
    optimizer: { kind: 'adam' },
    learningRate: o.learningRate ?? 1e-2,
    clipNorm: o.clipNorm ?? 1,
    ...(o.timeLimitSeconds !== undefined ? { timeLimitSeconds: o.timeLimitSeconds } : {}),
    ...(o.callbacks ? { callbacks: o.callbacks } : {}),
  });
  try {
    return await trainer.run();
  } finally {
    trainer.dispose();
  }
}
