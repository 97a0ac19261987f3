/**
 * @recurrent/core — recurrent neural networks for TensorFlow.js.
 *
 * The public surface, curated: backends (the one door), and — as the issues land — the ops with
 * hand-written BPTT, layers and the training harness.
 */
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
