/**
 * `@recurrent/core/testing`: the test plumbing every suite uses — run a suite on every backend,
 * numeric matchers, leak checks, and the float64 reference implementations used as oracles.
 */
import './matchers.js';

export { describeBackends, testedBackends, backendReport, isGpuBackend, tolerances } from './backends.js';
export type { DescribeBackendsOptions } from './backends.js';
export { relativeError, flatten } from './matchers.js';
export type { Numeric, AllCloseOptions } from './matchers.js';
export { expectNoLeaks, read } from './memory.js';
export * from './reference.js';
export * from './finite-diff.js';
export * from './random.js';
export {
  MASK_MODES,
  buildCall,
  caseTensors,
  disposeTensors,
  expectAdamTrainsThrough,
  expectGradientsClose,
  expectInputError,
  expectOutputsClose,
  makeCase,
  raggedMask,
  referenceGradients,
  referenceLoss,
  referenceRun,
  readOutputs,
  runAndRead,
  standardCases,
  tensorGradients,
  tensorLoss,
  variantName,
  withCaseTensors,
} from './op-harness.js';
export { composite } from './composite.js';
export { describeCompositeOracle, describeOpOracles, expectLikeLayers, layersRun, validationChecker } from './op-oracles.js';
export type { LayersBase, LayersRecurrent, LooseArgs, OpOracles, Scratch, StateName } from './op-oracles.js';
export type {
  Call,
  CaseConfig,
  CaseTensors,
  InputName,
  OpCase,
  Outputs,
  TensorRun,
  Variant,
} from './op-harness.js';
