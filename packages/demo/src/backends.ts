/**
 * The demo's side of the backend door: it hands `@recurrent/core` the URLs Vite gave the tfjs
 * wasm binaries, then asks the core which backends run here and which is best. No detection of
 * its own.
 */
import { availableBackends, bestBackend, probeBackend, useBackend, type BackendName, type BackendReport } from '@recurrent/core';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/** File name → URL of each wasm binary, as `setWasmPaths` takes them (Vite hashes the names). */
export const WASM_PATHS: Record<string, string> = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
};

/** The backends a page can use, in the order the selector lists them. */
export const PAGE_BACKENDS: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/**
 * Probes every page backend (wasm first, with its binaries' URLs: the core caches each probe, so
 * this must come before anything else probes wasm) and returns the reports and the best one.
 */
export async function probePageBackends(): Promise<{ reports: BackendReport[]; best: BackendName }> {
  await probeBackend('wasm', { wasmPaths: WASM_PATHS });
  const all = await availableBackends();
  const reports = PAGE_BACKENDS.map((name) => all.find((r) => r.name === name)!);
  return { reports, best: await bestBackend() };
}

/** Makes `name` the active backend (throws, listing the usable ones, when it cannot). */
export function activate(name: BackendName): Promise<BackendReport> {
  return useBackend(name, { wasmPaths: WASM_PATHS });
}

/** One line about a backend for the page. */
export function describeBackend(r: BackendReport): string {
  if (!r.available) return `${r.name}: unavailable (${r.reason ?? 'unknown reason'})`;
  return `${r.name}: ${r.device ?? 'available'}${r.software ? ' — a GPU emulated on the CPU' : ''}`;
}
