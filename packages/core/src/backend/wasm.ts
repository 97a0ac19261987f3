/**
 * The wasm backend's two switches: how many XNNPACK threads it runs (`threads`), and whether the
 * project's fixed kernels replace tfjs' slow ones (`stockKernels: false`, the default).
 *
 * Threads are fixed when the wasm module starts, so asking for another count re-creates the wasm
 * backend (tfjs disposes the old one; tensors held on it are gone). Kernels can be swapped any
 * time: they are entries of tfjs' kernel registry (`kernels/wasm-overrides/`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { useWasmKernels } from '../kernels/wasm-overrides/index.js';
import { isNode } from './environment.js';
import { logicalCores, nodeThreadedFactory, withLogicalCores, type WasmPackage } from './wasm-threads.js';

export interface WasmOptions {
  /**
   * XNNPACK threads. `'auto'`: one per logical core (`os.availableParallelism()` in Node,
   * `navigator.hardwareConcurrency` in a browser). Default {@link DEFAULT_WASM_THREADS}. More than
   * one needs, in a browser, a cross-origin isolated page (COOP `same-origin` + COEP
   * `require-corp`); without it tfjs runs one thread and the report says why.
   */
  threads?: number | 'auto';
  /** Keep tfjs' stock wasm kernels instead of the fixed ones (default false). */
  stockKernels?: boolean;
}

/** Threads when none are asked for (and `RECURRENT_WASM_THREADS` is not set). */
export const DEFAULT_WASM_THREADS: number | 'auto' = 1;

/** A process environment variable (Node), or undefined in a browser. */
function readEnv(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/**
 * The options with their defaults resolved: an option given in code wins, then the environment
 * variables `RECURRENT_WASM_THREADS` (a count or `auto`) and `RECURRENT_WASM_KERNELS` (`stock` or
 * `fixed`), then {@link DEFAULT_WASM_THREADS} and the fixed kernels.
 */
export async function resolveWasmOptions(options: WasmOptions): Promise<{ threads: number; stockKernels: boolean }> {
  const envThreads = readEnv('RECURRENT_WASM_THREADS');
  const envKernels = readEnv('RECURRENT_WASM_KERNELS');
  if (envKernels !== undefined && envKernels !== 'stock' && envKernels !== 'fixed') {
    throw new Error(`RECURRENT_WASM_KERNELS must be "stock" or "fixed", got "${envKernels}".`);
  }
  const threads = options.threads ?? (envThreads === undefined ? undefined : envThreads === 'auto' ? 'auto' : Number(envThreads));
  return {
    threads: await resolveThreads(threads, options.threads === undefined && envThreads !== undefined ? 'RECURRENT_WASM_THREADS' : 'options.threads'),
    stockKernels: options.stockKernels ?? envKernels === 'stock',
  };
}

/** tfjs-backend-wasm registers itself with this priority. */
const WASM_PRIORITY = 2;

type Factory = () => tf.KernelBackend | Promise<tf.KernelBackend>;

let stockFactory: Factory | undefined;
/** Threads the registered 'wasm' factory was built for (undefined: tfjs' own registration, untouched). */
let configuredThreads: number | undefined;
/** The browser's own answer to WASM_HAS_MULTITHREAD_SUPPORT, read before threads: 1 overrides it. */
let browserSupport: boolean | undefined;
/** What the running backend reported, for {@link wasmThreadsNote}. */
let note: string | undefined;

/** `threads` option → a thread count ≥ 1, or an error naming the argument. */
async function resolveThreads(threads: WasmOptions['threads'], source: string): Promise<number> {
  const value = threads ?? DEFAULT_WASM_THREADS;
  if (value === 'auto') return Math.max(1, await logicalCores());
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`useBackend: ${source} must be a positive integer or 'auto', got ${String(value)}.`);
  }
  return value;
}

/**
 * Registers the 'wasm' backend factory for `threads` (re-creating the backend when it already
 * ran with another count) and swaps the kernels. Call before `tf.setBackend('wasm')`.
 */
export async function configureWasm(pkg: WasmPackage, threads: number, stockKernels: boolean): Promise<void> {
  useWasmKernels(stockKernels ? 'stock' : 'fixed');
  if (configuredThreads === threads) return;
  stockFactory ??= tf.findBackendFactory('wasm') as Factory | undefined;
  if (stockFactory === undefined) throw new Error('configureWasm: tfjs-backend-wasm did not register a "wasm" backend; this is a bug.');
  let factory: Factory = stockFactory;
  note = undefined;
  if (threads === 1) {
    if (!isNode()) browserSupport ??= Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    // The single-threaded SIMD build: no shared memory, no growable-heap checks on every access.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    pkg.setThreadsCount(1);
  } else if (isNode()) {
    factory = await nodeThreadedFactory(pkg, threads);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true); // what runs, for whoever reads the flag
  } else {
    browserSupport ??= Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', browserSupport);
    const supported = browserSupport;
    if (!supported) {
      const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
      note = isolated
        ? 'this browser cannot run threaded wasm (no SharedArrayBuffer transfer or wasm atomics)'
        : 'the page is not cross-origin isolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp';
    }
    pkg.setThreadsCount(threads);
    const stock = stockFactory;
    factory = () => withLogicalCores(threads, async () => stock());
  }
  tf.removeBackend('wasm'); // disposes a running instance (and its pthreads)
  tf.registerBackend('wasm', factory, WASM_PRIORITY);
  configuredThreads = threads;
}

/** Why fewer threads run than were asked for, when the loader knows. */
export function wasmThreadsNote(): string | undefined {
  return note;
}
