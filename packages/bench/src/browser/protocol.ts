/**
 * The contract between the CLI (Node, driving Chromium) and the bench page: the page defines
 * `window[RUN]`, the CLI exposes `window[LOG]` for progress lines, and the wasm binaries are
 * served under {@link WASM_PATH}. Plain JSON crosses the boundary.
 */
import type { BackendRequest, BackendResponse } from '../types.js';

/** `await window[RUN](request)` runs a request in the page. */
export const RUN = 'recurrentBench';
/** `window[LOG](line)` sends a progress line to the CLI's stderr. */
export const LOG = 'recurrentBenchLog';
/** Where the page finds tfjs-backend-wasm's `.wasm` files. */
export const WASM_PATH = '/wasm/';

export type RunFn = (request: BackendRequest) => Promise<BackendResponse>;
export type LogFn = (line: string) => Promise<void> | void;

/** The page's window, as both sides see it. */
export interface BenchWindow {
  [RUN]?: RunFn;
  [LOG]?: LogFn;
}
