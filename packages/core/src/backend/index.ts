/**
 * The one door to TensorFlow.js backends.
 *
 * Everything that knows about a backend package (`@tensorflow/tfjs-backend-*`, the `webgpu` npm
 * package that brings Dawn to Node, `@tensorflow/tfjs-node(-gpu)`) lives in this folder. It
 * detects once, imports lazily, checks `setBackend`'s result (tfjs returns false on failure but
 * `getBackend()` keeps naming the failed backend), and reports what each backend can do. Ops and
 * layers ask `backendCapabilities()`; they never test `tf.getBackend() === 'webgl'` themselves.
 *
 * @example
 * ```ts
 * import { useBackend, availableBackends } from '@recurrent/core';
 * await useBackend('wasm');                     // throws with the list of usable backends if not
 * console.table(await availableBackends());     // name, available, reason, device, precision…
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import '../tfjs-setup.js';
import { isNode } from './environment.js';
import { loaders, type BackendLoader } from './loaders.js';
import type { BackendName, BackendReport } from './types.js';
import { prepareSimdCells } from '../kernels/wasm/simd/module.js';
import { resolveWasmOptions, type WasmOptions } from './wasm.js';

export type { BackendName, BackendReport, BackendCapabilities } from './types.js';
export { backendCapabilities } from './capabilities.js';
export { isNode, isBrowser } from './environment.js';
export { DEFAULT_WASM_THREADS, type WasmOptions } from './wasm.js';

/** Every backend name the project knows, in order of preference for the current environment. */
export function backendPreference(): BackendName[] {
  return isNode()
    ? ['tensorflow', 'webgpu', 'wasm', 'cpu', 'webgl']
    : ['webgpu', 'webgl', 'wasm', 'cpu', 'tensorflow'];
}

/** The backend names known to this project (a stable, documented order). */
export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'wasm', 'webgl', 'webgpu', 'tensorflow'];

export interface UseBackendOptions extends WasmOptions {
  /**
   * Keep tfjs' habit of running small ops of the GPU backends on the CPU (`WEBGL_CPU_FORWARD`,
   * `WEBGPU_CPU_FORWARD`). Off by default: a recurrent step is made of small ops, and bouncing
   * them between devices costs more than it saves and hides the GPU kernels from tests.
   */
  cpuForward?: boolean;
  /** wasm only: where the `.wasm` binaries are served from (browser builds). */
  wasmPaths?: string | Record<string, string>;
}

const reports = new Map<BackendName, Promise<BackendReport>>();

function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/**
 * Loads (once) and probes one backend without making it the active one for longer than the probe.
 * The answer is cached: a backend that could not start will not start on a second try either.
 */
export function probeBackend(name: BackendName, options: UseBackendOptions = {}): Promise<BackendReport> {
  let report = reports.get(name);
  if (report === undefined) {
    report = probe(name, loaders[name], options);
    reports.set(name, report);
  }
  return report;
}

async function probe(name: BackendName, loader: BackendLoader, options: UseBackendOptions): Promise<BackendReport> {
  const environment = isNode() ? 'node' : 'browser';
  const base = { name, environment } as const;
  let loaded: Awaited<ReturnType<BackendLoader>>;
  try {
    loaded = await loader(options);
  } catch (error) {
    return { ...base, available: false, reason: errorMessage(error) };
  }
  if (!loaded.ok) return { ...base, available: false, reason: loaded.reason };
  const previous = tf.findBackend(tf.getBackend() ?? '') ? tf.getBackend() : undefined;
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (error) {
    return { ...base, available: false, reason: `could not start: ${errorMessage(error)}` };
  }
  if (!ok) {
    // tfjs keeps naming the failed backend; go back to one that works.
    if (previous !== undefined && previous !== name) await tf.setBackend(previous);
    tf.removeBackend(name);
    return { ...base, available: false, reason: 'tf.setBackend failed to initialise it (see the warning above)' };
  }
  await tf.ready();
  const details = await loaded.describe();
  if (previous !== undefined && previous !== name) await tf.setBackend(previous);
  return { ...base, available: true, ...details };
}

/** Probes every backend the project knows and reports whether each runs here, and if not, why. */
export async function availableBackends(): Promise<BackendReport[]> {
  const out: BackendReport[] = [];
  // Sequential on purpose: probing switches the active backend for a moment.
  for (const name of BACKEND_NAMES) out.push(await probeBackend(name));
  return out;
}

/**
 * The best backend that runs in this environment: WebGPU → WebGL → WASM → CPU in a browser,
 * tensorflow → WebGPU → WASM → CPU in Node; a GPU emulated in software (llvmpipe, SwiftShader)
 * ranks after wasm, since it runs slower than wasm on the same CPU.
 */
export async function bestBackend(): Promise<BackendName> {
  const reports: BackendReport[] = [];
  for (const name of backendPreference()) reports.push(await probeBackend(name));
  const usable = reports.filter((r) => r.available);
  const hardware = usable.filter((r) => !r.software);
  return (hardware[0] ?? usable[0])?.name ?? 'cpu';
}

/**
 * Makes `name` the active tfjs backend, or throws an error that lists the backends that do run
 * here. `'best'` picks {@link bestBackend}.
 */
export async function useBackend(name: BackendName | 'best', options: UseBackendOptions = {}): Promise<BackendReport> {
  if (name === 'best') name = await bestBackend();
  if (!isBackendName(name)) {
    throw new Error(`useBackend: unknown backend "${String(name)}"; expected one of ${BACKEND_NAMES.join(', ')}.`);
  }
  if (name === 'wasm' && !(await wasmReportMatches(options))) reports.delete('wasm');
  const report = await probeBackend(name, options);
  if (!report.available) {
    const usable = (await availableBackends()).filter((r) => r.available).map((r) => r.name);
    throw new Error(
      `useBackend: "${name}" is not available here (${report.reason ?? 'unknown reason'}). ` +
        `Available: ${usable.join(', ') || 'none'}.`,
    );
  }
  if (!(await tf.setBackend(name))) {
    throw new Error(`useBackend: tf.setBackend("${name}") failed after a successful probe; this is a bug.`);
  }
  await tf.ready();
  // The fused wasm cell kernels' SIMD module: compiled here without blocking, as a browser's main
  // thread requires (elsewhere the first kernel call would compile it synchronously).
  if (name === 'wasm') await prepareSimdCells(tf.backend());
  const forward = options.cpuForward ?? false;
  if (name === 'webgl') tf.env().set('WEBGL_CPU_FORWARD', forward);
  if (name === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', forward);
  return report;
}

/**
 * Whether the cached wasm report was made with the threads and kernels `options` ask for; if not,
 * `useBackend` probes again, which reconfigures wasm (see `wasm.ts`).
 */
async function wasmReportMatches(options: UseBackendOptions): Promise<boolean> {
  const cached = reports.get('wasm');
  if (cached === undefined) return true;
  const report = await cached;
  if (!report.available || report.wasm === undefined) return true;
  const wanted = await resolveWasmOptions(options);
  return report.wasm.threadsRequested === wanted.threads && report.wasm.kernels === (wanted.stockKernels ? 'stock' : 'fixed');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
