/**
 * The SIMD module of the fused wasm cell kernels' pointwise passes (generated from
 * scripts/simd/*.mjs into binary.ts), instantiated on tfjs-backend-wasm's own heap: it imports
 * the backend's `WebAssembly.Memory`, so its functions read and write tensors in place, given
 * their byte offsets. One instance per wasm backend instance (per memory).
 *
 * Compiling: in Node (and in workers) the first use compiles synchronously. A browser's main
 * thread refuses to compile modules over 4 KB synchronously, so there `useBackend('wasm')`
 * compiles it ahead ({@link prepareSimdCells}); until then {@link simdCellsReady} is false and the
 * ops run their composite instead of the fused kernels. A wasm without SIMD (tfjs' plain build)
 * cannot run it either: the same fallback.
 */
import { PLAIN, SHARED } from './binary.js';

/** The exported functions (all take i32 byte offsets and sizes; see scripts/simd/*.mjs). */
export type SimdCells = Record<string, (...args: number[]) => void>;

interface EmscriptenModule {
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
}

const decode = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));

const modules: { plain?: WebAssembly.Module; shared?: WebAssembly.Module } = {};
const instances = new WeakMap<WebAssembly.Memory, SimdCells>();
const failed = new WeakMap<WebAssembly.Memory, string>();

/** The heap of a tfjs-backend-wasm backend instance. */
function memoryOf(backend: unknown): WebAssembly.Memory {
  const wasm = (backend as { wasm?: EmscriptenModule }).wasm;
  const memory = wasm?.wasmMemory ?? wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new Error('wasm cell kernels: the wasm backend exposes no WebAssembly.Memory (expected tfjs-backend-wasm 4.x, which has Module.wasmMemory or Module.asm.memory)');
  }
  return memory;
}

const isShared = (memory: WebAssembly.Memory) => typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;

/** Which of the two binaries `memory` takes, and its bytes. */
function binaryFor(memory: WebAssembly.Memory): { kind: 'plain' | 'shared'; bytes: () => Uint8Array<ArrayBuffer> } {
  const kind = isShared(memory) ? 'shared' : 'plain';
  return { kind, bytes: () => decode(kind === 'shared' ? SHARED : PLAIN) };
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Compiles the module for `backend`'s memory without blocking (the browser main thread's way),
 * so that {@link simdCellsReady} holds afterwards. Resolves false, with the reason remembered,
 * when this wasm cannot run it (no SIMD).
 */
export async function prepareSimdCells(backend: unknown): Promise<boolean> {
  const memory = memoryOf(backend);
  if (instances.has(memory)) return true;
  const { kind, bytes } = binaryFor(memory);
  try {
    modules[kind] ??= await WebAssembly.compile(bytes());
    // asynchronous too: a browser's main thread may refuse a synchronous Instance of a large module
    const instance = await WebAssembly.instantiate(modules[kind], { env: { memory } });
    instances.set(memory, instance.exports as unknown as SimdCells);
    return true;
  } catch (error) {
    failed.set(memory, reason(error));
    return false;
  }
}

/** The module's functions on `backend`'s heap, compiling synchronously when not prepared. */
export function simdCells(backend: unknown): SimdCells {
  const memory = memoryOf(backend);
  const ready = instances.get(memory);
  if (ready !== undefined) return ready;
  const why = failed.get(memory);
  if (why !== undefined) throw new Error(`wasm cell kernels: their SIMD module cannot run on this wasm backend (${why}); the ops fall back to their composite where simdCellsReady() is false`);
  const { kind, bytes } = binaryFor(memory);
  try {
    modules[kind] ??= new WebAssembly.Module(bytes());
    const cells = new WebAssembly.Instance(modules[kind], { env: { memory } }).exports as unknown as SimdCells;
    instances.set(memory, cells);
    return cells;
  } catch (error) {
    failed.set(memory, reason(error));
    throw new Error(`wasm cell kernels: could not compile their SIMD module (${reason(error)}). In a browser's main thread, select wasm through useBackend('wasm'), which compiles it ahead.`);
  }
}

/** A variant's suffix in the passes' names: one 0/1 per flag, in order (`lstm_fwd_001`). */
export const variant = (...flags: boolean[]) => flags.map((f) => (f ? '1' : '0')).join('');

/** The module's pass `name` on `backend`'s heap, or an error naming what it has. */
export function simdPass(backend: unknown, name: string): (...args: number[]) => void {
  const cells = simdCells(backend);
  const pass = cells[name];
  if (pass === undefined) throw new Error(`wasm cell kernels: the SIMD module has no pass "${name}" (it has ${Object.keys(cells).join(', ')}); scripts/simd/ generates them`);
  return pass;
}

/** The module's functions on `backend`'s heap, or undefined where it cannot run (the caller's fallback then). */
export function simdIfReady(backend: unknown): SimdCells | undefined {
  try {
    return simdCells(backend);
  } catch {
    return undefined;
  }
}

/** Whether the fused wasm cell kernels can run on `backend` now (compiling synchronously if allowed). */
export function simdCellsReady(backend: unknown): boolean {
  return simdIfReady(backend) !== undefined;
}
