/**
 * @recurrent/bench — measure RNN throughput per backend against tf.layers. The CLI is
 * `recurrent-bench` (see `--help`); these are the pieces it is made of, for programs and tests.
 */
export { main, describeMachine, type MainIO } from './main.js';
export { parseConfig, parseTarget, HELP, type BenchConfig } from './config.js';
export { countFlops, tokenFlops, gateCount, pointwisePerUnit, matMulShapes, matMulFlops, matMulLimit, TRAINING_FACTOR } from './flops.js';
export type { TokenFlops, UnitFlops, MatMulShapes } from './flops.js';
export { formatTerminal, formatMarkdown, formatJson } from './format.js';
export { buildModel, type BenchModel } from './models.js';
export { runRequest, describeCase } from './run-backend.js';
export { timeModels, profileUnit, matMulRate, summarize } from './measure.js';
export * from './types.js';
export const version = '0.1.0';
