/**
 * Multithreaded wasm: how many XNNPACK threads tfjs-backend-wasm 4.22 runs, and how to make it run
 * more than one in Node.
 *
 * What tfjs does (read in its 4.22 sources, `backend_wasm.ts`, `flags_wasm.ts`, `cc/backend.cc`):
 * - `WASM_HAS_MULTITHREAD_SUPPORT` is hard-wired to false in Node (tensorflow/tfjs#3830), so Node
 *   always gets the single-threaded SIMD build. In a browser it is true only when a
 *   SharedArrayBuffer can be posted, i.e. under cross-origin isolation (COOP + COEP headers).
 * - The threaded build starts its pthread workers from a blob URL holding the worker script, and
 *   passes the main script to them as a Blob (`mainScriptUrlOrBlob`). Node's `worker_threads`
 *   accepts neither; the emscripten output itself does support Node (it requires
 *   `worker_threads`, and its worker script reads `importScripts(path)` from the file system).
 * - `init_with_threads_count(n)` caps n at `emscripten_num_logical_cores() / 2` (tfjs assumes two
 *   hyper-threads per core): on a 2-core machine that is 1, whatever `setThreadsCount` asked.
 *
 * So in Node this module builds the threaded module itself: the worker script written once to a
 * file (a real path `worker_threads` can start), the main script passed as a file path, and the
 * `emscripten_num_logical_cores` import answering 2·threads so the cap lets the requested count
 * through. The module is handed to tfjs' own `BackendWasm`, so every stock wasm kernel runs on it
 * unchanged. In a browser tfjs' own loader works once the page is cross-origin isolated; only the
 * halving is worked around (see {@link withLogicalCores}).
 */
import * as tf from '@tensorflow/tfjs-core';
import { importOptional, isNode } from './environment.js';

/** The part of `@tensorflow/tfjs-backend-wasm`'s public API this module uses. */
export interface WasmPackage {
  BackendWasm: new (module: never) => tf.KernelBackend;
  setThreadsCount(threads: number): void;
  getThreadsCount(): number;
  version_wasm: string;
}

/** An emscripten module as tfjs' `BackendWasm` expects it (`init()` in backend_wasm.ts adds `tfjs`). */
interface EmscriptenModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: unknown[]) => unknown;
  tfjs?: Record<string, (...args: unknown[]) => unknown>;
  PThread?: { runningWorkers: { unref?(): void }[]; unusedWorkers: { unref?(): void }[] };
}

interface FactoryConfig {
  locateFile(path: string, prefix: string): string;
  mainScriptUrlOrBlob: string;
  instantiateWasm(imports: { env: Record<string, unknown> }, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void): object;
  onAbort(what: unknown): void;
}

type Factory = (config: FactoryConfig) => Promise<EmscriptenModule>;

// The few Node APIs used here, typed structurally (core does not depend on @types/node).
interface NodeFs {
  existsSync(path: string): boolean;
  writeFileSync(path: string, data: string): void;
  renameSync(from: string, to: string): void;
  readFileSync(path: string): Uint8Array;
}
interface NodePath {
  join(...parts: string[]): string;
  dirname(path: string): string;
}
interface NodeOs {
  tmpdir(): string;
  cpus(): unknown[];
  availableParallelism?(): number;
}
interface NodeCrypto {
  createHash(algorithm: string): { update(data: string): { digest(encoding: 'hex'): string } };
}
interface NodeRequire {
  (id: string): unknown;
  resolve(id: string): string;
}
interface NodeModuleApi {
  createRequire(url: string): NodeRequire;
}
interface NodeVm {
  runInThisContext(code: string, options: { filename: string }): unknown;
}

/** Emscripten's pthread pool size as compiled into tfjs 4.22's threaded build (PTHREAD_POOL_SIZE). */
const COMPILED_POOL = 'var pthreadPoolSize=8;';

/**
 * The threaded module's factory. Emscripten starts `PTHREAD_POOL_SIZE` = 8 workers up front, each
 * with its own V8 isolate and wasm instance (≈ 75 MiB and 0.4 s here), of which `threads − 1` are
 * ever used; so the script is evaluated with the pool cut to `threads` (it must stay at least
 * threads − 1: a pthread created from the main thread needs a worker that has already loaded).
 * The workers still load the original file, which does not read the pool size.
 */
async function loadFactory(require: NodeRequire, file: string, threads: number): Promise<Factory> {
  const fs = await importOptional<NodeFs & { readFileSync(path: string, encoding: 'utf8'): string }>('node:fs');
  const path = await importOptional<NodePath>('node:path');
  const vm = await importOptional<NodeVm>('node:vm');
  const source = fs.readFileSync(file, 'utf8');
  if (!source.includes(COMPILED_POOL)) return require(file) as Factory; // another build: keep its pool
  const patched = source.replace(COMPILED_POOL, `var pthreadPoolSize=${Math.max(1, threads)};`);
  const wrapped = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname) {${patched}\n})`, { filename: file }) as (
    exports: object, require: NodeRequire, module: { exports: unknown }, filename: string, dirname: string) => void;
  const module: { exports: unknown } = { exports: {} };
  wrapped(module.exports as object, require, module, file, path.dirname(file));
  return module.exports as Factory;
}

const THREADED = 'tfjs-backend-wasm-threaded-simd';

/** What tfjs' `init()` attaches to the module (backend_wasm.ts), needed by `BackendWasm`. */
function attachTfjsBridge(module: EmscriptenModule): void {
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
}

/**
 * The worker script, written once per tfjs version and content to the temporary directory (as
 * `.cjs`: it is a CommonJS script that calls `require`). Written to a unique name, then renamed,
 * so concurrent processes never read a half-written file.
 */
async function workerScriptFile(contents: string, version: string): Promise<string> {
  const fs = await importOptional<NodeFs>('node:fs');
  const os = await importOptional<NodeOs>('node:os');
  const path = await importOptional<NodePath>('node:path');
  const crypto = await importOptional<NodeCrypto>('node:crypto');
  const hash = crypto.createHash('sha256').update(contents).digest('hex').slice(0, 12);
  const file = path.join(os.tmpdir(), `recurrent-${THREADED}-${version}-${hash}.worker.cjs`);
  if (!fs.existsSync(file)) {
    const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;
    const partial = `${file}.${pid}.${Date.now()}.tmp`;
    fs.writeFileSync(partial, contents);
    fs.renameSync(partial, file);
  }
  return file;
}

/**
 * A backend factory for `tf.registerBackend('wasm', …)` that runs tfjs' threaded-SIMD build in
 * Node with `threads` XNNPACK threads. Node only.
 */
export async function nodeThreadedFactory(pkg: WasmPackage, threads: number): Promise<() => Promise<tf.KernelBackend>> {
  if (!isNode()) throw new Error('nodeThreadedFactory: Node only; in a browser tfjs-backend-wasm starts its own threads under cross-origin isolation.');
  const { createRequire } = await importOptional<NodeModuleApi>('node:module');
  const path = await importOptional<NodePath>('node:path');
  const fs = await importOptional<NodeFs>('node:fs');
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const mainScript = path.join(dir, 'wasm-out', `${THREADED}.js`);
  const binaryFile = path.join(dir, 'dist', `${THREADED}.wasm`);
  const factory = await loadFactory(require, mainScript, threads);
  const { wasmWorkerContents } = require(path.join(dir, 'wasm-out', `${THREADED}.worker.js`)) as { wasmWorkerContents: string };
  // tfjs escapes the newlines of the template literal the same way before making its blob.
  const workerFile = await workerScriptFile(wasmWorkerContents.replace(/\n/g, '\\n'), pkg.version_wasm);
  const binary = fs.readFileSync(binaryFile);

  return async () => {
    pkg.setThreadsCount(threads);
    const module = await new Promise<EmscriptenModule>((resolve, reject) => {
      factory({
        locateFile: (file, prefix) => (file.endsWith('.worker.js') ? workerFile : file.endsWith('.wasm') ? binaryFile : prefix + file),
        // Each pthread worker `importScripts` this path (read from disk in Node).
        mainScriptUrlOrBlob: mainScript,
        instantiateWasm: (imports, receive) => {
          // See the module header: tfjs caps threads at logical cores / 2.
          imports.env['emscripten_num_logical_cores'] = () => 2 * threads;
          WebAssembly.instantiate(binary as BufferSource, imports as WebAssembly.Imports).then(
            ({ instance, module: compiled }) => receive(instance, compiled),
            reject,
          );
          return {};
        },
        onAbort: (what) => reject(new Error(`the threaded wasm module aborted: ${String(what)}`)),
      }).then(resolve, reject);
    });
    attachTfjsBridge(module);
    const backend = new pkg.BackendWasm(module as never); // starts the XNNPACK thread pool
    // Emscripten keeps a running pthread's worker referenced, so Node would never exit while the
    // pool lives (it lives as long as the backend). The pool is idle between kernels: unref it.
    for (const worker of [...(module.PThread?.runningWorkers ?? []), ...(module.PThread?.unusedWorkers ?? [])]) worker.unref?.();
    return backend;
  };
}

/**
 * Runs `start` with `navigator.hardwareConcurrency` reading at least 2·threads, so that tfjs'
 * halving of the logical cores (module header) leaves `threads`; restores the navigator after.
 * Browser only; the override is an own property of the navigator object, deleted afterwards.
 */
export async function withLogicalCores<T>(threads: number, start: () => Promise<T>): Promise<T> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (isNode() || nav === undefined || (nav.hardwareConcurrency ?? 0) >= 2 * threads) return start();
  Object.defineProperty(nav, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
  try {
    return await start();
  } finally {
    delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

/** Logical cores of this machine (Node: `os.availableParallelism()`; browser: hardwareConcurrency). */
export async function logicalCores(): Promise<number> {
  if (isNode()) {
    const os = await importOptional<NodeOs>('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}
