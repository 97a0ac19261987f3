/**
 * `describeBackends`: run one suite on every backend this process offers.
 *
 * In Node that is cpu, wasm, webgpu (Dawn) and tensorflow (when tfjs-node is installed); in the
 * browser test page it is webgl and webgpu (cpu and wasm are covered in Node). A backend that
 * cannot run here still gets its `describe`, skipped, with the reason in its title, so a missing
 * backend is visible in the report instead of silently absent.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { BACKEND_NAMES, isNode, probeBackend, useBackend, type BackendName, type BackendReport } from '../backend/index.js';

/** The backends each environment's test run covers. */
export function testedBackends(): BackendName[] {
  const only = readEnv('RECURRENT_TEST_BACKENDS');
  if (only) return only.split(',').map((s) => s.trim()) as BackendName[];
  return isNode() ? ['cpu', 'wasm', 'webgpu', 'tensorflow'] : ['webgl', 'webgpu'];
}

function readEnv(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name] ?? (import.meta as unknown as { env?: Record<string, string | undefined> }).env?.[name];
}

// Probed once per test file, before any describe runs (top-level await). Only the backends this
// environment tests: probing wasm in the browser page would fetch binaries the Vite test server
// does not serve, for a backend that the Node project covers.
const reports = new Map<BackendName, BackendReport>();
for (const name of testedBackends()) {
  if (BACKEND_NAMES.includes(name)) reports.set(name, await probeBackend(name));
}

/** The report of one backend, as probed when the test file was loaded. */
export function backendReport(name: BackendName): BackendReport | undefined {
  return reports.get(name);
}

export interface DescribeBackendsOptions {
  /** Restrict to these backends (still intersected with what the environment offers). */
  only?: BackendName[];
}

/**
 * `describe(name [backend])` once per tested backend, with that backend active during its tests.
 * The suite body receives the backend's name so tolerances can follow SPEC.md's accuracy contract.
 */
export function describeBackends(name: string, body: (backend: BackendName) => void, options: DescribeBackendsOptions = {}): void {
  for (const backend of testedBackends()) {
    if (options.only && !options.only.includes(backend)) continue;
    const report = reports.get(backend);
    if (!report?.available) {
      describe.skip(`${name} [${backend}: skipped, ${report?.reason ?? 'not probed'}]`, () => body(backend));
      continue;
    }
    describe(`${name} [${backend}]`, () => {
      let previous: string | undefined;
      beforeAll(async () => {
        previous = tf.getBackend();
        await useBackend(backend);
      });
      afterAll(async () => {
        if (previous !== undefined && previous !== backend) await tf.setBackend(previous);
      });
      body(backend);
    });
  }
}

/** True on the GPU backends, whose accuracy contract is looser (SPEC.md). */
export function isGpuBackend(backend: BackendName): boolean {
  return backend === 'webgl' || backend === 'webgpu';
}

/** SPEC.md's accuracy contract: relative error bounds for forward values and gradients. */
export function tolerances(backend: BackendName): { forward: number; gradient: number } {
  return isGpuBackend(backend) ? { forward: 1e-4, gradient: 1e-3 } : { forward: 1e-5, gradient: 1e-4 };
}
