/**
 * @recurrent/core — recurrent neural networks for TensorFlow.js.
 *
 * The public surface, curated: backends (the one door), and — as the issues land — the ops with
 * hand-written BPTT, layers and the training harness.
 */
import './kernels/register.js';

export {
  useBackend,
  availableBackends,
  bestBackend,
  probeBackend,
  backendCapabilities,
  backendPreference,
  BACKEND_NAMES,
  isNode,
  isBrowser,
} from './backend/index.js';
export type { BackendName, BackendReport, BackendCapabilities, UseBackendOptions } from './backend/index.js';

export { ops, RecurrentInputError } from './ops/index.js';
export type {
  LstmParams, LstmOptions, LstmResult, GruParams, GruOptions, GruResult,
  SimpleRnnParams, SimpleRnnOptions, SimpleRnnResult, SimpleRnnActivation,
} from './ops/index.js';
export {
  clipByGlobalNorm, clipByValue, globalNorm,
  Trainer, StepContext, measureGradientFlow, Rng, dropout,
  schedules,
  createOptimizer, setLearningRate, getLearningRate, disposeOptimizer, resolveOptimizerConfig,
  MemoryCheckpointStore, FileCheckpointStore, encodeCheckpoint, decodeCheckpoint, CorruptCheckpointError, rotateCheckpoint, previousName, atomicWriteFile, fileLines,
  TokenStreams, addingProblem, ADDING_BASELINE_MSE, recurrentRegressor, glorotUniform, orthogonal,
  progressBar, jsonLines, MetricsHistory, trainingCurves, svgCurves, renderChart,
} from './train/index.js';
export { fnv1a } from './train/checkpoint.js';
export type {
  ClipResult, GradientMap,
  TrainerConfig, ValidationConfig, TrainerCallback, StepMetrics, ValidationMetrics, NonFiniteEvent, CheckpointEvent, RunStart, RunSummary, StopReason, ResumeEvent,
  TrainModel, TrainData, LossResult, Params, StateTree, GradientFlow, HiddenState, RecurrentFn, RecurrentRun,
  LearningRateSchedule, OptimizerConfig, AdamConfig, RmspropConfig, SgdConfig, CheckpointStore, CheckpointData, AtomicWriteHooks,
  TokenBatch, AddingBatch, CellKind, Regressor, RegressorConfig, ProgressOptions, TextOutput, LineSink, Panel, Series, ChartOptions,
} from './train/index.js';
export {
  layers, initializers, keras, pytorch, fileSystem, registerFileRouter,
  RecurrentLayer, Lstm, Gru, SimpleRnn, Bidirectional, Stack, Orthogonal, Identity,
} from './layers/index.js';
export type {
  RecurrentLayerArgs, LstmLayerArgs, GruLayerArgs, SimpleRnnLayerArgs, BidirectionalArgs, StackArgs, StackedArgs, MergeMode,
  InitializerIdentifier, RegularizerIdentifier, OrthogonalArgs, KerasExportOptions, KerasTarget, PyTorchKind, PyTorchLayout, StateDictEntry,
} from './layers/index.js';
