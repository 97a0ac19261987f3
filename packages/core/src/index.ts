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
export type { LstmParams, LstmOptions, LstmResult } from './ops/index.js';
export { clipByGlobalNorm, clipByValue, globalNorm } from './train/index.js';
export type { ClipResult, GradientMap } from './train/index.js';
