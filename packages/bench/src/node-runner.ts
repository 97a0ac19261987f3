/**
 * Runs a request on a backend of this Node process (cpu, wasm, webgpu through Dawn, tensorflow
 * through tfjs-node), through core's backend door. A backend that cannot run here answers with
 * the reason the door gives, never by failing the run.
 */
import { bestBackend, probeBackend, useBackend, type BackendName } from '@recurrent/core';
import type { Log } from './measure.js';
import { runRequest } from './run-backend.js';
import type { BackendRequest, BackendResponse } from './types.js';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves `best` and checks the backend runs in Node; then measures. */
export async function runInNode(request: BackendRequest, log: Log): Promise<BackendResponse> {
  if (request.backend === 'gpu') {
    return { backend: 'gpu', error: '"gpu" is a Chromium target (a hardware GPU backend, else webgl); in Node ask for webgpu', rows: [], memory: [] };
  }
  let name: BackendName;
  try {
    name = request.backend === 'best' ? await bestBackend() : request.backend;
  } catch (error) {
    return { backend: request.backend, error: message(error), rows: [], memory: [] };
  }
  const options = request.wasm && name === 'wasm' ? { stockKernels: request.wasm.kernels === 'stock', ...(request.wasm.threads !== undefined ? { threads: request.wasm.threads } : {}) } : {};
  let report = await probeBackend(name);
  if (!report.available) return { backend: name, error: report.reason ?? 'not available', rows: [], memory: [] };
  try {
    report = await useBackend(name, options);
  } catch (error) {
    return { backend: name, error: message(error), rows: [], memory: [] };
  }
  log(`node:${name}: ${report.device ?? ''}`);
  const { rows, memory } = await runRequest(request, 'node', name, report.device, log);
  // Several wasm configurations in one run: label each row with the one that ran.
  const variant = request.wasm && report.wasm ? `${report.wasm.threads} thread${report.wasm.threads === 1 ? '' : 's'}, ${report.wasm.kernels} kernels` : undefined;
  const label = <T extends object>(r: T): T => (variant ? { ...r, variant } : r);
  return { backend: name, ...(report.device ? { device: report.device } : {}), rows: rows.map(label), memory: memory.map(label) };
}
