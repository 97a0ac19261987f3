/**
 * The bench page's entry: runs the same measurement code as the Node CLI ({@link runRequest}) on
 * a browser backend, when the CLI asks through `window.recurrentBench(request)`.
 */
import { bestBackend, probeBackend, useBackend, type BackendName, type BackendReport } from '@recurrent/core';
import { runRequest } from '../run-backend.js';
import type { BackendRequest, BackendResponse } from '../types.js';
import { LOG, RUN, WASM_PATH, type BenchWindow } from './protocol.js';

const win = window as unknown as BenchWindow;

function log(line: string): void {
  void win[LOG]?.(line);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `gpu`: the page's GPU backend — a hardware one first (WebGPU, then WebGL); on a software GPU
 * WebGL, since SwiftShader runs tfjs' WebGL kernels several times faster than its WebGPU ones.
 * `best`: core's choice, wasm included.
 */
/** wasm options of a request (threads, stock or fixed kernels), with where the binaries are served. */
function wasmOptions(request: BackendRequest) {
  const w = request.wasm;
  return { wasmPaths: WASM_PATH, ...(w ? { stockKernels: w.kernels === 'stock', ...(w.threads !== undefined ? { threads: w.threads } : {}) } : {}) };
}

async function resolveBackend(request: BackendRequest): Promise<BackendReport> {
  const backend = request.backend;
  // The wasm probe must see where its binaries are served before anything else probes it.
  if (backend === 'wasm' || backend === 'best') await probeBackend('wasm', wasmOptions(request));
  if (backend === 'gpu') {
    const gpus = [await probeBackend('webgpu'), await probeBackend('webgl')];
    const usable = gpus.filter((r) => r.available);
    return usable.find((r) => !r.software) ?? usable.find((r) => r.name === 'webgl') ?? usable[0] ?? gpus[0]!;
  }
  const name: BackendName = backend === 'best' ? await bestBackend() : backend;
  return probeBackend(name);
}

async function run(request: BackendRequest): Promise<BackendResponse> {
  let report = await resolveBackend(request);
  if (!report.available) return { backend: report.name, error: report.reason ?? 'not available', rows: [], memory: [] };
  try {
    report = await useBackend(report.name, report.name === 'wasm' ? wasmOptions(request) : {});
  } catch (error) {
    return { backend: report.name, error: message(error), rows: [], memory: [] };
  }
  log(`chromium:${report.name}: ${report.device ?? ''}${report.wasm?.threadsNote ? ` (${report.wasm.threadsNote})` : ''}`);
  const { rows, memory } = await runRequest(request, 'chromium', report.name, report.device, log);
  const variant = request.wasm && report.wasm ? `${report.wasm.threads} thread${report.wasm.threads === 1 ? '' : 's'}, ${report.wasm.kernels} kernels` : undefined;
  const label = <T extends object>(r: T): T => (variant ? { ...r, variant } : r);
  return { backend: report.name, ...(report.device ? { device: report.device } : {}), rows: rows.map(label), memory: memory.map(label) };
}

win[RUN] = run;
const status = document.getElementById('status');
if (status) status.textContent = 'ready';
