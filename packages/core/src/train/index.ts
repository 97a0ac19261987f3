/**
 * The training harness: gradient transforms, the Trainer (truncated BPTT, schedules, validation,
 * early stopping, checkpoints, NaN guard, gradient-flow diagnostics), its reporting, and the
 * synthetic tasks of the lecture. File IO (`FileCheckpointStore`, `atomicWriteFile`, `fileLines`)
 * loads `node:fs` lazily on first use, so exporting it here keeps the package browser-safe.
 */
export { clipByGlobalNorm, clipByValue, globalNorm } from './clip.js';
export type { ClipResult, GradientMap } from './clip.js';
export { Trainer } from './trainer.js';
export type {
  TrainerConfig, ValidationConfig, TrainerCallback, StepMetrics, ValidationMetrics, NonFiniteEvent, CheckpointEvent,
  RunStart, RunSummary, StopReason, ResumeEvent,
} from './trainer-types.js';
export type { TrainModel, TrainData, LossResult, Params, StateTree } from './task.js';
export { StepContext, measureGradientFlow } from './context.js';
export type { GradientFlow, HiddenState, RecurrentFn, RecurrentRun } from './context.js';
export { Rng, dropout } from './rng.js';
import { constant, cosineDecay, exponentialDecay, stepDecay, warmup } from './schedules.js';
/** Learning-rate schedules: pure functions of the 0-based step (see schedules.ts). */
export const schedules = { constant, stepDecay, exponentialDecay, cosineDecay, warmup } as const;
export type { LearningRateSchedule } from './schedules.js';
export { createOptimizer, setLearningRate, getLearningRate, disposeOptimizer, resolveOptimizerConfig } from './optimizers.js';
export type { OptimizerConfig, AdamConfig, RmspropConfig, SgdConfig } from './optimizers.js';
export { MemoryCheckpointStore, encodeCheckpoint, decodeCheckpoint, CorruptCheckpointError, rotateCheckpoint, previousName } from './checkpoint.js';
export type { CheckpointStore, CheckpointData } from './checkpoint.js';
export { TokenStreams } from './streams.js';
export type { TokenBatch } from './streams.js';
export { FileCheckpointStore, atomicWriteFile, fileLines } from './checkpoint-fs.js';
export type { AtomicWriteHooks } from './checkpoint-fs.js';
export { addingProblem, ADDING_BASELINE_MSE } from './tasks/adding.js';
export type { AddingBatch } from './tasks/adding.js';
export { recurrentRegressor, glorotUniform, orthogonal } from './tasks/regressor.js';
export type { CellKind, Regressor, RegressorConfig } from './tasks/regressor.js';
export { progressBar, formatDuration, formatRate } from './progress.js';
export type { ProgressOptions, TextOutput } from './progress.js';
export { jsonLines, MetricsHistory, trainingCurves, svgCurves } from './metrics.js';
export type { LineSink } from './metrics.js';
export { renderChart } from './svg.js';
export type { Panel, Series, ChartOptions } from './svg.js';
