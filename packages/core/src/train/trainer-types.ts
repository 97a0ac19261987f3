/**
 * The Trainer's typed config and the events it reports to callbacks.
 */
import type { CheckpointStore } from './checkpoint.js';
import type { GradientFlow } from './context.js';
import type { OptimizerConfig } from './optimizers.js';
import type { LearningRateSchedule } from './schedules.js';
import type { StateTree, TrainData, TrainModel } from './task.js';

/** Validation at intervals: the mean loss over the first `batches` batches of `data`. */
export interface ValidationConfig<B> {
  data: TrainData<B>;
  /** How many batches make one evaluation. */
  batches: number;
  /** Evaluate after every `every` training steps (and after the last one). */
  every: number;
  /** Seed of the generator `data` draws from; the same batches every evaluation. Default 0. */
  seed?: number;
}

export interface TrainerConfig<B, S extends StateTree = StateTree> {
  model: TrainModel<B, S>;
  data: TrainData<B>;
  /** The steps planned; the run ends after this many (and the ETA counts to it). */
  steps: number;
  /** Seed of the trainer's generator (data sampling, dropout). */
  seed: number;
  optimizer: OptimizerConfig;
  /** A fixed rate or a schedule of the 0-based step (see schedules.ts). */
  learningRate: number | LearningRateSchedule;
  /** Global-norm clipping threshold (if ‖g‖ ≥ threshold: g ← threshold/‖g‖ · g); omit for none. */
  clipNorm?: number;
  /** Element-wise clipping to [−clipValue, clipValue], applied before the global norm; omit for none. */
  clipValue?: number;
  validation?: ValidationConfig<B>;
  /** Stop when validation has not improved by more than `minDelta` for `patience` evaluations in a row. */
  earlyStopping?: { patience: number; minDelta?: number };
  /** Save "last" every `every` steps and at the end of a run; "best" whenever validation improves (unless `keepBest` is false). */
  checkpoints?: { store: CheckpointStore; every: number; keepBest?: boolean };
  /** Stop after this many consecutive steps with a NaN/Inf loss or gradient (default 5). */
  maxConsecutiveNonFinite?: number;
  /** Stop (reason "time-limit") after the first step that ends this many seconds into the run. */
  timeLimitSeconds?: number;
  /** Measure ‖∂E/∂h_k‖ before every `gradientFlowEvery`-th step (steps 0, n, 2n, …); omit for never. */
  gradientFlowEvery?: number;
  /**
   * Aborting it (e.g. from a SIGINT handler) ends the run cleanly: the current step finishes,
   * "last" is saved when checkpoints are on, and `run` returns with reason "interrupted".
   */
  signal?: AbortSignal;
  callbacks?: TrainerCallback[];
}

/** Reported after every step. */
export interface StepMetrics {
  /** Steps done, including this one (1-based). */
  step: number;
  /** The steps planned. */
  totalSteps: number;
  /** The batch loss (before the update). */
  loss: number;
  /** ‖g‖ over all parameters, before any clipping. */
  gradNorm: number;
  /** Whether global-norm clipping fired on this step. */
  clipped: boolean;
  /** How many steps so far clipping fired on (over the whole run, across resumes). */
  clipCount: number;
  /** The learning rate this step used. */
  learningRate: number;
  /** True when the NaN/Inf guard skipped the update. */
  skipped: boolean;
  /** Tokens in this step's batch (`data.tokensPerBatch`, default 1). */
  tokens: number;
  /** Wall-clock seconds of this step, and since the run (this process) started. */
  seconds: number;
  elapsed: number;
  /** ‖∂E/∂h_k‖ per recurrent layer, on measured steps. */
  gradientFlow?: GradientFlow;
}

export interface ValidationMetrics {
  /** Steps done when evaluated. */
  step: number;
  loss: number;
  /** The best validation loss so far (including this one). */
  best: number;
  improved: boolean;
  /** Evaluations in a row without improvement. */
  sinceImprovement: number;
}

export interface NonFiniteEvent {
  /** The 1-based step whose update was skipped. */
  step: number;
  loss: number;
  gradNorm: number;
  /** Consecutive non-finite steps, this one included. */
  consecutive: number;
  /** True when this one ends the run. */
  stopping: boolean;
  /** The parameters whose gradient holds a NaN or Inf (read back only on such a step). */
  nonFiniteGradients: string[];
  /** The parameters whose weights hold a NaN or Inf. */
  nonFiniteWeights: string[];
}

/** Reported by `resume` when it restored a checkpoint. */
export interface ResumeEvent {
  step: number;
  /** The checkpoint restored (`last`, or `last.prev` after a fallback) and where it is. */
  name: string;
  location: string;
  /** Checkpoints that were tried first and refused as damaged: where and why. */
  rejected: { name: string; location: string; reason: string }[];
}

export interface CheckpointEvent {
  step: number;
  name: string;
  bytes: number;
}

export type StopReason = 'completed' | 'until' | 'early-stopping' | 'non-finite' | 'time-limit' | 'requested' | 'interrupted';

export interface RunSummary {
  /** Steps done in total (across resumes). */
  step: number;
  reason: StopReason;
  /** Updates applied (steps minus skipped ones). */
  updates: number;
  skipped: number;
  clipCount: number;
  bestValidationLoss: number | undefined;
  bestStep: number | undefined;
}

export interface RunStart {
  step: number;
  totalSteps: number;
  /** True when this trainer was restored from a checkpoint. */
  resumed: boolean;
  /** Tokens per step, for throughput. */
  tokensPerStep: number;
}

/** Hooks called by the trainer, in order; async hooks are awaited. */
export interface TrainerCallback {
  onStart?(e: RunStart): void | Promise<void>;
  onStep?(m: StepMetrics): void | Promise<void>;
  onValidation?(m: ValidationMetrics): void | Promise<void>;
  onNonFinite?(e: NonFiniteEvent): void | Promise<void>;
  onCheckpoint?(e: CheckpointEvent): void | Promise<void>;
  onResume?(e: ResumeEvent): void | Promise<void>;
  onEnd?(s: RunSummary): void | Promise<void>;
}
