/**
 * The bench's vocabulary: what is measured (a case: cell × mode × shape), on what (a target:
 * environment + backend), and the shape of the report every output format is made from. Plain
 * data only, so the same types cross the Node ⇄ Chromium page boundary as JSON.
 */
import type { BackendName } from '@recurrent/core';

export const CELLS = ['lstm', 'gru', 'rnn'] as const;
export type Cell = (typeof CELLS)[number];

/**
 * - `training`: one optimizer step (forward over B×T, dense softmax head at every step,
 *   cross-entropy, backward, Adam).
 * - `inference`: one forward pass over B×T, the output sequence read back.
 * - `generation`: one time step of B sequences with the state carried from the previous step, its
 *   output read back before the next step (as a sampler must).
 */
export const MODES = ['training', 'inference', 'generation'] as const;
export type Mode = (typeof MODES)[number];

export interface Shape {
  batch: number;
  /** Sequence length T (generation: how many carried steps one timed repetition covers). */
  time: number;
  inputs: number;
  hidden: number;
  /** Classes of the dense softmax head (training only). */
  classes: number;
}

export interface Case {
  cell: Cell;
  mode: Mode;
  shape: Shape;
}

/** How hard to measure. */
export interface Effort {
  /** Timed repetitions per model (alternated between the models). */
  reps: number;
  /** Untimed repetitions per model first. */
  warmup: number;
  /** Lower bound for one timed batch of matMuls, ms. */
  matMulBatchMs: number;
  /** Timed batches of matMuls per shape. */
  matMulReps: number;
}

/** Where a measurement runs: `node` (this process) or `chromium` (a headless page). */
export type Environment = 'node' | 'chromium';

/** A requested backend: an environment and a backend name, or that environment's best choice. */
export interface Target {
  environment: Environment;
  /** `best`: core's `bestBackend()`; `gpu` (chromium only): a hardware GPU backend, else webgl. */
  backend: BackendName | 'best' | 'gpu';
  /** wasm: XNNPACK threads and stock or fixed kernels (`--wasm-threads`, `--wasm-kernels`). */
  wasm?: WasmVariant;
}

/** One wasm configuration: threads and kernels (core's `useBackend('wasm', { threads, stockKernels })`). */
export interface WasmVariant {
  /** Undefined: core's default. */
  threads?: number;
  kernels: 'stock' | 'fixed';
}

/** One model's measurement in one case. */
export interface ImplResult {
  name: string;
  /** Milliseconds per timed unit (training/inference: a whole sequence; generation: one time step). */
  samplesMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  tokensPerSecond: number;
  /** FLOPs per timed unit ({@link countFlops}) / median time. */
  gflops: number;
  /** {@link gflops} over the backend's matMul rate on the case's shapes. */
  fractionOfMatMul: number;
  /** Registered kernels dispatched per time step (one profiled unit / time steps it covers). */
  kernelsPerTimeStep: number;
  /** tf.profile's peakBytes minus the bytes allocated before the unit: the working memory. */
  peakBytes: number;
}

/** The backend's own matMul rate on the case's shapes, measured in the same process. */
export interface MatMulRate {
  /** [B, H] × [H, G·H], the recurrent product of one step. */
  recurrentGflops: number;
  /** [rows, I] × [I, G·H], the input projection (rows = B·T, or B in generation). */
  inputGflops: number;
  /** FLOP-weighted harmonic mean of the two for this case: the rate its matMuls alone would run at. */
  limitGflops: number;
}

/** One line of the report: a case on a target, or a target (or case) that could not run, with why. */
export interface Row {
  environment: Environment;
  /** The backend that ran (or was asked for). */
  backend: string;
  /** The wasm configuration, when the run compares several (e.g. "2 threads, fixed kernels"). */
  variant?: string;
  device?: string;
  case?: Case;
  /** Set when this row has no measurement; says why. */
  error?: string;
  flops?: number;
  matMul?: MatMulRate;
  ours?: ImplResult;
  layers?: ImplResult;
  /** layers.medianMs / ours.medianMs. */
  speedup?: number;
}

/** Training-step working memory against sequence length, for one cell on one target. */
export interface MemoryRow {
  environment: Environment;
  backend: string;
  variant?: string;
  cell: Cell;
  shape: Omit<Shape, 'time'>;
  points: { time: number; oursBytes?: number; layersBytes?: number; oursError?: string; layersError?: string }[];
}

/** Everything one run produced. */
export interface Report {
  date: string;
  machine: string;
  load?: string;
  command: string;
  effort: Effort;
  rows: Row[];
  memory: MemoryRow[];
}

/** A request to one measurement environment (this process, or a Chromium page). */
export interface BackendRequest {
  backend: Target['backend'];
  cases: Case[];
  effort: Effort;
  /** Cells whose training memory to scan, at these sequence lengths (empty: no scan). */
  memory: { cells: Cell[]; shape: Omit<Shape, 'time'>; times: number[] };
  /** Measure tf.layers too (default true). */
  layers: boolean;
  /** wasm: the configuration to run (default: core's defaults). */
  wasm?: WasmVariant;
}

/** What one environment answers to a {@link BackendRequest}. */
export interface BackendResponse {
  backend: string;
  device?: string;
  error?: string;
  rows: Row[];
  memory: MemoryRow[];
}
